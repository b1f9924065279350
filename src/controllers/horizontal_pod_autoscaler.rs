//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler`), autoscaling/v2,
//! for CPU utilization metrics. Every 15 s (the sync period) it reads the pods' CPU from the
//! resource metrics API, computes `ceil(current × utilization / target)` with the 10%
//! tolerance and upstream's handling of unready and missing pods (`replica_calculator.go`),
//! keeps the highest recommendation of the last 5 minutes before scaling down
//! (stabilization), caps a scale-up at max(2 × current, 4), clamps to [min, max], and
//! scales the target, with upstream's events and conditions.
use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, MetricStatus, MetricValueStatus, ResourceMetricStatus,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::pod_control::is_ready;
use super::{Controller, Store, WorkQueue};
use crate::api::labels::Selector;
use crate::api::quantity::parse_milli;
use crate::api::{Key, Object};
use crate::apiserver::{timestamp, Client, WatchEvent};

/// `--horizontal-pod-autoscaler-sync-period`.
const SYNC_PERIOD_MS: u64 = 15_000;
/// `--horizontal-pod-autoscaler-tolerance`.
const TOLERANCE: f64 = 0.1;
/// `--horizontal-pod-autoscaler-downscale-stabilization`.
const DOWNSCALE_STABILIZATION_MS: u64 = 300_000;
const CPU_METRIC: &str = "cpu resource utilization (percentage of request)";

#[derive(Default)]
pub struct HorizontalPodAutoscalerController {
    hpas: Store,
    /// Per HPA: the recommendations of the stabilization window, (time, replicas).
    recommendations: BTreeMap<Key, Vec<(u64, i32)>>,
    queue: WorkQueue,
}

