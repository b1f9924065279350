//! The pods/eviction subresource (`pkg/registry/core/pod/storage/eviction.go`): a deletion
//! that asks the pod's PodDisruptionBudget first. The budget's `disruptionsAllowed` (kept by
//! the disruption controller) must be at least 1; the eviction then spends one, recording the
//! pod under `disruptedPods` so the controller does not count it twice, and deletes the pod.
use super::{timestamp, ApiError, Client, DeleteOptions};
use crate::api::labels::Selector;
use crate::api::{info, Key, Object};

/// `policy.EvictionsRetryAfter`'s message for a refused eviction.
pub const BUDGET_VIOLATION: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

impl Client<'_> {
    /// `POST pods/NAME/eviction` with the given grace period.
    pub fn evict(&mut self, pod: &Key, grace_seconds: Option<i64>) -> Result<(), ApiError> {
        self.api.record(self.who.clone(), super::Component::ApiServer, "create", format!("{}/eviction", pod.path()));
        let current = self.api.peek(pod).ok_or_else(|| ApiError::missing(pod))?;
        let Object::Pod(p) = &*current else { return Err(ApiError::missing(pod)) };
        let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
        // A finished or already terminating pod needs no budget.
        let exempt = matches!(phase, Some("Succeeded" | "Failed")) || p.metadata.deletion_timestamp.is_some();
        if !exempt {
            self.spend_budget(pod, p.metadata.labels.as_ref())?;
        }
        self.delete_with(pod, DeleteOptions { grace_period_seconds: grace_seconds, ..Default::default() }).map(|_| ())
    }

    fn spend_budget(&mut self, pod: &Key, labels: Option<&std::collections::BTreeMap<String, String>>) -> Result<(), ApiError> {
        let budgets: Vec<_> = self
            .api
            .peek_list(info("PodDisruptionBudget"), Some(&pod.namespace))
            .into_iter()
            .filter(|b| match &**b {
                Object::PodDisruptionBudget(b) => b
                    .spec
                    .as_ref()
                    .and_then(|s| s.selector.as_ref())
                    .and_then(|s| Selector::from_api(s).ok())
                    .is_some_and(|s| !s.0.is_empty() && s.matches(labels)),
                _ => false,
            })
            .collect();
        let budget = match budgets.as_slice() {
            [] => return Ok(()),
            [one] => one.clone(),
            _ => {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.".to_string(),
                ))
            }
        };
        let Object::PodDisruptionBudget(b) = &*budget else { return Ok(()) };
        let status = b.status.clone().unwrap_or_default();
        let observed = status.observed_generation.unwrap_or(0) >= b.metadata.generation.unwrap_or(0);
        if !observed || status.disruptions_allowed < 1 {
            return Err(ApiError::too_many_requests(BUDGET_VIOLATION.to_string()));
        }
        let now = timestamp(self.now_ms());
        let key = Key::of(&budget);
        let name = pod.name.clone();
        self.patch(&key, "update status", |o| {
            if let Object::PodDisruptionBudget(b) = o {
                let status = b.status.get_or_insert_with(Default::default);
                status.disruptions_allowed -= 1;
                status.disrupted_pods.get_or_insert_with(Default::default).insert(name, now);
            }
        })
        .map(|_| ())
    }
}
