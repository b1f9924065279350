//! kube-scheduler: watches pods, nodes and the objects its plugins read, keeps its own cache
//! of what each node has been given, and for each pod the queue hands it runs one scheduling
//! cycle (`framework.rs`): filters, scores, binds through the API server, or, when the pod
//! fits nowhere, tries preemption and reports the FitError. The latest decision for each pod
//! is kept for `sim explain`.
pub mod cache;
pub mod config;
pub mod framework;
pub mod plugins;
mod preemption;
pub mod queue;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;

use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{set_pod_condition, Client, WatchEvent, WatchEventType};

pub use cache::{allocatable, pod_requests};
use cache::{ImageNodes, NamespaceLabels, NodeInfo, PodInfo};
use config::Config;
pub use framework::Decision;
use framework::Framework;
use plugins::Cycle;
use queue::{ClusterEvent, SchedulingQueue};

/// The kinds the scheduler's informers cache besides pods and nodes.
const CACHED_KINDS: &[&str] =
    &["Service", "ReplicaSet", "StatefulSet", "PersistentVolumeClaim", "PersistentVolume", "PodDisruptionBudget", "Namespace"];

/// How many node verdicts the kept decisions may hold in all; the oldest decisions are
/// dropped beyond it, so that large clusters do not keep every cycle of every pod.
const DECISION_BUDGET: usize = 200_000;

/// What the plugins read besides nodes and pods: the scheduler's informer caches.
#[derive(Default)]
pub struct Informers {
    objects: BTreeMap<Key, ObjectRef>,
    pub namespace_labels: NamespaceLabels,
}

impl Informers {
    pub fn get(&self, key: &Key) -> Option<ObjectRef> {
        self.objects.get(key).cloned()
    }

    /// The cached objects of a kind in a namespace ("" for cluster-scoped kinds).
    pub fn in_namespace<'a>(&'a self, kind: &'static str, namespace: &str) -> impl Iterator<Item = &'a ObjectRef> + 'a {
        let from = Key::new(kind, namespace, "");
        let namespace = namespace.to_string();
        self.objects.range(from..).take_while(move |(k, _)| k.kind == kind && k.namespace == namespace).map(|(_, o)| o)
    }

    fn all_of(&self, kind: &'static str) -> Vec<ObjectRef> {
        self.objects.range(Key::new(kind, "", "")..).take_while(|(k, _)| k.kind == kind).map(|(_, o)| o.clone()).collect()
    }
}

pub struct Scheduler {
    config: Config,
    frameworks: Vec<Framework>,
    /// Nodes in name order; `node_index` finds one by name.
    nodes: Vec<NodeInfo>,
    node_index: HashMap<Arc<str>, usize>,
    image_nodes: ImageNodes,
    /// Pods counted on a node (bound, or assumed while their binding is in flight).
    assigned: HashMap<Key, Arc<str>>,
    /// Pods this scheduler bound that its informer has not yet reported bound.
    assumed: HashSet<Key>,
    /// Pods bound to a node the cache does not have (yet, or any more).
    orphans: HashMap<Key, Arc<PodInfo>>,
    /// Pods waiting to be scheduled, at their latest version.
    pending: HashMap<Key, Arc<Pod>>,
    /// Pending pods that preemption nominated to a node, by node.
    nominated: HashMap<Arc<str>, Vec<Arc<PodInfo>>>,
    queue: SchedulingQueue,
    objects: Informers,
    /// Gated pods whose SchedulingGated condition is still to be written.
    gated_to_report: BTreeSet<Key>,
    decisions: HashMap<Key, Decision>,
    decision_order: VecDeque<Key>,
    decision_verdicts: usize,
    next_start_node_index: usize,
    next_node_id: u64,
}

impl Default for Scheduler {
    fn default() -> Self {
        let config = Config::default();
        Scheduler {
            frameworks: config.profiles.iter().cloned().map(Framework::new).collect(),
            config,
            nodes: Vec::new(),
            node_index: HashMap::new(),
            image_nodes: ImageNodes::default(),
            assigned: HashMap::new(),
            assumed: HashSet::new(),
            orphans: HashMap::new(),
            pending: HashMap::new(),
            nominated: HashMap::new(),
            queue: SchedulingQueue::default(),
            objects: Informers::default(),
            gated_to_report: BTreeSet::new(),
            decisions: HashMap::new(),
            decision_order: VecDeque::new(),
            decision_verdicts: 0,
            next_start_node_index: 0,
            next_node_id: 0,
        }
    }
}

