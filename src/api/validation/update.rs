//! Update validation: what an update may not change (`Validate*Update`).
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{go_map, FieldError};
use crate::api::Object;

/// What an update may not change, as the `Validate*Update` functions check it.
pub fn validate_update(old: &Object, new: &Object) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match (old, new) {
        (Object::Deployment(o), Object::Deployment(n)) => {
            immutable_selector(o.spec.as_ref().map(|s| &s.selector), n.spec.as_ref().map(|s| &s.selector), &mut errs)
        }
        (Object::ReplicaSet(o), Object::ReplicaSet(n)) => {
            immutable_selector(o.spec.as_ref().map(|s| &s.selector), n.spec.as_ref().map(|s| &s.selector), &mut errs)
        }
        (Object::StatefulSet(o), Object::StatefulSet(n)) => {
            // Only these fields may change; the rest compares equal once they are blanked.
            let rest = |s: Option<&k8s_openapi::api::apps::v1::StatefulSetSpec>| {
                s.cloned().map(|mut s| {
                    s.replicas = None;
                    s.ordinals = None;
                    s.template = Default::default();
                    s.update_strategy = None;
                    s.persistent_volume_claim_retention_policy = None;
                    s.min_ready_seconds = None;
                    s
                })
            };
            if rest(o.spec.as_ref()) != rest(n.spec.as_ref()) {
                errs.push(FieldError::forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
            }
        }
        (Object::Secret(o), Object::Secret(n)) => {
            if o.type_ != n.type_ {
                errs.push(FieldError::immutable("type", format!("{:?}", n.type_.as_deref().unwrap_or(""))));
            }
            if o.immutable == Some(true) {
                immutable_data(n.immutable, o.data != n.data, &mut errs);
            }
        }
        (Object::ConfigMap(o), Object::ConfigMap(n)) if o.immutable == Some(true) => {
            immutable_data(n.immutable, o.data != n.data || o.binary_data != n.binary_data, &mut errs);
        }
        (Object::DaemonSet(o), Object::DaemonSet(n)) => {
            immutable_selector(o.spec.as_ref().map(|s| &s.selector), n.spec.as_ref().map(|s| &s.selector), &mut errs)
        }
        (Object::Job(o), Object::Job(n)) => {
            let (o, n) = (o.spec.as_ref(), n.spec.as_ref());
            immutable_selector(o.and_then(|s| s.selector.as_ref()), n.and_then(|s| s.selector.as_ref()), &mut errs);
            let completions = |s: Option<&k8s_openapi::api::batch::v1::JobSpec>| s.and_then(|s| s.completions);
            if completions(o) != completions(n) {
                errs.push(FieldError::immutable("spec.completions", completions(n).map_or("null".to_string(), |c| c.to_string())));
            }
            if o.map(|s| &s.template) != n.map(|s| &s.template) {
                // Go prints the whole core.PodTemplateSpec here; its shape, not its contents.
                errs.push(FieldError::immutable("spec.template", "core.PodTemplateSpec{...}".to_string()));
            }
        }
        _ => {}
    }
    errs
}

/// `ValidateConfigMapUpdate` / `ValidateSecretUpdate` for an object marked immutable.
fn immutable_data(now: Option<bool>, data_changed: bool, errs: &mut Vec<FieldError>) {
    if now != Some(true) {
        errs.push(FieldError::forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    if data_changed {
        errs.push(FieldError::forbidden("data", "field is immutable when `immutable` is set"));
    }
}

fn immutable_selector(old: Option<&LabelSelector>, new: Option<&LabelSelector>, errs: &mut Vec<FieldError>) {
    if old != new {
        // A missing selector is a nil pointer, which field.Error prints as "null".
        let empty = new.is_none_or(|s| s.match_labels.is_none() && s.match_expressions.is_none());
        let value = if empty { "\"null\"".to_string() } else { new.map(go_label_selector).unwrap_or_default() };
        errs.push(FieldError::immutable("spec.selector", value));
    }
}

/// `%#v` of a `metav1.LabelSelector`, as an immutable selector's error prints it.
fn go_label_selector(selector: &LabelSelector) -> String {
    let expressions = match &selector.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    let values = match &r.values {
                        None => "[]string(nil)".to_string(),
                        Some(v) => format!("[]string{{{}}}", v.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")),
                    };
                    format!("v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{values}}}", r.key, r.operator)
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!("v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{expressions}}}", go_map(selector.match_labels.as_ref()))
}
