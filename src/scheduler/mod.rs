//! kube-scheduler: watches pods and nodes, keeps its own cache of what each node has been
//! given, and for each pending pod runs the filter plugins on every node, scores the nodes
//! that pass, and binds the pod to the best one through the API server.
pub mod plugins;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use k8s_openapi::api::core::v1::{Node, PodSpec, Toleration};

use crate::api::quantity::parse_milli;
pub use crate::api::scheduling::tolerates;
use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{set_pod_condition, Client, WatchEvent, WatchEventType};

use plugins::{FilterPlugin, Rejection, ScorePlugin};

/// Requested or allocatable resources: cpu in millicores, memory in bytes, and pods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub pods: i64,
}

impl Resources {
    fn add(&mut self, other: &Resources, sign: i64) {
        self.milli_cpu = self.milli_cpu.saturating_add(sign.saturating_mul(other.milli_cpu));
        self.memory = self.memory.saturating_add(sign.saturating_mul(other.memory));
    }
}

/// The scheduler's default request for a container that sets none, used only for scoring
/// (`pkg/scheduler/util/pod_resources.go`): 100 millicores and 200 MiB.
const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

fn quantity(
    map: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    name: &str,
    unit_divisor: i128,
) -> Option<i64> {
    let q = map?.get(name)?;
    let milli = parse_milli(&q.0).ok()?;
    let value = milli / unit_divisor + i128::from(milli % unit_divisor > 0);
    Some(value.clamp(0, i64::MAX as i128) as i64)
}

/// A pod's effective requests: the sum over its containers, or the largest init container if
/// that is more (`computePodResourceRequest`); and the same with the non-zero defaults.
pub fn pod_requests(spec: &PodSpec) -> (Resources, Resources) {
    let mut actual = Resources::default();
    let mut non_zero = Resources::default();
    for c in &spec.containers {
        let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let cpu = quantity(requests, "cpu", 1);
        let memory = quantity(requests, "memory", 1000);
        actual.milli_cpu = actual.milli_cpu.saturating_add(cpu.unwrap_or(0));
        actual.memory = actual.memory.saturating_add(memory.unwrap_or(0));
        non_zero.milli_cpu = non_zero.milli_cpu.saturating_add(cpu.unwrap_or(DEFAULT_MILLI_CPU_REQUEST));
        non_zero.memory = non_zero.memory.saturating_add(memory.unwrap_or(DEFAULT_MEMORY_REQUEST));
    }
    for c in spec.init_containers.iter().flatten() {
        let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        actual.milli_cpu = actual.milli_cpu.max(quantity(requests, "cpu", 1).unwrap_or(0));
        actual.memory = actual.memory.max(quantity(requests, "memory", 1000).unwrap_or(0));
    }
    (actual, non_zero)
}

/// A node's allocatable resources from its status.
pub fn allocatable(node: &Node) -> Resources {
    let alloc = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    Resources {
        milli_cpu: quantity(alloc, "cpu", 1).unwrap_or(0),
        memory: quantity(alloc, "memory", 1000).unwrap_or(0),
        pods: quantity(alloc, "pods", 1000).unwrap_or(0),
    }
}

/// What the scheduler's cache knows about a node: the node and what it has been given.
pub struct NodeInfo {
    pub node: Node,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub pod_count: i64,
}

/// The pod being scheduled, with what the plugins ask of it.
pub struct PodInfo {
    pub key: Key,
    pub requests: Resources,
    pub non_zero: Resources,
    pub tolerations: Vec<Toleration>,
    /// The pod's nodeSelector and affinity (the rest of this spec is left empty).
    pub placement: PodSpec,
}

impl PodInfo {
    fn of(key: Key, spec: &PodSpec) -> PodInfo {
        let (requests, non_zero) = pod_requests(spec);
        let placement = PodSpec { node_selector: spec.node_selector.clone(), affinity: spec.affinity.clone(), ..Default::default() };
        PodInfo { key, requests, non_zero, tolerations: spec.tolerations.clone().unwrap_or_default(), placement }
    }
}