fn pod_of(object: &Object) -> Option<&Pod> {
    match object {
        Object::Pod(p) => Some(p),
        _ => None,
    }
}

/// Whether a pod changed in a way that may change where it fits (`isPodUpdated`: anything
/// but its status and bookkeeping).
fn pod_changed(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec || old.metadata.labels != new.metadata.labels || old.metadata.annotations != new.metadata.annotations
}

/// Whether a node changed in a way that may help unschedulable pods (the node events the
/// plugins register for: allocatable, labels, taints, unschedulable). New images are not
/// one (`NodeSchedulingPropertiesChange`): they only change scores.
fn node_changed(old: &NodeInfo, new: &k8s_openapi::api::core::v1::Node) -> bool {
    old.allocatable != cache::allocatable(new) || old.node.metadata.labels != new.metadata.labels || old.node.spec != new.spec
}

impl Scheduler {
    /// Whether this watch event concerns the scheduler.
    pub fn watches(event: &WatchEvent) -> bool {
        let kind = event.object.kind().kind;
        kind == "Pod" || kind == "Node" || CACHED_KINDS.contains(&kind)
    }

    pub fn has_work(&self) -> bool {
        self.queue.has_active() || !self.gated_to_report.is_empty()
    }

    /// When the queue next moves pods on its own (backoff over, or the periodic flush of
    /// pods unschedulable for five minutes); the cluster wakes the scheduler then.
    pub fn next_due(&self) -> Option<u64> {
        self.queue.next_due()
    }

    /// Moves the pods whose time has come into activeQ.
    pub fn wake(&mut self, now: u64) {
        self.queue.flush(now);
    }

