//! The VPA admission controller (`pkg/admission-controller`), a mutating webhook the API server
//! calls for every new pod: a pod selected by a VPA in Initial, Recreate or Auto mode gets the
//! recommended requests, and its limits scaled in proportion (controlledValues
//! RequestsAndLimits), with the `vpaUpdates` and `vpaObservedContainers` annotations.
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::ApiServer;
use crate::api::quantity::parse_milli;
use crate::api::vertical_pod_autoscaler::{target_kind, target_selector};
use crate::api::{info, Key, Object};

pub fn mutate(api: &ApiServer, pod: &mut Pod) {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let vpas = api.peek_list(info("VerticalPodAutoscaler"), Some(&namespace));
    let controlling = vpas.iter().find_map(|o| {
        let Object::VerticalPodAutoscaler(vpa) = &**o else { return None };
        let target = vpa.spec.as_ref()?.target_ref.as_ref()?;
        let workload = api.peek(&Key::new(target_kind(&target.kind)?, &namespace, &target.name))?;
        target_selector(&workload)?.matches(pod.metadata.labels.as_ref()).then_some(vpa)
    });
    let Some(vpa) = controlling.filter(|v| v.update_mode() != "Off") else { return };
    let mut updates = Vec::new();
    let mut observed = Vec::new();
    for (i, container) in pod.spec.iter_mut().flat_map(|s| s.containers.iter_mut()).enumerate() {
        observed.push(container.name.clone());
        let Some(recommendation) = vpa.recommendation(&container.name) else { continue };
        let resources = container.resources.get_or_insert_with(Default::default);
        // Upstream lists the requests it set, then the limits (`getContainerPatch`).
        let (mut requests_set, mut limits_set) = (Vec::new(), Vec::new());
        for (resource, target) in &recommendation.target {
            let requests = resources.requests.get_or_insert_with(Default::default);
            let old = requests.insert(resource.clone(), target.clone());
            requests_set.push(format!("{resource} request"));
            // The limit keeps its ratio to the request.
            let amount = |q: &Quantity| parse_milli(&q.0).ok().filter(|v| *v > 0);
            let Some(limit) = resources.limits.as_mut().and_then(|l| l.get_mut(resource)) else { continue };
            if let (Some(old), Some(new), Some(current)) = (old.as_ref().and_then(amount), amount(target), amount(limit)) {
                let scaled = current.saturating_mul(new) / old;
                *limit = Quantity(crate::apiserver::format_quantity(resource, scaled));
                limits_set.push(format!("{resource} limit"));
            }
        }
        requests_set.extend(limits_set);
        let changed = requests_set;
        updates.push(format!("container {i}: {}", changed.join(", ")));
    }
    let annotations = pod.metadata.annotations.get_or_insert_with(Default::default);
    let name = vpa.metadata.name.clone().unwrap_or_default();
    if !updates.is_empty() {
        annotations.insert("vpaUpdates".to_string(), format!("Pod resources updated by {name}: {}", updates.join("; ")));
    }
    annotations.insert("vpaObservedContainers".to_string(), observed.join(", "));
}