pub struct Scheduler {
    nodes: BTreeMap<String, NodeInfo>,
    /// Pods counted on a node (bound, or assumed while their binding is in flight).
    assigned: HashMap<Key, (String, Resources, Resources)>,
    /// Pods waiting to be scheduled, at their latest version.
    pending: HashMap<Key, ObjectRef>,
    active: VecDeque<Key>,
    /// Pods that fit nowhere, waiting for a cluster event that may help.
    unschedulable: BTreeSet<Key>,
    filters: Vec<Box<dyn FilterPlugin>>,
    scorers: Vec<Box<dyn ScorePlugin>>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            nodes: BTreeMap::new(),
            assigned: HashMap::new(),
            pending: HashMap::new(),
            active: VecDeque::new(),
            unschedulable: BTreeSet::new(),
            filters: plugins::filters(),
            scorers: plugins::scorers(),
        }
    }
}

impl Scheduler {
    /// Whether this watch event concerns the scheduler (it watches pods and nodes).
    pub fn watches(event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Pod(_) | Object::Node(_))
    }

    pub fn has_work(&self) -> bool {
        !self.active.is_empty()
    }

    /// Updates the cache from a watch event and queues pods that need a node.
    pub fn on_event(&mut self, event: &WatchEvent) {
        let deleted = event.event_type == WatchEventType::Deleted;
        match &*event.object {
            Object::Node(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                if deleted {
                    self.nodes.remove(&name);
                    return;
                }
                let info = self.nodes.entry(name).or_insert_with(|| NodeInfo {
                    node: node.clone(),
                    allocatable: Resources::default(),
                    requested: Resources::default(),
                    non_zero_requested: Resources::default(),
                    pod_count: 0,
                });
                info.node = node.clone();
                info.allocatable = allocatable(node);
                self.retry_unschedulable();
            }
            Object::Pod(pod) => {
                let key = Key::of(&event.object);
                let spec = pod.spec.as_ref();
                let node = spec.and_then(|s| s.node_name.clone());
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
                let finished = matches!(phase, Some("Succeeded" | "Failed"));
                if deleted || finished {
                    self.pending.remove(&key);
                    self.unschedulable.remove(&key);
                    if self.forget(&key) {
                        self.retry_unschedulable();
                    }
                } else if let Some(node) = node {
                    self.pending.remove(&key);
                    if !self.assigned.contains_key(&key) {
                        if let Some(spec) = spec {
                            let info = PodInfo::of(key.clone(), spec);
                            self.assume(&info, &node);
                        }
                    }
                } else if spec.is_some_and(|s| s.scheduler_name.as_deref().unwrap_or("default-scheduler") == "default-scheduler")
                    && pod.metadata.deletion_timestamp.is_none()
                    && self.pending.insert(key.clone(), event.object.clone()).is_none()
                {
                    self.active.push_back(key);
                }
            }
            _ => {}
        }
    }

    /// Moves every unschedulable pod back to the active queue: something changed that may help.
    fn retry_unschedulable(&mut self) {
        let keys = std::mem::take(&mut self.unschedulable);
        self.active.extend(keys);
    }

    fn assume(&mut self, pod: &PodInfo, node: &str) {
        if let Some(info) = self.nodes.get_mut(node) {
            info.requested.add(&pod.requests, 1);
            info.non_zero_requested.add(&pod.non_zero, 1);
            info.pod_count += 1;
        }
        self.assigned.insert(pod.key.clone(), (node.to_string(), pod.requests, pod.non_zero));
    }

    /// Removes a pod from its node in the cache; true if it was counted somewhere.
    fn forget(&mut self, key: &Key) -> bool {
        let Some((node, requests, non_zero)) = self.assigned.remove(key) else { return false };
        if let Some(info) = self.nodes.get_mut(&node) {
            info.requested.add(&requests, -1);
            info.non_zero_requested.add(&non_zero, -1);
            info.pod_count -= 1;
        }
        true
    }

    /// One scheduling cycle for the pod at the head of the active queue.
    pub fn schedule_one(&mut self, client: &mut Client) {
        let Some(key) = self.active.pop_front() else { return };
        let Some(object) = self.pending.get(&key).cloned() else { return };
        let Object::Pod(pod) = &*object else { return };
        let Some(spec) = pod.spec.as_ref() else { return };
        let info = PodInfo::of(key.clone(), spec);

        let mut feasible: Vec<&NodeInfo> = Vec::new();
        let mut rejections: Vec<Rejection> = Vec::new();
        for node in self.nodes.values() {
            match self.filters.iter().try_for_each(|f| f.filter(&info, node)) {
                Ok(()) => feasible.push(node),
                Err(r) => rejections.push(r),
            }
        }
        if feasible.is_empty() {
            let message = fit_error(self.nodes.len(), &rejections);
            self.unschedulable.insert(key.clone());
            let now = client.now_ms();
            let _ = client.patch(&key, "update status", |o| {
                if let Object::Pod(p) = o {
                    let status = p.status.get_or_insert_with(Default::default);
                    set_pod_condition(status, "PodScheduled", "False", Some("Unschedulable"), Some(message.clone()), now);
                }
            });
            client.event(&object, "Warning", "FailedScheduling", message);
            return;
        }
        let chosen = self.select_host(&info, &feasible, client);
        self.assume(&info, &chosen);
        match client.bind(&key, &chosen) {
            Ok(bound) => {
                self.pending.remove(&key);
                client.event(&bound, "Normal", "Scheduled", format!("Successfully assigned {}/{} to {chosen}", key.namespace, key.name));
            }
            Err(_) => {
                self.forget(&key);
            }
        }
    }

    /// Scores the feasible nodes and picks the best, breaking ties uniformly at random with the
    /// cluster's RNG (reservoir sampling, as `selectHost` does).
    fn select_host(&self, pod: &PodInfo, feasible: &[&NodeInfo], client: &mut Client) -> String {
        let name = |n: &NodeInfo| n.node.metadata.name.clone().unwrap_or_default();
        if feasible.len() == 1 {
            return name(feasible[0]);
        }
        let mut totals = vec![0i64; feasible.len()];
        for plugin in &self.scorers {
            let mut scores: Vec<i64> = feasible.iter().map(|n| plugin.score(pod, n)).collect();
            plugin.normalize(&mut scores);
            for (total, s) in totals.iter_mut().zip(scores) {
                *total += s * plugin.weight();
            }
        }
        let (mut best, mut best_score, mut ties) = (0, i64::MIN, 0u64);
        for (i, &score) in totals.iter().enumerate() {
            if score > best_score {
                (best, best_score, ties) = (i, score, 1);
            } else if score == best_score {
                ties += 1;
                if client.rng().below(ties) == 0 {
                    best = i;
                }
            }
        }
        name(feasible[best])
    }
}

