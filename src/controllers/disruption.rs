//! The disruption controller (`pkg/controller/disruption`): keeps each PodDisruptionBudget's
//! status — how many of its pods are healthy (Ready), how many must stay healthy, and so how
//! many voluntary disruptions (evictions) are allowed now. The Eviction API reads
//! `disruptionsAllowed` and spends it.
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod_control::is_ready;
use super::{Controller, Store, WorkQueue};
use crate::api::labels::Selector;
use crate::api::{Key, Object};
use crate::apiserver::{timestamp, Client, WatchEvent};

#[derive(Default)]
pub struct DisruptionController {
    budgets: Store,
    pods: Store,
    queue: WorkQueue,
}

impl Controller for DisruptionController {
    fn name(&self) -> &'static str {
        "controllermanager"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::PodDisruptionBudget(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::PodDisruptionBudget(_) => {
                self.budgets.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(p) => {
                self.pods.apply(event);
                let namespace = p.metadata.namespace.as_deref();
                let labels = p.metadata.labels.as_ref();
                let mine: Vec<Key> = self
                    .budgets
                    .values()
                    .filter(|b| b.metadata().namespace.as_deref() == namespace && selector(b).is_some_and(|s| s.matches(labels)))
                    .map(|b| Key::of(b))
                    .collect();
                for key in mine {
                    self.queue.add(key);
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(budget) = self.budgets.get(key).cloned() else { return };
        let Object::PodDisruptionBudget(pdb) = &*budget else { return };
        let Some(selector) = selector(&budget) else { return };
        let pods: Vec<_> = self
            .pods
            .values()
            .filter_map(|p| match &**p {
                Object::Pod(pod) if pod.metadata.namespace == pdb.metadata.namespace && selector.matches(pod.metadata.labels.as_ref()) => {
                    Some(pod)
                }
                _ => None,
            })
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .collect();
        let old = pdb.status.clone().unwrap_or_default();
        // An eviction the API server granted but whose pod is not yet terminating.
        let disrupted: std::collections::BTreeMap<_, _> = old
            .disrupted_pods
            .iter()
            .flatten()
            .filter(|(name, _)| pods.iter().any(|p| p.metadata.name.as_ref() == Some(name)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let expected = i32::try_from(pods.len()).unwrap_or(i32::MAX);
        let healthy =
            i32::try_from(pods.iter().filter(|p| is_ready(p) && !disrupted.contains_key(p.metadata.name.as_deref().unwrap_or(""))).count())
                .unwrap_or(i32::MAX);
        let desired = desired_healthy(pdb, expected);
        let allowed = healthy.saturating_sub(desired).max(0);
        let now = timestamp(client.now_ms());
        let (status, reason) = if allowed > 0 { ("True", "SufficientPods") } else { ("False", "InsufficientPods") };
        let previous = old.conditions.iter().flatten().find(|c| c.type_ == "DisruptionAllowed");
        let condition = Condition {
            type_: "DisruptionAllowed".to_string(),
            status: status.to_string(),
            reason: reason.to_string(),
            message: String::new(),
            observed_generation: pdb.metadata.generation,
            last_transition_time: previous.filter(|c| c.status == status).map_or(now, |c| c.last_transition_time.clone()),
        };
        let new = PodDisruptionBudgetStatus {
            current_healthy: healthy,
            desired_healthy: desired,
            disruptions_allowed: allowed,
            expected_pods: expected,
            observed_generation: pdb.metadata.generation,
            disrupted_pods: Some(disrupted).filter(|d| !d.is_empty()),
            conditions: Some(vec![condition]),
        };
        if new != old {
            let _ = client.patch(key, "update status", |o| {
                if let Object::PodDisruptionBudget(b) = o {
                    b.status = Some(new);
                }
            });
        }
    }
}

fn selector(budget: &Object) -> Option<Selector> {
    let Object::PodDisruptionBudget(b) = budget else { return None };
    b.spec.as_ref()?.selector.as_ref().and_then(|s| Selector::from_api(s).ok())
}

/// How many pods must stay healthy: minAvailable, or expected − maxUnavailable; percentages
/// of the expected pods round up (`intstr.GetScaledValueFromIntOrPercent`).
fn desired_healthy(pdb: &PodDisruptionBudget, expected: i32) -> i32 {
    let scaled = |v: &IntOrString| match v {
        IntOrString::Int(n) => *n,
        IntOrString::String(s) => {
            let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            i32::try_from(percent.saturating_mul(i64::from(expected)).saturating_add(99) / 100).unwrap_or(i32::MAX)
        }
    };
    let spec = pdb.spec.as_ref();
    match (spec.and_then(|s| s.min_available.as_ref()), spec.and_then(|s| s.max_unavailable.as_ref())) {
        (Some(min), _) => scaled(min),
        (None, Some(max)) => expected.saturating_sub(scaled(max)).max(0),
        (None, None) => 0,
    }
}
