//! Defaulting, as the API server applies it before validation (`pkg/apis/core/v1/defaults.go`,
//! `pkg/apis/apps/v1/defaults.go`, `pkg/apis/batch/v1/defaults.go`,
//! `pkg/apis/autoscaling/v2/defaults.go`, `pkg/apis/scheduling/v1/defaults.go`).
use k8s_openapi::api::apps::v1::{
    DaemonSetUpdateStrategy, DeploymentStrategy, RollingUpdateDaemonSet, RollingUpdateDeployment, RollingUpdateStatefulSetStrategy,
    StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::autoscaling::v2::{HPAScalingPolicy, HPAScalingRules};
use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::api::core::v1::{
    ClientIPConfig, LimitRangeItem, PodSecurityContext, PodSpec, PodTemplateSpec, ServiceSpec, SessionAffinityConfig,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::Object;

fn set(field: &mut Option<String>, value: &str) {
    field.get_or_insert_with(|| value.to_string());
}

pub fn apply(object: &mut Object) {
    match object {
        Object::Pod(pod) => {
            if let Some(spec) = pod.spec.as_mut() {
                pod_spec(spec);
                // SetDefaults_Pod (pods only, not templates): a limit without a request is
                // also the request.
                for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                    let Some(resources) = c.resources.as_mut() else { continue };
                    let Some(limits) = resources.limits.clone() else { continue };
                    let requests = resources.requests.get_or_insert_with(Default::default);
                    for (k, v) in limits {
                        requests.entry(k).or_insert(v);
                    }
                }
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
        Object::StatefulSet(sts) => {
            if let Some(spec) = sts.spec.as_mut() {
                spec.replicas.get_or_insert(1);
                set(&mut spec.pod_management_policy, "OrderedReady");
                let strategy = spec.update_strategy.get_or_insert_with(StatefulSetUpdateStrategy::default);
                if strategy.type_.get_or_insert_with(|| "RollingUpdate".to_string()) == "RollingUpdate" {
                    strategy.rolling_update.get_or_insert_with(RollingUpdateStatefulSetStrategy::default).partition.get_or_insert(0);
                }
                spec.revision_history_limit.get_or_insert(10);
                let retention = spec
                    .persistent_volume_claim_retention_policy
                    .get_or_insert_with(StatefulSetPersistentVolumeClaimRetentionPolicy::default);
                set(&mut retention.when_deleted, "Retain");
                set(&mut retention.when_scaled, "Retain");
                for claim in spec.volume_claim_templates.iter_mut().flatten() {
                    if let Some(s) = claim.spec.as_mut() {
                        set(&mut s.volume_mode, "Filesystem");
                    }
                }
                template(&mut spec.template);
            }
        }
        Object::DaemonSet(ds) => {
            if let Some(spec) = ds.spec.as_mut() {
                let strategy = spec.update_strategy.get_or_insert_with(DaemonSetUpdateStrategy::default);
                if strategy.type_.get_or_insert_with(|| "RollingUpdate".to_string()) == "RollingUpdate" {
                    let rolling = strategy.rolling_update.get_or_insert_with(RollingUpdateDaemonSet::default);
                    rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
                    rolling.max_surge.get_or_insert(IntOrString::Int(0));
                }
                spec.revision_history_limit.get_or_insert(10);
                template(&mut spec.template);
            }
        }
        Object::Job(job) => {
            if let Some(spec) = job.spec.as_mut() {
                job_spec(spec);
            }
            // SetDefaults_Job: a Job without labels takes its pod template's.
            if job.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
                job.metadata.labels = job.spec.as_ref().and_then(|s| s.template.metadata.as_ref()).and_then(|m| m.labels.clone());
            }
        }
        Object::CronJob(cj) => {
            if let Some(spec) = cj.spec.as_mut() {
                set(&mut spec.concurrency_policy, "Allow");
                spec.suspend.get_or_insert(false);
                spec.successful_jobs_history_limit.get_or_insert(3);
                spec.failed_jobs_history_limit.get_or_insert(1);
                if let Some(job) = spec.job_template.spec.as_mut() {
                    job_spec(job);
                }
            }
        }
        Object::Service(svc) => {
            if let Some(spec) = svc.spec.as_mut() {
                service_spec(spec);
            }
            // Every Service has a (possibly empty) load balancer status.
            svc.status.get_or_insert_with(Default::default).load_balancer.get_or_insert_with(Default::default);
        }
        Object::Secret(secret) => {
            set(&mut secret.type_, "Opaque");
            // The registry strategy folds stringData into data: Secrets are stored encoded only.
            if let Some(plain) = secret.string_data.take() {
                let data = secret.data.get_or_insert_with(Default::default);
                for (k, v) in plain {
                    data.insert(k, k8s_openapi::ByteString(v.into_bytes()));
                }
            }
        }
        Object::PersistentVolumeClaim(pvc) => {
            if let Some(spec) = pvc.spec.as_mut() {
                set(&mut spec.volume_mode, "Filesystem");
            }
            set(&mut pvc.status.get_or_insert_with(Default::default).phase, "Pending");
        }
        Object::PersistentVolume(pv) => {
            if let Some(spec) = pv.spec.as_mut() {
                set(&mut spec.persistent_volume_reclaim_policy, "Retain");
                set(&mut spec.volume_mode, "Filesystem");
            }
            set(&mut pv.status.get_or_insert_with(Default::default).phase, "Pending");
        }
        Object::HorizontalPodAutoscaler(hpa) => {
            if let Some(spec) = hpa.spec.as_mut() {
                spec.min_replicas.get_or_insert(1);
                if spec.metrics.as_ref().is_none_or(|m| m.is_empty()) {
                    spec.metrics = Some(vec![cpu_utilization(80)]);
                }
                // Only a behavior that is given is completed; none stays none.
                if let Some(behavior) = spec.behavior.as_mut() {
                    let up = behavior.scale_up.get_or_insert_with(Default::default);
                    up.stabilization_window_seconds.get_or_insert(0);
                    scaling_rules(up, &[("Pods", 4), ("Percent", 100)]);
                    // The scale-down window stays unset: the controller's flag fills it.
                    scaling_rules(behavior.scale_down.get_or_insert_with(Default::default), &[("Percent", 100)]);
                }
            }
        }
        Object::LimitRange(lr) => {
            for item in lr.spec.iter_mut().flat_map(|s| s.limits.iter_mut()) {
                limit_range_item(item);
            }
        }
        Object::PriorityClass(pc) => set(&mut pc.preemption_policy, "PreemptLowerPriority"),
        Object::Namespace(ns) => {
            let name = ns.metadata.name.clone().unwrap_or_default();
            ns.metadata.labels.get_or_insert_with(Default::default).insert("kubernetes.io/metadata.name".to_string(), name);
            ns.spec.get_or_insert_with(Default::default).finalizers.get_or_insert_with(|| vec!["kubernetes".to_string()]);
            ns.status.get_or_insert_with(Default::default).phase.get_or_insert_with(|| "Active".to_string());
        }
        _ => {}
    }
}

fn job_spec(spec: &mut JobSpec) {
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    spec.backoff_limit.get_or_insert(if spec.backoff_limit_per_index.is_some() { i32::MAX } else { 6 });
    set(&mut spec.completion_mode, "NonIndexed");
    spec.suspend.get_or_insert(false);
    let replacement = if spec.pod_failure_policy.is_some() { "Failed" } else { "TerminatingOrFailed" };
    set(&mut spec.pod_replacement_policy, replacement);
    template(&mut spec.template);
}

fn service_spec(spec: &mut ServiceSpec) {
    let affinity = spec.session_affinity.get_or_insert_with(|| "None".to_string());
    if affinity == "ClientIP" {
        let config = spec.session_affinity_config.get_or_insert_with(SessionAffinityConfig::default);
        config.client_ip.get_or_insert_with(ClientIPConfig::default).timeout_seconds.get_or_insert(10800);
    }
    let type_ = spec.type_.get_or_insert_with(|| "ClusterIP".to_string()).clone();
    for port in spec.ports.iter_mut().flatten() {
        set(&mut port.protocol, "TCP");
        if matches!(&port.target_port, None | Some(IntOrString::Int(0))) || port.target_port == Some(IntOrString::String(String::new())) {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        set(&mut spec.external_traffic_policy, "Cluster");
    }
    if type_ != "ExternalName" {
        set(&mut spec.internal_traffic_policy, "Cluster");
    }
    if type_ == "LoadBalancer" {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
}

/// `autoscaling.DefaultCPUUtilization`: what an HPA without metrics targets.
fn cpu_utilization(percent: i32) -> k8s_openapi::api::autoscaling::v2::MetricSpec {
    use k8s_openapi::api::autoscaling::v2::{MetricSpec, MetricTarget, ResourceMetricSource};
    MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: "cpu".to_string(),
            target: MetricTarget { type_: "Utilization".to_string(), average_utilization: Some(percent), ..Default::default() },
        }),
        ..Default::default()
    }
}

/// `GenerateHPAScaleUpRules` / `GenerateHPAScaleDownRules`: the missing parts of a rule.
fn scaling_rules(rules: &mut HPAScalingRules, policies: &[(&str, i32)]) {
    set(&mut rules.select_policy, "Max");
    rules.policies.get_or_insert_with(|| {
        policies.iter().map(|(t, v)| HPAScalingPolicy { type_: t.to_string(), value: *v, period_seconds: 15 }).collect()
    });
}

/// `SetDefaults_LimitRangeItem`: for containers, the default limit falls back to the max, and
/// the default request to the default limit, then to the min.
fn limit_range_item(item: &mut LimitRangeItem) {
    if item.type_ != "Container" {
        return;
    }
    let default = item.default.get_or_insert_with(Default::default);
    for (k, v) in item.max.iter().flatten() {
        default.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let request = item.default_request.get_or_insert_with(Default::default);
    for (k, v) in default.iter().chain(item.min.iter().flatten()) {
        request.entry(k.clone()).or_insert_with(|| v.clone());
    }
    // Go omits an empty map.
    item.default = item.default.take().filter(|m| !m.is_empty());
    item.default_request = item.default_request.take().filter(|m| !m.is_empty());
}

/// The Job registry's `generateSelector` on create: unless `manualSelector` is set, the Job
/// selects its pods by its uid, and its pod template carries the matching labels.
pub fn generate_job_selector(job: &mut k8s_openapi::api::batch::v1::Job) {
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let Some(spec) = job.spec.as_mut() else { return };
    if spec.manual_selector == Some(true) {
        return;
    }
    let labels = spec.template.metadata.get_or_insert_with(Default::default).labels.get_or_insert_with(Default::default);
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        labels.entry(key.to_string()).or_insert_with(|| value.clone());
    }
    let selector = spec.selector.get_or_insert_with(Default::default);
    selector.match_labels.get_or_insert_with(Default::default).insert("batch.kubernetes.io/controller-uid".to_string(), uid);
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
