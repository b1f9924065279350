//! Defaulting, as the API server applies it before validation
//! (`pkg/apis/core/v1/defaults.go`, `pkg/apis/apps/v1/defaults.go`).
use k8s_openapi::api::apps::v1::{DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{PodSecurityContext, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::Object;

pub fn apply(object: &mut Object) {
    match object {
        Object::Pod(pod) => {
            if let Some(spec) = pod.spec.as_mut() {
                pod_spec(spec);
            }
        }
        Object::Deployment(d) => {
            if let Some(spec) = d.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                spec.revision_history_limit.get_or_insert(10);
                spec.progress_deadline_seconds.get_or_insert(600);
                let strategy = spec.strategy.get_or_insert_with(DeploymentStrategy::default);
                let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".to_string());
                if kind == "RollingUpdate" {
                    let rolling = strategy.rolling_update.get_or_insert_with(RollingUpdateDeployment::default);
                    rolling.max_surge.get_or_insert(IntOrString::String("25%".to_string()));
                    rolling.max_unavailable.get_or_insert(IntOrString::String("25%".to_string()));
                }
                template(&mut spec.template);
            }
        }
        Object::ReplicaSet(rs) => {
            if let Some(spec) = rs.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                if let Some(t) = spec.template.as_mut() {
                    template(t);
                }
            }
        }
        Object::Namespace(ns) => {
            let name = ns.metadata.name.clone().unwrap_or_default();
            ns.metadata.labels.get_or_insert_with(Default::default).insert("kubernetes.io/metadata.name".to_string(), name);
            ns.spec.get_or_insert_with(Default::default).finalizers.get_or_insert_with(|| vec!["kubernetes".to_string()]);
            ns.status.get_or_insert_with(Default::default).phase.get_or_insert_with(|| "Active".to_string());
        }
        _ => {}
    }
}

fn template(t: &mut PodTemplateSpec) {
    if let Some(spec) = t.spec.as_mut() {
        pod_spec(spec);
    }
}

fn pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert_with(|| "Always".to_string());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".to_string());
    spec.scheduler_name.get_or_insert_with(|| "default-scheduler".to_string());
    spec.security_context.get_or_insert_with(PodSecurityContext::default);
    for c in &mut spec.containers {
        c.termination_message_path.get_or_insert_with(|| "/dev/termination-log".to_string());
        c.termination_message_policy.get_or_insert_with(|| "File".to_string());
        let image = c.image.clone().unwrap_or_default();
        // An image without a tag, or tagged `latest`, is always pulled (SetDefaults_Container).
        let latest = !image.rsplit('/').next().unwrap_or("").contains(':') || image.ends_with(":latest");
        c.image_pull_policy.get_or_insert_with(|| if latest { "Always" } else { "IfNotPresent" }.to_string());
        c.resources.get_or_insert_with(Default::default);
        for p in c.ports.iter_mut().flatten() {
            p.protocol.get_or_insert_with(|| "TCP".to_string());
        }
    }
}
