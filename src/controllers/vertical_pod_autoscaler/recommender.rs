//! The VPA recommender (`pkg/recommender/logic/recommender.go`, VPA 1.x defaults). Each
//! minute it reads the containers' use from the resource metrics API; a container's target is
//! the 90th percentile of its CPU samples and its peak memory, the lower and upper bounds the
//! 50th and 95th percentiles, each with the 15% safety margin
//! (`--recommendation-margin-fraction`); the bounds widen with little history (confidence
//! multipliers: upper × (1 + 1/days), lower × (1 + 0.001/days)^-2), every value is at least
//! the pod minimum shared among its containers (`--pod-recommendation-min-cpu-millicores=25`,
//! `--pod-recommendation-min-memory-mb=250`), and the container policy's minAllowed and
//! maxAllowed cap everything but uncappedTarget. Upstream keeps decaying histograms with
//! exponential buckets; here the percentiles are of the raw samples.
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{running_pods, selector, ControlLoop, Informers, INTERVAL_MS};
use crate::api::quantity::parse_milli;
use crate::api::vertical_pod_autoscaler::{
    ContainerResourcePolicy, RecommendedContainerResources, RecommendedPodResources, Resources, VerticalPodAutoscalerCondition,
};
use crate::api::{Key, Object, VerticalPodAutoscaler};
use crate::apiserver::{timestamp, Client};

const SAFETY_MARGIN: f64 = 0.15;
const POD_MIN_CPU_MILLI: f64 = 25.0;
const POD_MIN_MEMORY_BYTES: f64 = 250.0 * 1024.0 * 1024.0;
const DAY_MS: f64 = 86_400_000.0;
/// At most a week of minutely samples per container.
const MAX_SAMPLES: usize = 7 * 1440;

#[derive(Default)]
pub struct Recommender {
    /// Per VPA, per container name: what was observed.
    history: BTreeMap<Key, BTreeMap<String, History>>,
}

#[derive(Default)]
struct History {
    cpu_milli: Vec<u64>,
    memory_peak: u64,
    first_ms: u64,
    last_ms: u64,
    samples: u64,
}

impl ControlLoop for Recommender {
    const NAME: &'static str = "vpa-recommender";

    fn sync(&mut self, informers: &mut Informers, key: &Key, client: &mut Client) {
        let Some(object) = informers.vpas.get(key).cloned() else {
            self.history.remove(key);
            return;
        };
        let Object::VerticalPodAutoscaler(vpa) = &*object else { return };
        let now = client.now_ms();
        informers.queue.add_at(key.clone(), now.saturating_add(INTERVAL_MS));
        let Some(selector) = selector(vpa, client) else { return };
        let pods = running_pods(informers.pods.values(), &key.namespace, &selector);
        let metrics = client.container_metrics(&key.namespace);
        let history = self.history.entry(key.clone()).or_default();
        let mut names: Vec<String> = Vec::new();
        for pod in &pods {
            for c in pod.spec.iter().flat_map(|s| &s.containers) {
                if !names.contains(&c.name) {
                    names.push(c.name.clone());
                }
            }
            let Some(containers) = metrics.get(&Key::new("Pod", &key.namespace, pod.metadata.name.as_deref().unwrap_or(""))) else {
                continue;
            };
            for c in containers {
                let h = history.entry(c.name.clone()).or_insert_with(|| History { first_ms: now, ..Default::default() });
                h.cpu_milli.push(c.cpu_milli);
                if h.cpu_milli.len() > MAX_SAMPLES {
                    h.cpu_milli.remove(0);
                }
                h.memory_peak = h.memory_peak.max(c.memory);
                h.last_ms = now;
                h.samples = h.samples.saturating_add(1);
            }
        }
        let count = names.len().max(1) as f64;
        let recommendations: Vec<RecommendedContainerResources> =
            names.iter().filter_map(|name| recommend(name, history.get(name)?, policy(vpa, name), count)).collect();
        if recommendations.is_empty() {
            return;
        }
        let mut status = vpa.status.clone().unwrap_or_default();
        status.recommendation = Some(RecommendedPodResources { container_recommendations: Some(recommendations) });
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        if !conditions.iter().any(|c| c.type_ == "RecommendationProvided" && c.status == "True") {
            conditions.retain(|c| c.type_ != "RecommendationProvided");
            conditions.push(VerticalPodAutoscalerCondition {
                type_: "RecommendationProvided".to_string(),
                status: "True".to_string(),
                last_transition_time: Some(timestamp(now)),
                reason: None,
                message: None,
            });
        }
        if vpa.status.as_ref() != Some(&status) {
            let _ = client.patch(key, "update status", |o| {
                if let Object::VerticalPodAutoscaler(v) = o {
                    v.status = Some(status);
                }
            });
        }
    }
}

/// The container's policy: its own, else the `*` one.
fn policy<'a>(vpa: &'a VerticalPodAutoscaler, container: &str) -> Option<&'a ContainerResourcePolicy> {
    let policies = vpa.spec.as_ref()?.resource_policy.as_ref()?.container_policies.as_ref()?;
    let named = |n: &str| policies.iter().find(|p| p.container_name.as_deref() == Some(n));
    named(container).or_else(|| named("*"))
}