    /// The latest scheduling decision for a pod, if the scheduler still keeps one.
    pub fn decision(&self, pod: &Key) -> Option<&Decision> {
        self.decisions.get(pod)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the configuration (already validated); the queue keeps its pods.
    pub fn configure(&mut self, config: Config) {
        self.queue.set_backoff(config.pod_initial_backoff_ms, config.pod_max_backoff_ms);
        self.frameworks = config.profiles.iter().cloned().map(Framework::new).collect();
        self.config = config;
    }

    /// Updates the cache from a watch event and queues pods that need a node.
    pub fn on_event(&mut self, event: &WatchEvent, now: u64) {
        let deleted = event.event_type == WatchEventType::Deleted;
        match &*event.object {
            Object::Node(node) => self.on_node(node, deleted, now),
            Object::Pod(_) => self.on_pod(&event.object, deleted, now),
            object => {
                let key = Key::of(object);
                if let Object::Namespace(ns) = object {
                    let labels = ns.metadata.labels.clone().unwrap_or_default();
                    self.objects.namespace_labels.insert(key.name.clone(), labels);
                    self.queue.on_cluster_event(ClusterEvent::NamespaceChange, now);
                }
                if deleted {
                    self.objects.objects.remove(&key);
                } else {
                    self.objects.objects.insert(key.clone(), event.object.clone());
                }
                if matches!(key.kind, "PersistentVolumeClaim" | "PersistentVolume") {
                    self.queue.on_cluster_event(ClusterEvent::VolumeChange, now);
                }
            }
        }
    }

    fn on_node(&mut self, node: &k8s_openapi::api::core::v1::Node, deleted: bool, now: u64) {
        let name = node.metadata.name.as_deref().unwrap_or("");
        let existing = self.node_index.get(name).copied();
        match (existing, deleted) {
            (Some(i), true) => {
                let gone = self.nodes.remove(i);
                self.node_index.remove(&gone.name);
                self.image_nodes.remove(&gone);
                for pod in gone.pods {
                    self.orphans.insert(pod.key.clone(), pod);
                }
                self.reindex_from(i);
            }
            (Some(i), false) => {
                let Some(info) = self.nodes.get_mut(i) else { return };
                let changed = node_changed(info, node);
                self.image_nodes.remove(info);
                info.set_node(Arc::new(node.clone()));
                self.image_nodes.add(info);
                if changed {
                    self.queue.on_cluster_event(ClusterEvent::NodeUpdate, now);
                }
            }
            (None, false) => {
                self.next_node_id += 1;
                let mut info = NodeInfo::new(self.next_node_id, Arc::new(node.clone()));
                // Pods bound to the node before the scheduler saw it.
                let here: Vec<Key> = self.assigned.iter().filter(|(_, on)| **on == info.name).map(|(k, _)| k.clone()).collect();
                for key in here {
                    if let Some(pod) = self.orphans.remove(&key) {
                        info.add_pod(pod);
                    }
                }
                self.image_nodes.add(&info);
                let at = self.nodes.partition_point(|n| n.name < info.name);
                self.nodes.insert(at, info);
                self.reindex_from(at);
                self.queue.on_cluster_event(ClusterEvent::NodeAdd, now);
            }
            (None, true) => {}
        }
    }

    /// Updates the positions of the nodes from `at` on, after an insertion or removal there.
    fn reindex_from(&mut self, at: usize) {
        for (i, n) in self.nodes.iter().enumerate().skip(at) {
            self.node_index.insert(n.name.clone(), i);
        }
    }

    fn on_pod(&mut self, object: &ObjectRef, deleted: bool, now: u64) {
        let Some(pod) = pod_of(object) else { return };
        let key = Key::of(object);
        let spec = pod.spec.as_ref();
        let node = spec.and_then(|s| s.node_name.clone()).filter(|n| !n.is_empty());
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        let finished = matches!(phase, Some("Succeeded" | "Failed"));
        if deleted || finished {
            self.pending.remove(&key);
            self.unnominate(&key);
            self.queue.remove(&key);
            self.gated_to_report.remove(&key);
            if deleted {
                self.forget_decision(&key);
            }
            self.assumed.remove(&key);
            if self.forget(&key) {
                self.queue.on_cluster_event(ClusterEvent::AssignedPodDelete, now);
            }
            return;
        }
        let pod = Arc::new(pod.clone());
        if let Some(node) = node {
            self.pending.remove(&key);
            self.unnominate(&key);
            self.queue.remove(&key);
            self.gated_to_report.remove(&key);
            let Ok(info) = PodInfo::of(key.clone(), pod) else { return };
            // Bound as far as the informer is concerned for the first time (AssignedPodAdd).
            let fresh = !self.assigned.contains_key(&key) || self.assumed.remove(&key);
            // The cache keeps the latest version (labels, deletion), on the node it is bound to.
            self.forget(&key);
            self.assume(Arc::new(info), &node);
            if fresh {
                self.queue.on_cluster_event(ClusterEvent::AssignedPodAdd, now);
            }
            return;
        }
        let ours = spec.is_some_and(|s| {
            let name = s.scheduler_name.as_deref().unwrap_or("default-scheduler");
            self.frameworks.iter().any(|f| f.profile.scheduler_name == name)
        });
        if !ours || pod.metadata.deletion_timestamp.is_some() {
            return;
        }
        let gated = spec.and_then(|s| s.scheduling_gates.as_ref()).is_some_and(|g| !g.is_empty());
        let changed = self.pending.get(&key).is_none_or(|old| pod_changed(old, &pod));
        if gated && !has_gated_condition(&pod) {
            self.gated_to_report.insert(key.clone());
        }
        let priority = spec.and_then(|s| s.priority).unwrap_or(0);
        self.unnominate(&key);
        if let Some(node) = pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).filter(|n| !n.is_empty()) {
            if let Ok(info) = PodInfo::of(key.clone(), pod.clone()) {
                self.nominated.entry(node.into()).or_default().push(Arc::new(info));
            }
        }
        self.pending.insert(key.clone(), pod);
        if changed || !self.queue.contains(&key) {
            self.queue.add_or_update(&key, priority, gated, now);
        }
    }

    /// Forgets a pod's nomination (it was bound, deleted, or nominated elsewhere).
    fn unnominate(&mut self, key: &Key) {
        if self.nominated.is_empty() {
            return;
        }
        for pods in self.nominated.values_mut() {
            pods.retain(|p| p.key != *key);
        }
        self.nominated.retain(|_, pods| !pods.is_empty());
    }

