//! The eviction manager (`pkg/kubelet/eviction`), for memory. Every monitoring interval
//! (10 s) it observes `memory.available` (the machine's memory less what its pods' containers
//! use) against the default hard threshold `memory.available<100Mi`. While the threshold is
//! met the node reports MemoryPressure (and keeps reporting it for the pressure transition
//! period, 5 min, after it was last met), and one pod is evicted per pass in upstream's order
//! (`rankMemoryPressure`): pods using more than they request first, then lower priority first,
//! then the larger use above requests first.
use k8s_openapi::api::core::v1::NodeCondition;

use crate::api::{Key, Object};
use crate::apiserver::{format_quantity, timestamp, Client};

/// `evictionMonitoringPeriod`.
pub const MONITORING_INTERVAL_MS: u64 = 10_000;
/// `evictionPressureTransitionPeriod`.
const PRESSURE_TRANSITION_PERIOD_MS: u64 = 300_000;
/// The default hard eviction threshold, `memory.available<100Mi`.
const THRESHOLD_BYTES: u64 = 100 << 20;

/// What the manager remembers between passes.
#[derive(Default)]
pub struct EvictionManager {
    /// When the threshold was last met (`nodeConditionsLastObservedAt`).
    last_met_ms: Option<u64>,
    /// Whether the node reports MemoryPressure now.
    under_pressure: bool,
}

/// A running container as the ranking sees it.
pub struct ContainerMemory {
    pub name: String,
    /// Its working set, in bytes.
    pub usage: u64,
    /// Its memory request in bytes (0 without one), and as written in the spec.
    pub request: u64,
    pub request_text: String,
}

/// A pod the manager may evict.
pub struct Candidate {
    pub pod: Key,
    pub priority: i32,
    pub containers: Vec<ContainerMemory>,
}

impl Candidate {
    fn usage(&self) -> u64 {
        self.containers.iter().map(|c| c.usage).sum()
    }
    fn request(&self) -> u64 {
        self.containers.iter().map(|c| c.request).sum()
    }
    fn exceeds_requests(&self) -> bool {
        self.usage() > self.request()
    }
}

/// What one pass decided.
pub struct Decision {
    /// MemoryPressure's new status, when it changes.
    pub pressure_changed: Option<bool>,
    /// Whether the threshold is met now (the node gets an `EvictionThresholdMet` event).
    pub threshold_met: bool,
    /// The pod to evict, with the message it fails with.
    pub evict: Option<(Key, String)>,
}

impl EvictionManager {
    /// `synchronize`: observe, update the node condition, and pick at most one pod.
    pub fn synchronize(&mut self, capacity: u64, pods: &[Candidate], now: u64) -> Decision {
        let used = pods.iter().map(Candidate::usage).fold(0u64, u64::saturating_add);
        let available = capacity.saturating_sub(used);
        let threshold_met = available < THRESHOLD_BYTES;
        if threshold_met {
            self.last_met_ms = Some(now);
        }
        let pressure = self.last_met_ms.is_some_and(|at| now.saturating_sub(at) < PRESSURE_TRANSITION_PERIOD_MS);
        let pressure_changed = (pressure != self.under_pressure).then_some(pressure);
        self.under_pressure = pressure;
        let evict = threshold_met.then(|| rank(pods).first().map(|p| (p.pod.clone(), message(p, available)))).flatten();
        Decision { pressure_changed, threshold_met, evict }
    }
}

/// `rankMemoryPressure`: exceeds requests, then priority, then use above requests.
fn rank(pods: &[Candidate]) -> Vec<&Candidate> {
    let above = |p: &Candidate| i128::from(p.usage()) - i128::from(p.request());
    let mut ranked: Vec<&Candidate> = pods.iter().collect();
    ranked.sort_by(|a, b| {
        b.exceeds_requests().cmp(&a.exceeds_requests()).then(a.priority.cmp(&b.priority)).then_with(|| above(b).cmp(&above(a)))
    });
    ranked
}

/// `evictionMessage`, with upstream's trailing space.
fn message(pod: &Candidate, available: u64) -> String {
    let bytes = |b: u64| format_quantity("memory", i128::from(b).saturating_mul(1000));
    let mut message = format!("The node was low on resource: memory. Threshold quantity: 100Mi, available: {}. ", bytes(available));
    for c in pod.containers.iter().filter(|c| c.usage > c.request) {
        message.push_str(&format!(
            "Container {} was using {}, request is {}, has larger consumption of memory. ",
            c.name,
            bytes(c.usage),
            c.request_text
        ));
    }
    message
}

/// The kubelet's MemoryPressure condition setter, with the event it records on a change.
pub fn report_pressure(client: &mut Client, node: &str, pressure: bool) {
    let (status, reason, message, event) = if pressure {
        ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available", "NodeHasInsufficientMemory")
    } else {
        ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory")
    };
    let now = timestamp(client.now_ms());
    let updated = client.patch(&Key::new("Node", "", node), "update status", |o| {
        let Object::Node(n) = o else { return };
        let conditions = n.status.get_or_insert_with(Default::default).conditions.get_or_insert_with(Vec::new);
        let fresh = NodeCondition {
            type_: "MemoryPressure".to_string(),
            status: status.to_string(),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            last_heartbeat_time: Some(now.clone()),
            last_transition_time: Some(now.clone()),
        };
        match conditions.iter_mut().find(|c| c.type_ == "MemoryPressure") {
            Some(c) => *c = fresh,
            None => conditions.insert(0, fresh),
        }
    });
    if let Ok(node_object) = updated {
        client.event(&node_object, "Normal", event, format!("Node {node} status is now: {event}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, priority: i32, usage_mi: u64, request_mi: u64) -> Candidate {
        Candidate {
            pod: Key::new("Pod", "default", name),
            priority,
            containers: vec![ContainerMemory {
                name: name.to_string(),
                usage: usage_mi << 20,
                request: request_mi << 20,
                request_text: if request_mi == 0 { "0".to_string() } else { format!("{request_mi}Mi") },
            }],
        }
    }

    #[test]
    fn upstream_order_and_message() {
        let pods = [pod("within", 0, 50, 64), pod("important", 1000, 300, 0), pod("small", 0, 10, 0), pod("hog", 0, 7000, 0)];
        let order: Vec<&str> = rank(&pods).iter().map(|p| p.pod.name.as_str()).collect();
        assert_eq!(order, ["hog", "small", "important", "within"]);
        let mut manager = EvictionManager::default();
        let decision = manager.synchronize(7400 << 20, &pods, 0);
        assert_eq!(decision.pressure_changed, Some(true));
        let (key, message) = decision.evict.unwrap_or_else(|| (Key::new("Pod", "", ""), String::new()));
        assert_eq!(key.name, "hog");
        assert_eq!(
            message,
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 40Mi. \
             Container hog was using 7000Mi, request is 0, has larger consumption of memory. "
        );
        // The pressure outlives the threshold by the transition period.
        assert_eq!(manager.synchronize(8 << 30, &pods[..1], 10_000).pressure_changed, None);
        assert_eq!(manager.synchronize(8 << 30, &pods[..1], 299_999).pressure_changed, None);
        assert_eq!(manager.synchronize(8 << 30, &pods[..1], 300_000).pressure_changed, Some(false));
    }
}
