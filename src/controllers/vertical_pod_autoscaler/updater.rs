//! The VPA updater (`pkg/updater`): each minute, for a VPA in Recreate mode (or Auto, which
//! VPA 1.x treats the same), it evicts through the Eviction API (so PodDisruptionBudgets hold)
//! the running pods whose requests are outside the recommended range [lowerBound, upperBound],
//! when the workload has at least 2 live replicas (`--min-replicas`) and at most half of them
//! per pass (`--eviction-tolerance` 0.5, at least one).
use super::{running_pods, selector, ControlLoop, Informers, INTERVAL_MS};
use crate::api::quantity::parse_milli;
use crate::api::vertical_pod_autoscaler::Resources;
use crate::api::{Key, Object, Pod, VerticalPodAutoscaler};
use crate::apiserver::Client;

const MIN_REPLICAS: usize = 2;
const EVICTION_TOLERANCE: f64 = 0.5;

#[derive(Default)]
pub struct Updater;

impl ControlLoop for Updater {
    const NAME: &'static str = "vpa-updater";

    fn sync(&mut self, informers: &mut Informers, key: &Key, client: &mut Client) {
        let Some(object) = informers.vpas.get(key).cloned() else { return };
        let Object::VerticalPodAutoscaler(vpa) = &*object else { return };
        informers.queue.add_at(key.clone(), client.now_ms().saturating_add(INTERVAL_MS));
        if vpa.update_mode() != "Recreate" {
            return;
        }
        let Some(selector) = selector(vpa, client) else { return };
        let pods = running_pods(informers.pods.values(), &key.namespace, &selector);
        if pods.len() < MIN_REPLICAS {
            return;
        }
        let mut budget = ((pods.len() as f64 * EVICTION_TOLERANCE) as usize).max(1);
        for pod in pods.into_iter().filter(|p| outside_range(p, vpa)) {
            if budget == 0 {
                break;
            }
            let name = pod.metadata.name.clone().unwrap_or_default();
            if client.evict(&Key::new("Pod", &key.namespace, &name), None).is_ok() {
                budget -= 1;
                let message = "Pod was evicted by VPA Updater to apply resource recommendation.".to_string();
                client.event(&Object::Pod(pod.clone()), "Normal", "EvictedByVPA", message);
                let message = format!("VPA Updater evicted Pod {name} to apply resource recommendation.");
                client.event(&object, "Normal", "EvictedPod", message);
            }
        }
    }
}

/// Whether a container's request of a recommended resource is below the lower bound or above
/// the upper bound (a missing request counts as zero).
fn outside_range(pod: &Pod, vpa: &VerticalPodAutoscaler) -> bool {
    let amount = |list: Option<&Resources>, r: &str| list.and_then(|l| l.get(r)).and_then(|q| parse_milli(&q.0).ok());
    pod.spec.iter().flat_map(|s| &s.containers).any(|c| {
        let Some(rec) = vpa.recommendation(&c.name) else { return false };
        let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        rec.target.keys().any(|r| {
            let request = amount(requests, r).unwrap_or(0);
            let below = amount(rec.lower_bound.as_ref(), r).is_some_and(|low| request < low);
            let above = amount(rec.upper_bound.as_ref(), r).is_some_and(|high| request > high);
            below || above
        })
    })
}