    fn assume(&mut self, pod: Arc<PodInfo>, node: &str) {
        let Some(&i) = self.node_index.get(node) else {
            self.assigned.insert(pod.key.clone(), node.into());
            self.orphans.insert(pod.key.clone(), pod);
            return;
        };
        let Some(info) = self.nodes.get_mut(i) else { return };
        self.assigned.insert(pod.key.clone(), info.name.clone());
        info.add_pod(pod);
    }

    /// Removes a pod from its node in the cache; true if it was counted somewhere.
    fn forget(&mut self, key: &Key) -> bool {
        let Some(node) = self.assigned.remove(key) else { return false };
        self.orphans.remove(key);
        if let Some(info) = self.node_index.get(&node).and_then(|i| self.nodes.get_mut(*i)) {
            info.remove_pod(key);
        }
        true
    }

    fn keep_decision(&mut self, decision: Decision) {
        let key = decision.pod.clone();
        self.forget_decision(&key);
        self.decision_verdicts += decision.nodes.len();
        self.decisions.insert(key.clone(), decision);
        self.decision_order.push_back(key);
        while self.decision_verdicts > DECISION_BUDGET && self.decisions.len() > 1 {
            let Some(oldest) = self.decision_order.pop_front() else { break };
            if let Some(d) = self.decisions.remove(&oldest) {
                self.decision_verdicts = self.decision_verdicts.saturating_sub(d.nodes.len());
            }
        }
    }

    fn forget_decision(&mut self, key: &Key) {
        if let Some(d) = self.decisions.remove(key) {
            self.decision_verdicts = self.decision_verdicts.saturating_sub(d.nodes.len());
            if let Some(i) = self.decision_order.iter().position(|k| k == key) {
                self.decision_order.remove(i);
            }
        }
    }