/// The FitError message (`framework.FitError.Error`): a histogram of reasons sorted as
/// strings, then what preemption would say.
pub fn fit_error(num_nodes: usize, rejections: &[Rejection]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut unresolvable, mut no_victims) = (0, 0);
    for r in rejections {
        for reason in &r.reasons {
            *counts.entry(reason.as_str()).or_default() += 1;
        }
        if r.resolvable_by_preemption {
            no_victims += 1;
        } else {
            unresolvable += 1;
        }
    }
    let mut histogram: Vec<String> = counts.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    histogram.sort();
    let mut preemption = Vec::new();
    if unresolvable > 0 {
        preemption.push(format!("{unresolvable} Preemption is not helpful for scheduling"));
    }
    if no_victims > 0 {
        preemption.push(format!("{no_victims} No preemption victims found for incoming pod"));
    }
    preemption.sort();
    format!(
        "0/{num_nodes} nodes are available: {}. preemption: 0/{num_nodes} nodes are available: {}.",
        histogram.join(", "),
        preemption.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_error_sorts_its_histogram_as_strings() {
        let taint = Rejection {
            plugin: "TaintToleration",
            reasons: vec!["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }".into()],
            resolvable_by_preemption: false,
        };
        let cpu = Rejection { plugin: "NodeResourcesFit", reasons: vec!["Insufficient cpu".into()], resolvable_by_preemption: true };
        let both = Rejection {
            plugin: "NodeResourcesFit",
            reasons: vec!["Insufficient cpu".into(), "Insufficient memory".into()],
            resolvable_by_preemption: true,
        };
        assert_eq!(
            fit_error(4, &[taint, cpu.clone(), cpu, both]),
            "0/4 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod."
        );
    }

    #[test]
    fn tolerations_match_as_the_api_defines() {
        let exists = Toleration { key: Some("k".into()), operator: Some("Exists".into()), ..Default::default() };
        assert!(tolerates(std::slice::from_ref(&exists), "k", "v", "NoSchedule"));
        assert!(!tolerates(&[exists], "other", "v", "NoSchedule"));
        let equal = Toleration { key: Some("k".into()), value: Some("v".into()), effect: Some("NoExecute".into()), ..Default::default() };
        assert!(tolerates(std::slice::from_ref(&equal), "k", "v", "NoExecute"));
        assert!(!tolerates(&[equal], "k", "v", "NoSchedule"));
    }
}