impl Controller for HorizontalPodAutoscalerController {
    fn name(&self) -> &'static str {
        "horizontal-pod-autoscaler"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::HorizontalPodAutoscaler(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        let known = self.hpas.get(&key).is_some();
        self.hpas.apply(event);
        // A new HPA is reconciled at once; after that the sync period drives it.
        if !known {
            self.queue.add(key);
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(object) = self.hpas.get(key).cloned() else {
            self.recommendations.remove(key);
            return;
        };
        let Object::HorizontalPodAutoscaler(hpa) = &*object else { return };
        self.queue.add_at(key.clone(), client.now_ms().saturating_add(SYNC_PERIOD_MS));
        let mut status = hpa.status.clone().unwrap_or_default();
        let outcome = self.reconcile(key, hpa, client);
        let now = client.now_ms();
        match outcome {
            Err(((condition, reason, message), current)) => {
                if current.is_some() {
                    status.current_replicas = current;
                }
                client.event(&object, "Warning", reason, message.clone());
                set_condition(&mut status.conditions, condition, "False", reason, &message, now);
                if condition == "ScalingActive" {
                    set_condition(
                        &mut status.conditions,
                        "AbleToScale",
                        "True",
                        "SucceededGetScale",
                        "the HPA controller was able to get the target's current scale",
                        now,
                    );
                }
            }
            Ok(result) => {
                status.current_replicas = Some(result.current);
                status.desired_replicas = result.desired;
                status.current_metrics = result.metric.map(|m| vec![m]);
                for (condition, value, reason, message) in &result.conditions {
                    set_condition(&mut status.conditions, condition, value, reason, message, now);
                }
                if result.desired != result.current {
                    let target = result.target.clone();
                    let desired = result.desired;
                    let scaled = client.patch(&target, "update scale", |o| match o {
                        Object::Deployment(d) => d.spec.get_or_insert_with(Default::default).replicas = Some(desired),
                        Object::ReplicaSet(r) => r.spec.get_or_insert_with(Default::default).replicas = Some(desired),
                        Object::StatefulSet(s) => s.spec.get_or_insert_with(Default::default).replicas = Some(desired),
                        _ => {}
                    });
                    match scaled {
                        Ok(_) => {
                            client.event(&object, "Normal", "SuccessfulRescale", format!("New size: {desired}; reason: {}", result.reason));
                            let message = format!("the HPA controller was able to update the target scale to {desired}");
                            set_condition(&mut status.conditions, "AbleToScale", "True", "SucceededRescale", &message, now);
                            status.last_scale_time = Some(timestamp(now));
                        }
                        Err(e) => {
                            let message = format!("the HPA controller was unable to update the target scale: {}", e.message);
                            client.event(&object, "Warning", "FailedRescale", message.clone());
                            set_condition(&mut status.conditions, "AbleToScale", "False", "FailedUpdateScale", &message, now);
                        }
                    }
                }
            }
        }
        status.observed_generation = hpa.metadata.generation;
        if hpa.status.as_ref() != Some(&status) {
            let _ = client.patch(key, "update status", |o| {
                if let Object::HorizontalPodAutoscaler(h) = o {
                    h.status = Some(status);
                }
            });
        }
    }
}

/// What one reconcile decided.
struct Outcome {
    target: Key,
    current: i32,
    desired: i32,
    reason: String,
    metric: Option<MetricStatus>,
    conditions: Vec<(&'static str, &'static str, &'static str, String)>,
}

/// A failed step: (condition, reason, message).
type Failure = (&'static str, &'static str, String);
/// A failed reconcile: the failure and the target's replicas, if it got that far.
type Failed = (Failure, Option<i32>);

impl HorizontalPodAutoscalerController {
    fn reconcile(&mut self, key: &Key, hpa: &HorizontalPodAutoscaler, client: &mut Client) -> Result<Outcome, Failed> {
        let spec = hpa.spec.clone().unwrap_or_default();
        let reference = &spec.scale_target_ref;
        let target = Key::new(
            match reference.kind.as_str() {
                "Deployment" => "Deployment",
                "ReplicaSet" => "ReplicaSet",
                "StatefulSet" => "StatefulSet",
                _ => "",
            },
            &key.namespace,
            &reference.name,
        );
        let fail_scale = |message: String| {
            ("AbleToScale", "FailedGetScale", format!("the HPA controller was unable to get the target's current scale: {message}"))
        };
        if target.kind.is_empty() {
            return Err((
                fail_scale(format!(
                    "no matches for kind {:?} in group {:?}",
                    reference.kind,
                    reference.api_version.as_deref().unwrap_or("").split('/').next().unwrap_or("")
                )),
                None,
            ));
        }
        let scaled = client.get(&target).map_err(|e| (fail_scale(e.message), None))?;
        let (current, selector) = replicas_and_selector(&scaled);
        let min = spec.min_replicas.unwrap_or(1);
        let max = spec.max_replicas;
        if current == 0 && min != 0 {
            let message = "scaling is disabled since the replica count of the target is zero".to_string();
            return Ok(Outcome {
                target,
                current,
                desired: 0,
                reason: String::new(),
                metric: None,
                conditions: vec![("ScalingActive", "False", "ScalingDisabled", message)],
            });
        }
        let mut conditions = Vec::new();
        let (proposal, reason, metric) = if current > max {
            (max, "Current number of replicas above Spec.MaxReplicas".to_string(), None)
        } else if current < min {
            (min, "Current number of replicas below Spec.MinReplicas".to_string(), None)
        } else {
            let target_utilization = spec
                .metrics
                .iter()
                .flatten()
                .find_map(|m| m.resource.as_ref().filter(|r| r.name == "cpu").and_then(|r| r.target.average_utilization))
                .ok_or((
                    ("ScalingActive", "FailedGetResourceMetric", "only cpu utilization metrics are supported here".to_string()),
                    Some(current),
                ))?;
            let selector = selector.and_then(|s| Selector::from_api(&s).ok()).unwrap_or_default();
            let (replicas, utilization, average) =
                self.cpu_replicas(client, &key.namespace, &selector, current, target_utilization).map_err(|f| (f, Some(current)))?;
            let message = format!("the HPA was able to successfully calculate a replica count from {CPU_METRIC}");
            conditions.push(("ScalingActive", "True", "ValidMetricFound", message));
            let metric = MetricStatus {
                type_: "Resource".to_string(),
                resource: Some(ResourceMetricStatus {
                    name: "cpu".to_string(),
                    current: MetricValueStatus {
                        average_utilization: Some(utilization),
                        average_value: Some(Quantity(format!("{average}m"))),
                        value: None,
                    },
                }),
                ..Default::default()
            };
            let reason = if replicas > current { format!("{CPU_METRIC} above target") } else { "All metrics below target".to_string() };
            (replicas, reason, Some(metric))
        };
        let now = client.now_ms();
        // spec.behavior's stabilization windows (defaulted when behavior is given).
        let windows = spec.behavior.as_ref().map(|b| {
            let seconds = |rules: Option<&k8s_openapi::api::autoscaling::v2::HPAScalingRules>, default: i32| {
                u64::try_from(rules.and_then(|r| r.stabilization_window_seconds).unwrap_or(default).max(0))
                    .unwrap_or(0)
                    .saturating_mul(1000)
            };
            (seconds(b.scale_up.as_ref(), 0), seconds(b.scale_down.as_ref(), 300))
        });
        let stabilized = self.stabilize(key, proposal, current, windows, now);
        conditions.push(if stabilized < proposal {
            (
                "AbleToScale",
                "True",
                "ScaleUpStabilized",
                "recent recommendations were lower than current one, applying the lowest recent recommendation".to_string(),
            )
        } else if stabilized > proposal {
            (
                "AbleToScale",
                "True",
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation".to_string(),
            )
        } else {
            ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size".to_string())
        });
        let (desired, limited) = limit(current, stabilized, min, max);
        conditions.push(match limited {
            None => ("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range".to_string()),
            Some((reason, message)) => ("ScalingLimited", "True", reason, message.to_string()),
        });
        Ok(Outcome { target, current, desired, reason, metric, conditions })
    }