    /// Writes the SchedulingGated condition of gated pods, then runs one scheduling cycle
    /// for the pod at the head of activeQ.
    pub fn schedule_one(&mut self, client: &mut Client) {
        for key in std::mem::take(&mut self.gated_to_report) {
            let now = client.now_ms();
            let _ = client.patch(&key, "update status", |o| {
                if let Object::Pod(p) = o {
                    let status = p.status.get_or_insert_with(Default::default);
                    let message = "Scheduling is blocked due to non-empty scheduling gates".to_string();
                    set_pod_condition(status, "PodScheduled", "False", Some("SchedulingGated"), Some(message), now);
                }
            });
        }
        let Some(key) = self.queue.pop() else { return };
        let Some(pod) = self.pending.get(&key).cloned() else { return };
        let now = client.now_ms();
        let info = match PodInfo::of(key.clone(), pod.clone()) {
            Ok(info) => info,
            Err(e) => {
                self.fail(client, &key, &pod, "SchedulerError", e, None);
                self.queue.backoff(&key, now);
                return;
            }
        };
        let scheduler_name = pod.spec.as_ref().and_then(|s| s.scheduler_name.as_deref()).unwrap_or("default-scheduler");
        let Some(fw) = self.frameworks.iter_mut().find(|f| f.profile.scheduler_name == scheduler_name) else { return };
        let cx =
            Cycle { pod: &info, nodes: &self.nodes, image_nodes: &self.image_nodes, objects: &self.objects, nominated: &self.nominated };
        let (decision, processed) = fw.schedule(&cx, self.next_start_node_index, self.config.percentage_of_nodes_to_score, client.rng());
        if !self.nodes.is_empty() {
            self.next_start_node_index = (self.next_start_node_index + processed) % self.nodes.len();
        }
        if let Some(node) = decision.node.clone() {
            self.keep_decision(decision);
            self.bind(client, Arc::new(info), &node);
            return;
        }
        let mut message = decision.message.clone().unwrap_or_default();
        let mut plugins: BTreeSet<&'static str> = decision.rejections().map(|r| r.plugin).collect();
        plugins.extend(decision.pre_filter.as_ref().map(|r| r.plugin));
        let mut nominate = None;
        let mut preemption = None;
        if !self.nodes.is_empty() {
            let pdbs = self.objects.all_of("PodDisruptionBudget");
            match preemption::preempt(fw, &cx, &decision, &pdbs, client.rng()) {
                Ok(candidate) => {
                    self.evict(client, &info, &candidate);
                    nominate = Some(candidate.node.to_string());
                    preemption = Some((candidate.node.to_string(), candidate.victims.iter().map(|v| v.key.clone()).collect()));
                }
                Err(none) => {
                    message = format!("{message} {}", none.message);
                    let had = pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).is_some_and(|n| !n.is_empty());
                    nominate = (had && none.clear_nomination).then(String::new);
                }
            }
        }
        let mut decision = decision;
        decision.message = Some(message.clone());
        decision.preemption = preemption;
        self.keep_decision(decision);
        self.fail(client, &key, &pod, "Unschedulable", message, nominate);
        self.queue.unschedulable(&key, plugins, now);
    }

    /// Assumes the pod on the node, then binds it; a failed binding forgets it and backs off.
    fn bind(&mut self, client: &mut Client, info: Arc<PodInfo>, node: &str) {
        let key = info.key.clone();
        self.assume(info, node);
        self.assumed.insert(key.clone());
        match client.bind(&key, node) {
            Ok(bound) => {
                self.pending.remove(&key);
                self.queue.remove(&key);
                client.event(&bound, "Normal", "Scheduled", format!("Successfully assigned {}/{} to {node}", key.namespace, key.name));
            }
            Err(_) => {
                self.forget(&key);
                self.assumed.remove(&key);
                self.queue.backoff(&key, client.now_ms());
            }
        }
    }

    /// Records a failed attempt on the pod: its PodScheduled condition (and nominated node,
    /// when preemption chose or dropped one) and a FailedScheduling event.
    fn fail(&self, client: &mut Client, key: &Key, pod: &Arc<Pod>, reason: &str, message: String, nominate: Option<String>) {
        let now = client.now_ms();
        let _ = client.patch(key, "update status", |o| {
            if let Object::Pod(p) = o {
                let status = p.status.get_or_insert_with(Default::default);
                set_pod_condition(status, "PodScheduled", "False", Some(reason), Some(message.clone()), now);
                if let Some(node) = nominate {
                    status.nominated_node_name = Some(node).filter(|n| !n.is_empty());
                }
            }
        });
        client.event(&Object::Pod((**pod).clone()), "Warning", "FailedScheduling", message);
    }

    /// `PreparePreemption`: each victim gets the DisruptionTarget condition, a graceful
    /// delete and a Preempted event.
    fn evict(&self, client: &mut Client, preemptor: &PodInfo, candidate: &preemption::Candidate) {
        let scheduler_name = preemptor.pod.spec.as_ref().and_then(|s| s.scheduler_name.clone()).unwrap_or_default();
        let uid = preemptor.pod.metadata.uid.clone().unwrap_or_default();
        for victim in &candidate.victims {
            let now = client.now_ms();
            let message = format!("{scheduler_name}: preempting to accommodate a higher priority pod");
            let _ = client.patch(&victim.key, "update status", |o| {
                if let Object::Pod(p) = o {
                    let status = p.status.get_or_insert_with(Default::default);
                    set_pod_condition(status, "DisruptionTarget", "True", Some("PreemptionByScheduler"), Some(message), now);
                }
            });
            if let Ok(deleted) = client.delete(&victim.key, None) {
                client.event(&deleted, "Normal", "Preempted", format!("Preempted by pod {uid} on node {}", candidate.node));
            }
        }
        // Less important pods nominated to the node lose their nomination: the room is taken.
        let nominated = self.nominated.get(&candidate.node).into_iter().flatten();
        for pod in nominated.filter(|p| p.priority < preemptor.priority) {
            let _ = client.patch(&pod.key, "update status", |o| {
                if let Object::Pod(p) = o {
                    p.status.get_or_insert_with(Default::default).nominated_node_name = None;
                }
            });
        }
    }
}

fn has_gated_condition(pod: &Pod) -> bool {
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_deref()).unwrap_or(&[]);
    conditions.iter().any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("SchedulingGated"))
}
