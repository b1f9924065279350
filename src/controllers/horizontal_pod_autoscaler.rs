//! The HorizontalPodAutoscaler controller (`pkg/controller/podautoscaler`), autoscaling/v2,
//! for CPU utilization metrics. Every 15 s (the sync period) it reads the pods' CPU from the
//! resource metrics API, computes `ceil(current × utilization / target)` with the 10%
//! tolerance and upstream's handling of unready and missing pods (`replica_calculator.go`),
//! stabilizes the recommendation (without spec.behavior: the highest of the last 5 minutes,
//! a scale-up capped at max(2 × current, 4); with it: its stabilization windows and its rate
//! policies over the rescales of each policy's period, `horizontal.go`), clamps to
//! [min, max], and scales the target, with upstream's events and conditions.
use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    HPAScalingRules, HorizontalPodAutoscaler, HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerCondition, MetricStatus,
    MetricValueStatus, ResourceMetricStatus,
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
    /// Per HPA: what stabilization and the behavior policies look back on.
    history: BTreeMap<Key, History>,
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
            self.history.remove(key);
            return;
        };
        let Object::HorizontalPodAutoscaler(hpa) = &*object else { return };
        self.queue.add_at(key.clone(), client.now_ms().saturating_add(SYNC_PERIOD_MS));
        let mut status = hpa.status.clone().unwrap_or_default();
        let outcome = self.reconcile(key, hpa, client);
        let now = client.now_ms();
        // As upstream, AbleToScale comes first: set once the target's scale is read, then
        // refined by what follows.
        if !matches!(&outcome, Err(((condition, _, _), _)) if *condition == "AbleToScale") {
            let message = "the HPA controller was able to get the target's current scale";
            set_condition(&mut status.conditions, "AbleToScale", "True", "SucceededGetScale", message, now);
        }
        match outcome {
            Err(((condition, reason, message), current)) => {
                if current.is_some() {
                    status.current_replicas = current;
                }
                client.event(&object, "Warning", reason, message.clone());
                set_condition(&mut status.conditions, condition, "False", reason, &message, now);
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
                            let behavior = hpa.spec.as_ref().and_then(|s| s.behavior.as_ref());
                            self.record_scale(key, behavior, result.current, desired, now);
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

/// What one HPA's normalization looks back on.
#[derive(Default)]
struct History {
    /// Recent recommendations, (time, replicas): the stabilization windows.
    recommendations: Vec<(u64, i32)>,
    /// Rescales within the policies' periods, (time, replicas added) and (time, removed).
    scale_ups: Vec<(u64, i32)>,
    scale_downs: Vec<(u64, i32)>,
}

/// What one reconcile decided.
struct Outcome {
    target: Key,
    current: i32,
    desired: i32,
    reason: String,
    metric: Option<MetricStatus>,
    conditions: Conditions,
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
        // Out of range: straight back into it, without metrics or rate limits.
        let out_of_range = if current > max {
            Some((max, "Current number of replicas above Spec.MaxReplicas"))
        } else if current < min {
            Some((min, "Current number of replicas below Spec.MinReplicas"))
        } else {
            None
        };
        if let Some((desired, reason)) = out_of_range {
            return Ok(Outcome { target, current, desired, reason: reason.to_string(), metric: None, conditions: Vec::new() });
        }
        let mut conditions = Vec::new();
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
        let (proposal, utilization, average) =
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
        let reason = if proposal > current { format!("{CPU_METRIC} above target") } else { "All metrics below target".to_string() };
        let now = client.now_ms();
        let desired = match spec.behavior.as_ref() {
            None => self.normalize(key, Counts { current, proposal, min, max }, now, &mut conditions),
            Some(behavior) => self.normalize_with_behaviors(key, behavior, Counts { current, proposal, min, max }, now, &mut conditions),
        };
        Ok(Outcome { target, current, desired, reason, metric: Some(metric), conditions })
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

    /// `normalizeDesiredReplicas` (no spec.behavior): the highest recommendation of the last
    /// 5 minutes (`stabilizeRecommendation`), then the legacy limits.
    fn normalize(&mut self, key: &Key, counts: Counts, now: u64, conditions: &mut Conditions) -> i32 {
        let Counts { current, proposal, min, max } = counts;
        let history = self.history.entry(key.clone()).or_default();
        // A recommendation exactly at the cutoff still counts here (upstream: `Before(cutoff)`).
        history.recommendations.retain(|(at, _)| now.saturating_sub(*at) <= DOWNSCALE_STABILIZATION_MS);
        let stabilized = history.recommendations.iter().map(|(_, r)| *r).fold(proposal, i32::max);
        history.recommendations.push((now, proposal));
        conditions.push(if stabilized == proposal { ready_for_new_scale() } else { stabilized_condition(false) });
        let (desired, reason, message) = limit(current, stabilized, min, max);
        conditions.push(("ScalingLimited", if desired == stabilized { "False" } else { "True" }, reason, message.to_string()));
        desired
    }

    /// `normalizeDesiredReplicasWithBehaviors`: the stabilization windows of spec.behavior
    /// (`stabilizeRecommendationWithBehaviors`), then its rate policies
    /// (`convertDesiredReplicasWithBehaviorRate`).
    fn normalize_with_behaviors(
        &mut self,
        key: &Key,
        behavior: &HorizontalPodAutoscalerBehavior,
        counts: Counts,
        now: u64,
        conditions: &mut Conditions,
    ) -> i32 {
        let Counts { current, proposal, min, max } = counts;
        let up = Rules::of(behavior.scale_up.as_ref(), 0);
        // The scale-down window is left unset by defaulting; the controller's flag fills it
        // (`maybeInitScaleDownStabilizationWindow`).
        let down = Rules::of(behavior.scale_down.as_ref(), DOWNSCALE_STABILIZATION_MS);
        let history = self.history.entry(key.clone()).or_default();
        let within = |span: u64| history.recommendations.iter().filter(move |(at, _)| now.saturating_sub(*at) < span).map(|(_, r)| *r);
        let lowest = within(up.window_ms).fold(proposal, i32::min);
        let highest = within(down.window_ms).fold(proposal, i32::max);
        let stabilized = current.max(lowest).min(highest);
        let longest = up.window_ms.max(down.window_ms);
        history.recommendations.retain(|(at, _)| now.saturating_sub(*at) < longest);
        history.recommendations.push((now, proposal));
        conditions.push(if stabilized == proposal { ready_for_new_scale() } else { stabilized_condition(proposal >= current) });
        let (desired, reason, message) = if stabilized > current {
            let limit = up.scale_up_limit(current, history, now).max(current);
            if max > limit {
                clamp_above(stabilized, limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            } else {
                clamp_above(stabilized, max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            }
        } else if stabilized < current {
            let limit = down.scale_down_limit(current, history, now).min(current);
            if min < limit {
                clamp_below(
                    stabilized,
                    limit,
                    "ScaleDownLimit",
                    "the desired replica count is decreasing faster than the maximum scale rate",
                )
            } else {
                clamp_below(stabilized, min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            }
        } else {
            within_range(stabilized)
        };
        conditions.push(("ScalingLimited", if desired == stabilized { "False" } else { "True" }, reason, message.to_string()));
        desired
    }

    /// `storeScaleEvent`: with spec.behavior, a rescale counts against the policies of its
    /// direction for their periods.
    fn record_scale(&mut self, key: &Key, behavior: Option<&HorizontalPodAutoscalerBehavior>, from: i32, to: i32, now: u64) {
        let Some(behavior) = behavior else { return };
        let history = self.history.entry(key.clone()).or_default();
        let (rules, events, change) = if to > from {
            (behavior.scale_up.as_ref(), &mut history.scale_ups, to.saturating_sub(from))
        } else {
            (behavior.scale_down.as_ref(), &mut history.scale_downs, from.saturating_sub(to))
        };
        let longest = Rules::of(rules, 0).policies.iter().map(|p| p.period_ms).max().unwrap_or(0);
        events.retain(|(at, _)| now.saturating_sub(*at) < longest);
        events.push((now, change));
    }
}

/// What a normalization starts from: the target's replicas, the metrics' proposal, and the
/// HPA's bounds.
#[derive(Clone, Copy)]
struct Counts {
    current: i32,
    proposal: i32,
    min: i32,
    max: i32,
}

/// One direction of spec.behavior, with the defaults the controller applies.
struct Rules {
    window_ms: u64,
    select: SelectPolicy,
    policies: Vec<Policy>,
}

#[derive(Clone, Copy, PartialEq)]
enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

struct Policy {
    percent: bool,
    value: i32,
    period_ms: u64,
}

impl Rules {
    fn of(rules: Option<&HPAScalingRules>, default_window_ms: u64) -> Rules {
        let seconds = |s: i32| u64::try_from(s).unwrap_or(0).saturating_mul(1000);
        Rules {
            window_ms: rules.and_then(|r| r.stabilization_window_seconds).map_or(default_window_ms, seconds),
            select: match rules.and_then(|r| r.select_policy.as_deref()) {
                Some("Min") => SelectPolicy::Min,
                Some("Disabled") => SelectPolicy::Disabled,
                _ => SelectPolicy::Max,
            },
            policies: rules
                .and_then(|r| r.policies.as_ref())
                .into_iter()
                .flatten()
                .map(|p| Policy { percent: p.type_ == "Percent", value: p.value, period_ms: seconds(p.period_seconds) })
                .collect(),
        }
    }

    /// The replica count at the start of a policy's period: the current count without the
    /// changes made within it (`getReplicasChangePerPeriod`).
    fn period_start(current: i32, policy: &Policy, history: &History, now: u64) -> i32 {
        let changed = |events: &[(u64, i32)]| {
            events.iter().filter(|(at, _)| now.saturating_sub(*at) < policy.period_ms).fold(0i32, |sum, (_, n)| sum.saturating_add(*n))
        };
        current.saturating_sub(changed(&history.scale_ups)).saturating_add(changed(&history.scale_downs))
    }

    /// `calculateScaleUpLimitWithScalingRules`: the most replicas the policies allow now
    /// (`Max`: the largest change any policy allows; `Min`: the smallest).
    fn scale_up_limit(&self, current: i32, history: &History, now: u64) -> i32 {
        let proposals = self.policies.iter().map(|p| {
            let start = Self::period_start(current, p, history, now);
            if p.percent {
                // Rounded up, or a small target could never grow.
                ceil(f64::from(start) * (1.0 + f64::from(p.value) / 100.0))
            } else {
                start.saturating_add(p.value)
            }
        });
        match self.select {
            SelectPolicy::Disabled => current,
            SelectPolicy::Min => proposals.fold(i32::MAX, i32::min),
            SelectPolicy::Max => proposals.fold(i32::MIN, i32::max),
        }
    }

    /// `calculateScaleDownLimitWithBehaviors`: the fewest replicas the policies allow now.
    fn scale_down_limit(&self, current: i32, history: &History, now: u64) -> i32 {
        let proposals = self.policies.iter().map(|p| {
            let start = Self::period_start(current, p, history, now);
            if p.percent {
                // Go's int32() truncates toward zero.
                (f64::from(start) * (1.0 - f64::from(p.value) / 100.0)) as i32
            } else {
                start.saturating_sub(p.value)
            }
        });
        match self.select {
            SelectPolicy::Disabled => current,
            SelectPolicy::Min => proposals.fold(i32::MIN, i32::max),
            SelectPolicy::Max => proposals.fold(i32::MAX, i32::min),
        }
    }
}

/// The conditions one normalization sets: (type, status, reason, message).
type Conditions = Vec<(&'static str, &'static str, &'static str, String)>;

fn ready_for_new_scale() -> (&'static str, &'static str, &'static str, String) {
    ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size".to_string())
}

fn stabilized_condition(up: bool) -> (&'static str, &'static str, &'static str, String) {
    if up {
        (
            "AbleToScale",
            "True",
            "ScaleUpStabilized",
            "recent recommendations were lower than current one, applying the lowest recent recommendation".to_string(),
        )
    } else {
        (
            "AbleToScale",
            "True",
            "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation".to_string(),
        )
    }
}

/// A replica count and why it is what it is: (replicas, ScalingLimited reason, message).
type Limited = (i32, &'static str, &'static str);

fn within_range(desired: i32) -> Limited {
    (desired, "DesiredWithinRange", "the desired count is within the acceptable range")
}

fn clamp_above(desired: i32, limit: i32, reason: &'static str, message: &'static str) -> Limited {
    if desired > limit {
        (limit, reason, message)
    } else {
        within_range(desired)
    }
}

fn clamp_below(desired: i32, limit: i32, reason: &'static str, message: &'static str) -> Limited {
    if desired < limit {
        (limit, reason, message)
    } else {
        within_range(desired)
    }
}

/// `convertDesiredReplicasWithRules` (no spec.behavior): a scale-up is capped at
/// max(2 × current, 4), and the result clamped to [min, max].
fn limit(current: i32, desired: i32, min: i32, max: i32) -> Limited {
    let scale_up_limit = current.saturating_mul(2).max(4);
    if desired < min {
        (min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
    } else if max > scale_up_limit {
        clamp_above(desired, scale_up_limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
    } else {
        clamp_above(desired, max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
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
    use k8s_openapi::api::autoscaling::v2::HPAScalingPolicy;

    #[test]
    fn the_reference_cases() {
        // 3 pods requesting 500m using 400/450/500m against 50%: utilization 90, ratio 1.8 → 6.
        let pods = [(400, 500), (450, 500), (500, 500)];
        let (ratio, utilization) = usage_ratio(&pods, 50);
        assert_eq!((utilization, ceil(ratio * 3.0)), (90, 6));
        // Legacy scale-up limit: 1 → 10 is capped at 4, 3 → 20 at 6.
        assert_eq!(limit(1, 10, 1, 10).0, 4);
        assert_eq!(limit(3, 20, 1, 30).0, 6);
        assert_eq!(limit(3, 20, 1, 5), (5, "TooManyReplicas", "the desired replica count is more than the maximum replica count"));
    }

    /// A direction's selectPolicy and its policies: (type, value, periodSeconds).
    type Direction<'a> = (&'a str, &'a [(&'a str, i32, i32)]);

    fn behavior(up: Option<Direction>, down: Option<Direction>) -> HorizontalPodAutoscalerBehavior {
        let rules = |(select, policies): Direction| HPAScalingRules {
            select_policy: Some(select.to_string()),
            policies: Some(
                policies.iter().map(|(t, v, p)| HPAScalingPolicy { type_: t.to_string(), value: *v, period_seconds: *p }).collect(),
            ),
            stabilization_window_seconds: None,
            tolerance: None,
        };
        HorizontalPodAutoscalerBehavior { scale_up: up.map(rules), scale_down: down.map(rules) }
    }

    #[test]
    fn stabilization_windows() {
        let key = Key::new("HorizontalPodAutoscaler", "default", "web");
        let mut conditions = Vec::new();
        // Legacy: a scale-down waits for the highest recommendation of 5 minutes (inclusive).
        let mut hpa = HorizontalPodAutoscalerController::default();
        assert_eq!(hpa.normalize(&key, Counts { current: 6, proposal: 6, min: 1, max: 10 }, 0, &mut conditions), 6);
        assert_eq!(hpa.normalize(&key, Counts { current: 6, proposal: 2, min: 1, max: 10 }, 60_000, &mut conditions), 6);
        assert_eq!(hpa.normalize(&key, Counts { current: 6, proposal: 2, min: 1, max: 10 }, 300_000, &mut conditions), 6);
        assert_eq!(hpa.normalize(&key, Counts { current: 6, proposal: 2, min: 1, max: 10 }, 300_001, &mut conditions), 2);
        // Behavior with a 60 s scale-up window: a scale-up waits for the lowest recommendation.
        let mut b = behavior(Some(("Max", &[("Percent", 100, 15)])), Some(("Max", &[("Percent", 100, 15)])));
        if let (Some(up), Some(down)) = (b.scale_up.as_mut(), b.scale_down.as_mut()) {
            up.stabilization_window_seconds = Some(60);
            down.stabilization_window_seconds = Some(0);
        }
        let mut hpa = HorizontalPodAutoscalerController::default();
        assert_eq!(hpa.normalize_with_behaviors(&key, &b, Counts { current: 2, proposal: 2, min: 1, max: 10 }, 0, &mut conditions), 2);
        assert_eq!(hpa.normalize_with_behaviors(&key, &b, Counts { current: 2, proposal: 8, min: 1, max: 10 }, 30_000, &mut conditions), 2);
        assert_eq!(conditions.last().map(|c| c.2), Some("DesiredWithinRange"));
        assert_eq!(hpa.normalize_with_behaviors(&key, &b, Counts { current: 2, proposal: 8, min: 1, max: 10 }, 61_000, &mut conditions), 4);
        assert_eq!(conditions.last().map(|c| c.2), Some("ScaleUpLimit"));
    }

    #[test]
    fn rate_policies() {
        let key = Key::new("HorizontalPodAutoscaler", "default", "web");
        let mut conditions = Vec::new();
        // The defaults: scale up by max(4 pods, 100%) per 15 s.
        let b = behavior(Some(("Max", &[("Pods", 4, 15), ("Percent", 100, 15)])), Some(("Max", &[("Percent", 100, 15)])));
        let mut hpa = HorizontalPodAutoscalerController::default();
        assert_eq!(hpa.normalize_with_behaviors(&key, &b, Counts { current: 1, proposal: 20, min: 1, max: 30 }, 0, &mut conditions), 5);
        hpa.record_scale(&key, Some(&b), 1, 5, 0);
        // Within the period the 4 pods added count: nothing more yet.
        assert_eq!(
            hpa.normalize_with_behaviors(&key, &b, Counts { current: 5, proposal: 20, min: 1, max: 30 }, 10_000, &mut conditions),
            5
        );
        assert_eq!(conditions.last().map(|c| (c.1, c.2)), Some(("True", "ScaleUpLimit")));
        // After it, 100% of 5.
        assert_eq!(
            hpa.normalize_with_behaviors(&key, &b, Counts { current: 5, proposal: 20, min: 1, max: 30 }, 15_000, &mut conditions),
            10
        );
        // Max replicas bound before the rate does.
        assert_eq!(
            hpa.normalize_with_behaviors(&key, &b, Counts { current: 10, proposal: 50, min: 1, max: 12 }, 30_000, &mut conditions),
            12
        );
        assert_eq!(conditions.last().map(|c| c.2), Some("TooManyReplicas"));
        // Scale down by at most 1 pod or 10% per minute, whichever is more (Max) or less (Min).
        let down = |select| behavior(None, Some((select, &[("Pods", 1, 60), ("Percent", 10, 60)])));
        let b = down("Max");
        assert_eq!(Rules::of(b.scale_down.as_ref(), 0).scale_down_limit(40, &History::default(), 0), 36);
        let b = down("Min");
        assert_eq!(Rules::of(b.scale_down.as_ref(), 0).scale_down_limit(40, &History::default(), 0), 39);
        let b = down("Disabled");
        let mut hpa = HorizontalPodAutoscalerController::default();
        assert_eq!(hpa.normalize_with_behaviors(&key, &b, Counts { current: 40, proposal: 2, min: 1, max: 50 }, 0, &mut conditions), 40);
        assert_eq!(conditions.last().map(|c| c.2), Some("ScaleDownLimit"));
    }
}