    /// `GetResourceReplicas`: the replica count the pods' CPU use asks for, the utilization
    /// and the average use (millicores) of the ready pods.
    fn cpu_replicas(
        &self,
        client: &mut Client,
        namespace: &str,
        selector: &Selector,
        current: i32,
        target: i32,
    ) -> Result<(i32, i32, i64), Failure> {
        let metrics = client.pod_metrics(namespace);
        let pods = client.list(crate::api::info("Pod"), Some(namespace));
        let mut ready: Vec<(i64, i64)> = Vec::new();
        let mut unready: Vec<i64> = Vec::new();
        let mut missing: Vec<i64> = Vec::new();
        for object in &pods {
            let Object::Pod(pod) = &**object else { continue };
            let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
            if !selector.matches(pod.metadata.labels.as_ref()) || pod.metadata.deletion_timestamp.is_some() || phase == Some("Failed") {
                continue;
            }
            let request = cpu_request(pod).ok_or_else(|| {
                let message = format!(
                    "failed to get cpu utilization: missing request for cpu in pod {namespace}/{}",
                    pod.metadata.name.as_deref().unwrap_or("")
                );
                ("ScalingActive", "FailedGetResourceMetric", message)
            })?;
            match metrics.get(&Key::of(object)) {
                None => missing.push(request),
                Some(_) if phase == Some("Pending") || !is_ready(pod) => unready.push(request),
                Some(usage) => ready.push((i64::try_from(*usage).unwrap_or(i64::MAX), request)),
            }
        }
        if ready.is_empty() {
            let message =
                "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"
                    .to_string();
            return Err(("ScalingActive", "FailedGetResourceMetric", message));
        }
        let (ratio, utilization) = usage_ratio(&ready, target);
        let average = ready.iter().map(|(u, _)| u).sum::<i64>() / i64::try_from(ready.len()).unwrap_or(1);
        let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
        if !scale_up_with_unready && missing.is_empty() {
            if (1.0 - ratio).abs() <= TOLERANCE {
                return Ok((current, utilization, average));
            }
            return Ok((ceil(ratio * f64::from(count(ready.len()))), utilization, average));
        }
        let mut all = ready.clone();
        // Missing pods count as using their whole request when scaling down, nothing when up;
        // unready pods as nothing when scaling up.
        all.extend(missing.iter().map(|r| (if ratio < 1.0 { *r } else { 0 }, *r)));
        if scale_up_with_unready {
            all.extend(unready.iter().map(|r| (0, *r)));
        }
        let (new_ratio, _) = usage_ratio(&all, target);
        let flipped = (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0);
        if (1.0 - new_ratio).abs() <= TOLERANCE || flipped {
            return Ok((current, utilization, average));
        }
        let replicas = ceil(new_ratio * f64::from(count(all.len())));
        if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
            return Ok((current, utilization, average));
        }
        Ok((replicas, utilization, average))
    }

