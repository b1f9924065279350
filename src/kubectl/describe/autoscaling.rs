//! `kubectl describe` for the autoscalers: `describeHorizontalPodAutoscalerV2` and its
//! `printDirectionBehavior`.
use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscaler};

use super::{annotations_multiline, events, labels_multiline, name_and_namespace, rfc1123z, Context, Writer};

pub(super) fn describe_hpa(context: &mut Context, w: &mut Writer, hpa: &HorizontalPodAutoscaler) {
    let meta = &hpa.metadata;
    let spec = hpa.spec.clone().unwrap_or_default();
    let status = hpa.status.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    if let Some(created) = &meta.creation_timestamp {
        w.line(0, &format!("CreationTimestamp:\t{}", rfc1123z(created)));
    }
    let target = &spec.scale_target_ref;
    w.line(0, &format!("Reference:\t{}/{}", target.kind, target.name));
    w.line(0, "Metrics:\t( current / target )");
    for (i, metric) in spec.metrics.iter().flatten().enumerate() {
        let Some(resource) = &metric.resource else { continue };
        let current = status.current_metrics.as_ref().and_then(|m| m.get(i)).and_then(|m| m.resource.as_ref()).map(|r| &r.current);
        let head = format!("resource {} on pods", resource.name);
        match &resource.target.average_value {
            Some(value) => {
                let current = current.and_then(|c| c.average_value.as_ref()).map_or("<unknown>".to_string(), |q| q.0.clone());
                w.line(1, &format!("{head}:\t{current} / {}", value.0));
            }
            None => {
                let current = current
                    .and_then(|c| Some(format!("{}% ({})", c.average_utilization?, c.average_value.as_ref()?.0)))
                    .unwrap_or_else(|| "<unknown>".to_string());
                let target = resource.target.average_utilization.map_or("<auto>".to_string(), |u| format!("{u}%"));
                w.line(1, &format!("{head}  (as a percentage of request):\t{current} / {target}"));
            }
        }
    }
    w.line(0, &format!("Min replicas:\t{}", spec.min_replicas.map_or("<unset>".to_string(), |m| m.to_string())));
    w.line(0, &format!("Max replicas:\t{}", spec.max_replicas));
    if let Some(behavior) = &spec.behavior {
        w.line(0, "Behavior:");
        direction_behavior(w, "Scale Up", behavior.scale_up.as_ref());
        direction_behavior(w, "Scale Down", behavior.scale_down.as_ref());
    }
    let (current, desired) = (status.current_replicas.unwrap_or(0), status.desired_replicas);
    w.line(0, &format!("{} pods:\t{current} current / {desired} desired", target.kind));
    if let Some(conditions) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tReason\tMessage");
        w.line(1, "----\t------\t------\t-------");
        for c in conditions {
            let (reason, message) = (c.reason.as_deref().unwrap_or(""), c.message.as_deref().unwrap_or(""));
            w.line(1, &format!("{}\t{}\t{reason}\t{message}", c.type_, c.status));
        }
    }
    events(context, w, meta, "HorizontalPodAutoscaler");
}

/// `printDirectionBehavior`.
fn direction_behavior(w: &mut Writer, direction: &str, rules: Option<&HPAScalingRules>) {
    let Some(rules) = rules else { return };
    w.line(1, &format!("{direction}:"));
    if let Some(window) = rules.stabilization_window_seconds {
        w.line(2, &format!("Stabilization Window: {window} seconds"));
    }
    let policies = rules.policies.as_deref().unwrap_or_default();
    if !policies.is_empty() {
        w.line(2, &format!("Select Policy: {}", rules.select_policy.as_deref().unwrap_or("Max")));
        w.line(2, "Policies:");
        for p in policies {
            w.line(3, &format!("- Type: {}\tValue: {}\tPeriod: {} seconds", p.type_, p.value, p.period_seconds));
        }
    }
}