/// One container's recommendation, once its history spans some time.
fn recommend(
    name: &str,
    history: &History,
    policy: Option<&ContainerResourcePolicy>,
    containers: f64,
) -> Option<RecommendedContainerResources> {
    let confidence = (history.last_ms.saturating_sub(history.first_ms) as f64 / DAY_MS).min(history.samples as f64 / 1440.0);
    if confidence <= 0.0 {
        return None;
    }
    let upper_multiplier = 1.0 + 1.0 / confidence;
    let lower_multiplier = (1.0 + 0.001 / confidence).powi(-2);
    let margin = 1.0 + SAFETY_MARGIN;
    let cpu = |p: f64| percentile(&history.cpu_milli, p) * margin;
    let memory = history.memory_peak as f64 * margin;
    let controlled = policy.and_then(|p| p.controlled_resources.clone()).unwrap_or_else(|| vec!["cpu".to_string(), "memory".to_string()]);
    // (resource, lower, target, upper), each at least the pod minimum shared among containers.
    let estimates = [
        ("cpu", cpu(0.5) * lower_multiplier, cpu(0.9), cpu(0.95) * upper_multiplier, POD_MIN_CPU_MILLI / containers),
        ("memory", memory * lower_multiplier, memory, memory * upper_multiplier, POD_MIN_MEMORY_BYTES / containers),
    ];
    let mut out = RecommendedContainerResources { container_name: name.to_string(), ..Default::default() };
    let (mut lower, mut upper, mut uncapped) = (Resources::new(), Resources::new(), Resources::new());
    for (resource, low, target, high, min) in estimates {
        if !controlled.iter().any(|c| c == resource) {
            continue;
        }
        let cap = |v: f64| cap(resource, v.max(min), policy);
        uncapped.insert(resource.to_string(), quantity(resource, target.max(min)));
        out.target.insert(resource.to_string(), quantity(resource, cap(target)));
        lower.insert(resource.to_string(), quantity(resource, cap(low)));
        upper.insert(resource.to_string(), quantity(resource, cap(high)));
    }
    out.lower_bound = Some(lower);
    out.upper_bound = Some(upper);
    out.uncapped_target = Some(uncapped);
    Some(out)
}

fn percentile(samples: &[u64], p: f64) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let index = ((p * sorted.len() as f64).ceil() as usize).saturating_sub(1);
    sorted.get(index).map_or(0.0, |v| *v as f64)
}

/// A value in millicores (cpu) or bytes (memory) within the policy's minAllowed and maxAllowed.
fn cap(resource: &str, value: f64, policy: Option<&ContainerResourcePolicy>) -> f64 {
    let bound = |list: Option<&Resources>| {
        let milli = parse_milli(&list?.get(resource)?.0).ok()? as f64;
        Some(if resource == "cpu" { milli } else { milli / 1000.0 })
    };
    let min = bound(policy.and_then(|p| p.min_allowed.as_ref()));
    let max = bound(policy.and_then(|p| p.max_allowed.as_ref()));
    let value = min.map_or(value, |m| value.max(m));
    max.map_or(value, |m| value.min(m))
}

/// VPA's quantities: millicores (`587m`), and bytes in DecimalSI (`262144k`).
fn quantity(resource: &str, value: f64) -> Quantity {
    // Go's int64() conversion truncates; the float is finite and far below i64::MAX here.
    let n = value as i64;
    if resource == "cpu" {
        // Whole cores print without the milli suffix, as a canonical Quantity does.
        return Quantity(if n != 0 && n % 1000 == 0 { (n / 1000).to_string() } else { format!("{n}m") });
    }
    let mut text = n.to_string();
    for (suffix, size) in [
        ("E", 1_000_000_000_000_000_000i64),
        ("P", 1_000_000_000_000_000),
        ("T", 1_000_000_000_000),
        ("G", 1_000_000_000),
        ("M", 1_000_000),
        ("k", 1_000),
    ] {
        if n != 0 && n % size == 0 {
            text = format!("{}{suffix}", n / size);
            break;
        }
    }
    Quantity(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimums_margin_and_confidence() {
        // One day of history: upper bound × 2, lower bound × (1.001)^-2.
        let history = History { cpu_milli: vec![10; 1440], memory_peak: 100 << 20, first_ms: 0, last_ms: 86_400_000, samples: 1440 };
        let r = recommend("app", &history, None, 1.0).unwrap_or_default();
        // 10m × 1.15 is below the 25m minimum; 100Mi × 1.15 below 250Mi, which prints 262144k.
        assert_eq!(r.target.get("cpu"), Some(&Quantity("25m".into())));
        assert_eq!(r.target.get("memory"), Some(&Quantity("262144k".into())));
        let busy = History { cpu_milli: (1..=100).map(|i| i * 10).collect(), ..history };
        let r = recommend("app", &busy, None, 1.0).unwrap_or_default();
        // p90 of 10..1000m is 900m; × 1.15 = 1035m; p95 950m × 1.15 × 2 = 2185m.
        assert_eq!(r.target.get("cpu"), Some(&Quantity("1035m".into())));
        assert_eq!(r.upper_bound.and_then(|u| u.get("cpu").cloned()), Some(Quantity("2185m".into())));
        let policy = ContainerResourcePolicy {
            max_allowed: Some(Resources::from([("cpu".to_string(), Quantity("500m".into()))])),
            ..Default::default()
        };
        let r = recommend("app", &busy, Some(&policy), 1.0).unwrap_or_default();
        assert_eq!(r.target.get("cpu"), Some(&Quantity("500m".into())));
        assert_eq!(r.uncapped_target.and_then(|u| u.get("cpu").cloned()), Some(Quantity("1035m".into())));
    }
}