    /// Stabilization. Without spec.behavior (`stabilizeRecommendation`): the highest
    /// recommendation of the last 5 minutes. With it (`stabilizeRecommendationWithBehaviors`):
    /// the current count, raised to the lowest recommendation of the scale-up window and
    /// lowered to the highest of the scale-down window.
    fn stabilize(&mut self, key: &Key, proposal: i32, current: i32, windows: Option<(u64, u64)>, now: u64) -> i32 {
        let longest = windows.map_or(DOWNSCALE_STABILIZATION_MS, |(up, down)| up.max(down));
        let history = self.recommendations.entry(key.clone()).or_default();
        history.retain(|(at, _)| now.saturating_sub(*at) < longest);
        let within = |span: u64| history.iter().filter(move |(at, _)| now.saturating_sub(*at) < span).map(|(_, r)| *r);
        let stabilized = match windows {
            None => within(longest).fold(proposal, i32::max),
            Some((up, down)) => current.max(within(up).fold(proposal, i32::min)).min(within(down).fold(proposal, i32::max)),
        };
        history.push((now, proposal));
        stabilized
    }
}

/// `convertDesiredReplicasWithRules`: a scale-up is capped at max(2 × current, 4), and the
/// result clamped to [min, max]; returns why it was limited, if it was.
fn limit(current: i32, desired: i32, min: i32, max: i32) -> (i32, Option<(&'static str, &'static str)>) {
    let scale_up_limit = current.saturating_mul(2).max(4);
    let allowed = max.min(scale_up_limit);
    if desired < min {
        (min, Some(("TooFewReplicas", "the desired replica count is less than the minimum replica count")))
    } else if desired > allowed {
        let why = if scale_up_limit < max {
            ("ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
        } else {
            ("TooManyReplicas", "the desired replica count is more than the maximum replica count")
        };
        (allowed, Some(why))
    } else {
        (desired, None)
    }
}

/// (usage / request) relative to the target: `int32(Σusage·100/Σrequest) / target`.
fn usage_ratio(pods: &[(i64, i64)], target: i32) -> (f64, i32) {
    let usage: i64 = pods.iter().map(|(u, _)| *u).sum();
    let requests: i64 = pods.iter().map(|(_, r)| *r).sum::<i64>().max(1);
    let utilization = i32::try_from(usage.saturating_mul(100) / requests).unwrap_or(i32::MAX);
    (f64::from(utilization) / f64::from(target.max(1)), utilization)
}

fn ceil(value: f64) -> i32 {
    // Bounded by the pod count times a ratio of i32s: the cast saturates at worst.
    value.ceil() as i32
}

/// The pod's CPU request in millicores (the sum of its containers'), if every container has one.
fn cpu_request(pod: &k8s_openapi::api::core::v1::Pod) -> Option<i64> {
    let containers = &pod.spec.as_ref()?.containers;
    containers.iter().try_fold(0i64, |sum, c| {
        let q = c.resources.as_ref()?.requests.as_ref()?.get("cpu")?;
        Some(sum.saturating_add(i64::try_from(parse_milli(&q.0).ok()?).unwrap_or(i64::MAX)))
    })
}

fn replicas_and_selector(object: &Object) -> (i32, Option<LabelSelector>) {
    match object {
        Object::Deployment(d) => d.spec.as_ref().map_or((1, None), |s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        Object::ReplicaSet(r) => r.spec.as_ref().map_or((1, None), |s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        Object::StatefulSet(s) => s.spec.as_ref().map_or((1, None), |s| (s.replicas.unwrap_or(1), Some(s.selector.clone()))),
        _ => (0, None),
    }
}

/// Sets a condition, moving its lastTransitionTime only when its status changes.
fn set_condition(
    conditions: &mut Option<Vec<HorizontalPodAutoscalerCondition>>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: u64,
) {
    let list = conditions.get_or_insert_with(Vec::new);
    let fresh = HorizontalPodAutoscalerCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_transition_time: Some(timestamp(now)),
    };
    match list.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status == status {
                c.reason = fresh.reason;
                c.message = fresh.message;
            } else {
                *c = fresh;
            }
        }
        None => list.push(fresh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_cases() {
        // 3 pods requesting 500m using 400/450/500m against 50%: utilization 90, ratio 1.8 → 6.
        let pods = [(400, 500), (450, 500), (500, 500)];
        let (ratio, utilization) = usage_ratio(&pods, 50);
        assert_eq!((utilization, ceil(ratio * 3.0)), (90, 6));
        // Legacy scale-up limit: 1 → 10 is capped at 4, 3 → 20 at 6.
        assert_eq!(limit(1, 10, 1, 10).0, 4);
        assert_eq!(limit(3, 20, 1, 30).0, 6);
        assert_eq!(limit(3, 20, 1, 5), (5, Some(("TooManyReplicas", "the desired replica count is more than the maximum replica count"))));
    }

    #[test]
    fn stabilization_windows() {
        let key = Key::new("HorizontalPodAutoscaler", "default", "web");
        // Legacy: a scale-down waits for the highest recommendation of 5 minutes.
        let mut hpa = HorizontalPodAutoscalerController::default();
        assert_eq!(hpa.stabilize(&key, 6, 6, None, 0), 6);
        assert_eq!(hpa.stabilize(&key, 2, 6, None, 60_000), 6);
        assert_eq!(hpa.stabilize(&key, 2, 6, None, 300_001), 2);
        // Behavior with a 60 s scale-up window: a scale-up waits for the lowest recommendation.
        let mut hpa = HorizontalPodAutoscalerController::default();
        let windows = Some((60_000, 0));
        assert_eq!(hpa.stabilize(&key, 2, 2, windows, 0), 2);
        assert_eq!(hpa.stabilize(&key, 8, 2, windows, 30_000), 2);
        assert_eq!(hpa.stabilize(&key, 8, 2, windows, 61_000), 8);
    }
}
