//! `kubectl autoscale` (`staging/src/k8s.io/kubectl/pkg/cmd/autoscale`): creates an
//! autoscaling/v2 HorizontalPodAutoscaler for a Deployment, ReplicaSet or StatefulSet.
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget, ResourceMetricSource,
};

use super::resources::{fetch_all, NO_RESOURCES};
use super::{Args, Input};
use crate::api::{HorizontalPodAutoscaler, Object, ObjectMeta};
use crate::apiserver::Component;
use crate::Cluster;

pub fn autoscale(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let Some(max) = args.int("max")? else { return Err("error: required flag(s) \"max\" not set".to_string()) };
    let min = args.int("min")?.unwrap_or(-1);
    let cpu = args.int("cpu-percent")?.unwrap_or(-1);
    if max < 1 {
        return Err(format!("error: --max=MAXPODS is required and must be at least 1, max: {max}"));
    }
    if max < min {
        return Err(format!("error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {max}, min: {min}"));
    }
    if args.positional.is_empty() && args.filenames.is_empty() {
        return Err(NO_RESOURCES.to_string());
    }
    let mut errors = Vec::new();
    let found = fetch_all(cluster, args, input, &args.positional, &mut errors)?;
    let mut out = Vec::new();
    for (target, _) in found {
        if !matches!(target.kind.kind, "Deployment" | "ReplicaSet" | "StatefulSet") {
            out.push(format!("error: cannot autoscale a {}: cannot autoscale a {}", target.kind.kind, target.kind.kind));
            continue;
        }
        let name = args.value("name").unwrap_or(&target.key.name).to_string();
        let metrics = (cpu >= 0).then(|| {
            vec![MetricSpec {
                type_: "Resource".to_string(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_string(),
                    target: MetricTarget { type_: "Utilization".to_string(), average_utilization: Some(cpu), ..Default::default() },
                }),
                ..Default::default()
            }]
        });
        let hpa = HorizontalPodAutoscaler {
            metadata: ObjectMeta { name: Some(name.clone()), namespace: Some(target.key.namespace.clone()), ..Default::default() },
            spec: Some(HorizontalPodAutoscalerSpec {
                max_replicas: max,
                min_replicas: (min >= 0).then_some(min),
                metrics,
                scale_target_ref: CrossVersionObjectReference {
                    api_version: Some(target.kind.api_version.to_string()),
                    kind: target.kind.kind.to_string(),
                    name: target.key.name.clone(),
                },
                ..Default::default()
            }),
            status: None,
        };
        match cluster.request(Component::Kubectl, |c| c.create(Object::HorizontalPodAutoscaler(hpa))) {
            Ok(_) => out.push(format!("horizontalpodautoscaler.autoscaling/{name} autoscaled")),
            Err(e) => out.push(e.render(None)),
        }
    }
    out.extend(errors);
    Ok(out.join("\n"))
}
