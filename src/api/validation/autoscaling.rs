//! `pkg/apis/autoscaling/validation`: an HPA's spec.behavior (`validateBehavior`); and the
//! VerticalPodAutoscaler CRD's schema.
use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscalerBehavior};

use super::FieldError;

/// `MaxStabilizationWindowSeconds`: one hour.
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
/// `MaxPeriodSeconds`: half an hour.
const MAX_PERIOD_SECONDS: i32 = 1800;

pub(super) fn behavior(behavior: &HorizontalPodAutoscalerBehavior, errs: &mut Vec<FieldError>) {
    for (direction, rules) in [("scaleUp", &behavior.scale_up), ("scaleDown", &behavior.scale_down)] {
        if let Some(rules) = rules {
            scaling_rules(rules, &format!("spec.behavior.{direction}"), errs);
        }
    }
}

/// `validateScalingRules` and `validateScalingPolicy`.
fn scaling_rules(rules: &HPAScalingRules, path: &str, errs: &mut Vec<FieldError>) {
    if let Some(window) = rules.stabilization_window_seconds {
        let window_path = format!("{path}.stabilizationWindowSeconds");
        if window < 0 {
            errs.push(FieldError::invalid(&window_path, window.to_string(), "must be greater than or equal to zero"));
        }
        if window > MAX_STABILIZATION_WINDOW_SECONDS {
            let detail = format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}");
            errs.push(FieldError::invalid(&window_path, window.to_string(), &detail));
        }
    }
    super::one_of(&format!("{path}.selectPolicy"), rules.select_policy.as_deref(), &["Disabled", "Max", "Min"], errs);
    let policies = rules.policies.as_deref().unwrap_or_default();
    if policies.is_empty() {
        errs.push(FieldError::required(&format!("{path}.policies"), "must specify at least one Policy"));
    }
    for (i, policy) in policies.iter().enumerate() {
        let at = format!("{path}.policies[{i}]");
        if policy.type_ != "Pods" && policy.type_ != "Percent" {
            errs.push(FieldError::unsupported(&format!("{at}.type"), &policy.type_, &["Percent", "Pods"]));
        }
        if policy.value <= 0 {
            errs.push(FieldError::invalid(&format!("{at}.value"), policy.value.to_string(), "must be greater than zero"));
        }
        let period_path = format!("{at}.periodSeconds");
        if policy.period_seconds <= 0 {
            errs.push(FieldError::invalid(&period_path, policy.period_seconds.to_string(), "must be greater than zero"));
        }
        if policy.period_seconds > MAX_PERIOD_SECONDS {
            let detail = format!("must be less than or equal to {MAX_PERIOD_SECONDS}");
            errs.push(FieldError::invalid(&period_path, policy.period_seconds.to_string(), &detail));
        }
    }
}

/// The VPA CRD's schema checks: a targetRef, and an updateMode of its enum.
pub(super) fn vertical_pod_autoscaler(vpa: &crate::api::VerticalPodAutoscaler, errs: &mut Vec<FieldError>) {
    let spec = vpa.spec.as_ref();
    if spec.and_then(|s| s.target_ref.as_ref()).is_none() {
        errs.push(FieldError::required("spec.targetRef", ""));
    }
    let mode = spec.and_then(|s| s.update_policy.as_ref()).and_then(|p| p.update_mode.as_deref());
    super::one_of("spec.updatePolicy.updateMode", mode, &["Off", "Initial", "Recreate", "InPlaceOrRecreate", "Auto"], errs);
}
