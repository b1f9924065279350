//! The DaemonSet controller (`pkg/controller/daemon`): one pod on every node the DaemonSet's
//! pod fits by nodeSelector, required node affinity and taints. Each pod is pinned to its node
//! with a required `matchFields metadata.name` node affinity term and placed by the default
//! scheduler, carries the daemon tolerations, and is replaced node by node on a RollingUpdate
//! within maxUnavailable (deleting first) or maxSurge (creating first).
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetStatus};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, PodTemplateSpec, Toleration,
};

use crate::api::scheduling::{required_affinity_matches, tolerates};
use crate::api::{Key, Object};
use crate::apiserver::{virtual_ms, Client, WatchEvent, WatchEventType};

use super::deployment::{pod_template_hash, scaled};
use super::pod_control::{self, is_available, is_ready, Expectations, Retries};
use super::{Controller, Store, WorkQueue};

/// At most this many daemon pods are created or deleted in one sync (`BurstReplicas`).
const BURST_REPLICAS: usize = 250;
const REVISION_HASH: &str = "controller-revision-hash";

#[derive(Default)]
pub struct DaemonSetController {
    daemonsets: Store,
    pods: Store,
    nodes: Store,
    expectations: Expectations,
    retries: Retries,
    queue: WorkQueue,
}

/// `AddOrUpdateDaemonPodTolerations`: daemon pods stay through node problems and cordons, and
/// the NoExecute ones carry no tolerationSeconds, so they are never evicted.
fn add_daemon_tolerations(spec: &mut PodSpec) {
    let mut wanted = vec![
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if spec.host_network == Some(true) {
        wanted.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for (key, effect) in wanted {
        let toleration =
            Toleration { key: Some(key.into()), operator: Some("Exists".into()), effect: Some(effect.into()), ..Default::default() };
        if !tolerations.contains(&toleration) {
            tolerations.push(toleration);
        }
    }
}

/// `ReplaceDaemonSetPodNodeNameNodeAffinity`: the pod's required node affinity becomes exactly
/// "the node named `node`".
fn pin_to_node(spec: &mut PodSpec, node: &str) {
    let term = NodeSelectorTerm {
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec![node.into()]),
        }]),
        ..Default::default()
    };
    let affinity = spec.affinity.get_or_insert_with(Affinity::default);
    let node_affinity = affinity.node_affinity.get_or_insert_with(NodeAffinity::default);
    node_affinity.required_during_scheduling_ignored_during_execution = Some(NodeSelector { node_selector_terms: vec![term] });
}

/// The node an unscheduled daemon pod is pinned to (`GetTargetNodeName`).
fn target_node(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    if let Some(node) = spec.node_name.clone() {
        return Some(node);
    }
    let required = spec.affinity.as_ref()?.node_affinity.as_ref()?.required_during_scheduling_ignored_during_execution.as_ref()?;
    let field =
        required.node_selector_terms.first()?.match_fields.as_ref()?.iter().find(|r| r.key == "metadata.name" && r.operator == "In")?;
    field.values.as_ref()?.first().cloned()
}

/// `NodeShouldRunDaemonPod`: (should run a daemon pod, may keep one it has). A node with an
/// untolerated NoSchedule taint keeps its pod; an untolerated NoExecute taint evicts it.
fn node_should_run(node: &Node, spec: &PodSpec) -> (bool, bool) {
    let name = node.metadata.name.as_deref().unwrap_or("");
    if spec.node_name.as_deref().is_some_and(|n| n != name) || !required_affinity_matches(spec, node) {
        return (false, false);
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let untolerated =
        |effects: &[&str]| {
            node.spec.as_ref().and_then(|s| s.taints.as_ref()).into_iter().flatten().any(|t| {
                effects.contains(&t.effect.as_str()) && !tolerates(tolerations, &t.key, t.value.as_deref().unwrap_or(""), &t.effect)
            })
        };
    if untolerated(&["NoSchedule", "NoExecute"]) {
        return (false, !untolerated(&["NoExecute"]));
    }
    (true, true)
}

fn created_ms(pod: &Pod) -> u64 {
    pod.metadata.creation_timestamp.as_ref().map_or(0, virtual_ms)
}

fn revision_hash(pod: &Pod) -> Option<&str> {
    pod.metadata.labels.as_ref()?.get(REVISION_HASH).map(String::as_str)
}

/// `findUpdatedPodsOnNode`: the node's (new, old) pods, or None when it has two of a kind.
fn updated_pods_on_node<'a>(pods: &'a [Pod], hash: &str) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let slot = if revision_hash(pod) == Some(hash) { &mut new } else { &mut old };
        if slot.replace(pod).is_some() {
            return None;
        }
    }
    Some((new, old))
}

/// What one sync knows: the DaemonSet, its pod template with the daemon tolerations, the
/// current revision's hash, and its pods by node.
struct Daemon {
    ds: DaemonSet,
    template: PodTemplateSpec,
    hash: String,
    min_ready: i32,
    by_node: BTreeMap<String, Vec<Pod>>,
}

impl Daemon {
    fn obj(&self) -> Object {
        Object::DaemonSet(self.ds.clone())
    }
    fn spec(&self) -> PodSpec {
        self.template.spec.clone().unwrap_or_default()
    }
    fn pods_on(&self, node: &str) -> &[Pod] {
        self.by_node.get(node).map(Vec::as_slice).unwrap_or_default()
    }
}

impl Controller for DaemonSetController {
    fn name(&self) -> &'static str {
        "daemonset-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::DaemonSet(_) | Object::Pod(_) | Object::Node(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::DaemonSet(_) => {
                self.daemonsets.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(_) => {
                if let Some(ds) = self.expectations.observe_pod(&mut self.pods, event, "DaemonSet") {
                    self.queue.add(ds);
                }
            }
            Object::Node(node) => {
                // Only what decides where daemons run: labels, taints, the node coming or going.
                let before = self.nodes.get(&Key::of(&event.object)).cloned();
                self.nodes.apply(event);
                let changed = match before.as_deref() {
                    Some(Object::Node(old)) => {
                        event.event_type == WatchEventType::Deleted || old.metadata.labels != node.metadata.labels || old.spec != node.spec
                    }
                    _ => true,
                };
                if changed {
                    let keys: Vec<Key> = self.daemonsets.values().map(|d| Key::of(d)).collect();
                    keys.into_iter().for_each(|k| self.queue.add(k));
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(Object::DaemonSet(ds)) = self.daemonsets.get(key).map(|o| (**o).clone()) else {
            self.expectations.forget(key);
            self.retries.forget(key);
            return;
        };
        let Some(spec) = ds.spec.as_ref() else { return };
        if ds.metadata.deletion_timestamp.is_some() {
            return;
        }
        let hash = pod_template_hash(&spec.template, ds.status.as_ref().and_then(|s| s.collision_count));
        // `CreatePodTemplate`: the revision labels and the daemon tolerations.
        let mut template = spec.template.clone();
        let labels = template.metadata.get_or_insert_with(Default::default).labels.get_or_insert_with(BTreeMap::new);
        let generation = ds.metadata.annotations.as_ref().and_then(|a| a.get("deprecated.daemonset.template.generation")).cloned();
        labels.insert("pod-template-generation".into(), generation.unwrap_or_else(|| ds.metadata.generation.unwrap_or(1).to_string()));
        labels.insert(REVISION_HASH.into(), hash.clone());
        add_daemon_tolerations(template.spec.get_or_insert_with(Default::default));
        let mut by_node: BTreeMap<String, Vec<Pod>> = BTreeMap::new();
        for pod in pod_control::claim_pods(&self.pods, &Object::DaemonSet(ds.clone()), &spec.selector, client) {
            let finished = matches!(pod.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
            if finished && pod.metadata.deletion_timestamp.is_some() {
                continue;
            }
            if let Some(node) = target_node(&pod) {
                by_node.entry(node).or_default().push(pod);
            }
        }
        for pods in by_node.values_mut() {
            pods.sort_by_key(|p| (created_ms(p), p.metadata.name.clone()));
        }
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let daemon = Daemon { ds: ds.clone(), template, hash, min_ready, by_node };

        let mut error = None;
        if self.expectations.satisfied(key) {
            let (delete, create) = self.manage(&daemon, client.now_ms());
            for pod in delete.iter().filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed")) {
                let (namespace, name) = (pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""));
                let node = target_node(pod).unwrap_or_default();
                let message = format!("Found failed daemon pod {namespace}/{name} on node {node}, will try to kill it");
                client.event(&daemon.obj(), "Warning", "FailedDaemonPod", message);
            }
            if !delete.is_empty() || !create.is_empty() {
                error = self.sync_nodes(key, &daemon, delete, create, client);
            } else if spec.update_strategy.as_ref().and_then(|s| s.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate" {
                let (delete, create) = self.rolling_update(&daemon, client.now_ms());
                error = self.sync_nodes(key, &daemon, delete, create, client);
            }
        }
        let (ready, available) = self.update_status(&daemon, client);
        self.retries.after_sync(key, error.is_some(), &mut self.queue, client.now_ms());
        if error.is_none() && min_ready > 0 && ready != available {
            self.queue.add_at(key.clone(), client.now_ms().saturating_add(u64::try_from(min_ready).unwrap_or(0) * 1000));
        }
    }
}

impl DaemonSetController {
    fn nodes(&self) -> Vec<Node> {
        self.nodes.values().filter_map(|n| if let Object::Node(n) = &**n { Some(n.clone()) } else { None }).collect()
    }

    /// `manage` (`podsShouldBeOnNode` for every node): the pods to delete and the nodes that
    /// need a daemon pod.
    fn manage(&self, daemon: &Daemon, now_ms: u64) -> (Vec<Pod>, Vec<String>) {
        let spec = daemon.spec();
        let surge = self.max_surge_and_unavailable(daemon).0 > 0;
        let (mut delete, mut create) = (Vec::new(), Vec::new());
        for node in self.nodes() {
            let name = node.metadata.name.clone().unwrap_or_default();
            let pods = daemon.pods_on(&name);
            let (should_run, should_continue) = node_should_run(&node, &spec);
            if should_run && pods.is_empty() {
                create.push(name);
            } else if should_continue {
                let mut running = Vec::new();
                for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
                    match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
                        Some("Failed" | "Succeeded") => delete.push(pod.clone()),
                        _ => running.push(pod),
                    }
                }
                if !surge {
                    // One daemon pod per node: the oldest stays.
                    delete.extend(running.iter().skip(1).map(|p| (*p).clone()));
                    continue;
                }
                // Surging: the oldest new pod and the oldest old pod may overlap until the new
                // one is available.
                let (mut oldest_new, mut oldest_old) = (None, None);
                for pod in running {
                    let slot = if revision_hash(pod) == Some(daemon.hash.as_str()) { &mut oldest_new } else { &mut oldest_old };
                    if slot.is_none() {
                        *slot = Some(pod);
                    } else {
                        delete.push(pod.clone());
                    }
                }
                if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
                    if !is_ready(old) || is_available(new, daemon.min_ready, now_ms) {
                        delete.push(old.clone());
                    }
                }
            } else {
                delete.extend(pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).cloned());
            }
        }
        (delete, create)
    }

    /// The number of nodes that should run a daemon pod (`desiredNumberScheduled`).
    fn desired(&self, daemon: &Daemon) -> i32 {
        let spec = daemon.spec();
        self.nodes().iter().filter(|n| node_should_run(n, &spec).0).count() as i32
    }

    /// `updatedDesiredNodeCounts`: maxSurge and maxUnavailable of the desired node count,
    /// both rounded up; both 0 means 1 unavailable.
    fn max_surge_and_unavailable(&self, daemon: &Daemon) -> (i32, i32) {
        let desired = self.desired(daemon);
        let strategy = daemon.ds.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
        let rolling =
            strategy.filter(|s| s.type_.as_deref().unwrap_or("RollingUpdate") == "RollingUpdate").and_then(|s| s.rolling_update.as_ref());
        let surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), desired, true);
        // The API's default maxUnavailable is 1.
        let unavailable = rolling.and_then(|r| r.max_unavailable.as_ref()).map_or(1, |v| scaled(Some(v), desired, true));
        if desired > 0 && surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }

    /// `rollingUpdate`: without surge, deletes old pods (unavailable ones first) while no more
    /// than maxUnavailable nodes lack an available daemon, and `manage` recreates them; with
    /// surge, starts new pods beside old ones on at most maxSurge nodes at a time.
    fn rolling_update(&self, daemon: &Daemon, now_ms: u64) -> (Vec<Pod>, Vec<String>) {
        let (max_surge, max_unavailable) = self.max_surge_and_unavailable(daemon);
        let available = |p: &Pod| is_available(p, daemon.min_ready, now_ms);
        let (mut delete, mut create) = (Vec::new(), Vec::new());
        if max_surge == 0 {
            let (mut unavailable, mut candidates) = (0, Vec::new());
            for pods in daemon.by_node.values() {
                match updated_pods_on_node(pods, &daemon.hash) {
                    None | Some((None, None)) | Some((Some(_), Some(_))) => unavailable += 1,
                    Some((Some(new), None)) if !available(new) => unavailable += 1,
                    Some((Some(_), None)) => {}
                    Some((None, Some(old))) if !available(old) => delete.push(old.clone()),
                    Some((None, Some(_))) if unavailable >= max_unavailable => {}
                    Some((None, Some(old))) => candidates.push(old.clone()),
                }
            }
            let room = (max_unavailable - unavailable).clamp(0, candidates.len() as i32) as usize;
            delete.extend(candidates.into_iter().take(room));
            return (delete, create);
        }
        let spec = daemon.spec();
        let nodes: BTreeMap<String, Node> = self.nodes().into_iter().map(|n| (n.metadata.name.clone().unwrap_or_default(), n)).collect();
        let (mut surging, mut candidates) = (0, Vec::new());
        for (node, pods) in &daemon.by_node {
            match updated_pods_on_node(pods, &daemon.hash) {
                None | Some((_, None)) => {}
                Some((None, Some(old))) if !available(old) => {
                    if nodes.get(node).is_some_and(|n| node_should_run(n, &spec).0) {
                        create.push(node.clone());
                    }
                }
                Some((None, Some(_))) if surging >= max_surge => {}
                Some((None, Some(_))) => candidates.push(node.clone()),
                Some((Some(new), Some(_))) if !available(new) => surging += 1,
                Some((Some(_), Some(old))) => delete.push(old.clone()),
            }
        }
        let room = (max_surge - surging).clamp(0, candidates.len() as i32) as usize;
        create.extend(candidates.into_iter().take(room));
        (delete, create)
    }

    /// `syncNodes`: deletes the pods, then creates a pinned daemon pod for each node in
    /// slow-start batches. Returns the first error.
    fn sync_nodes(&mut self, key: &Key, daemon: &Daemon, delete: Vec<Pod>, mut create: Vec<String>, client: &mut Client) -> Option<String> {
        create.truncate(BURST_REPLICAS);
        let delete: Vec<Pod> = delete.into_iter().take(BURST_REPLICAS).collect();
        self.expectations.expect(key, create.len(), delete.len());
        let owner = daemon.obj();
        let mut error = None;
        for pod in &delete {
            if let Err(e) = pod_control::delete_pod(client, &owner, pod) {
                self.expectations.lower(key, 0, 1);
                error.get_or_insert(e);
            }
        }
        let mut nodes = create.iter();
        let (created, create_error) = pod_control::slow_start_batch(create.len(), || {
            let mut template = daemon.template.clone();
            pin_to_node(template.spec.get_or_insert_with(Default::default), nodes.next().map_or("", String::as_str));
            let pod = pod_control::pod_from_template(&template, &owner, None);
            pod_control::create_pod(client, &owner, pod).map(|_| ())
        });
        self.expectations.lower(key, create.len() - created, 0);
        error.or(create_error)
    }

    /// `updateDaemonSetStatus`; returns (numberReady, numberAvailable).
    fn update_status(&self, daemon: &Daemon, client: &mut Client) -> (i32, i32) {
        let spec = daemon.spec();
        let now = client.now_ms();
        let (mut desired, mut current, mut misscheduled, mut ready, mut available, mut updated) = (0, 0, 0, 0, 0, 0);
        for node in self.nodes() {
            let pods = daemon.pods_on(node.metadata.name.as_deref().unwrap_or(""));
            let should_run = node_should_run(&node, &spec).0;
            match pods.first() {
                Some(_) if !should_run => misscheduled += 1,
                Some(oldest) => {
                    current += 1;
                    if is_ready(oldest) {
                        ready += 1;
                        if is_available(oldest, daemon.min_ready, now) {
                            available += 1;
                        }
                    }
                    if revision_hash(oldest) == Some(daemon.hash.as_str()) {
                        updated += 1;
                    }
                }
                None => {}
            }
            if should_run {
                desired += 1;
            }
        }
        let old = daemon.ds.status.clone().unwrap_or_default();
        let positive = |n: i32| Some(n).filter(|n| *n > 0);
        let status = DaemonSetStatus {
            current_number_scheduled: current,
            desired_number_scheduled: desired,
            number_misscheduled: misscheduled,
            number_ready: ready,
            updated_number_scheduled: positive(updated),
            number_available: positive(available),
            number_unavailable: positive(desired - available),
            observed_generation: daemon.ds.metadata.generation,
            collision_count: old.collision_count,
            conditions: old.conditions.clone(),
        };
        if daemon.ds.status.as_ref() != Some(&status) {
            let _ = client.patch(&Key::of(&daemon.obj()), "update status", |o| {
                if let Object::DaemonSet(ds) = o {
                    ds.status = Some(status);
                }
            });
        }
        (ready, available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{NodeSpec, Taint};

    fn node(name: &str, taints: &[(&str, &str)]) -> Node {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        let taints = taints.iter().map(|(k, e)| Taint { key: k.to_string(), effect: e.to_string(), ..Default::default() }).collect();
        n.spec = Some(NodeSpec { taints: Some(taints), ..Default::default() });
        n
    }

    #[test]
    fn daemon_tolerations_keep_pods_on_troubled_and_cordoned_nodes() {
        let mut spec = PodSpec::default();
        add_daemon_tolerations(&mut spec);
        add_daemon_tolerations(&mut spec);
        assert_eq!(spec.tolerations.as_ref().map(Vec::len), Some(6), "added once");
        assert_eq!(node_should_run(&node("w", &[("node.kubernetes.io/unschedulable", "NoSchedule")]), &spec), (true, true));
        assert_eq!(node_should_run(&node("w", &[("node.kubernetes.io/unreachable", "NoExecute")]), &spec), (true, true));
        assert_eq!(node_should_run(&node("cp", &[("node-role.kubernetes.io/control-plane", "NoSchedule")]), &spec), (false, true));
        assert_eq!(node_should_run(&node("w", &[("dedicated", "NoExecute")]), &spec), (false, false));
        spec.host_network = Some(true);
        add_daemon_tolerations(&mut spec);
        assert_eq!(spec.tolerations.as_ref().map(Vec::len), Some(7));
    }

    #[test]
    fn a_pinned_pod_names_its_target_node() {
        let mut spec = PodSpec::default();
        pin_to_node(&mut spec, "worker-1");
        pin_to_node(&mut spec, "worker-2");
        let pod = Pod { spec: Some(spec.clone()), ..Default::default() };
        assert_eq!(target_node(&pod).as_deref(), Some("worker-2"));
        assert!(required_affinity_matches(&spec, &node("worker-2", &[])));
        assert!(!required_affinity_matches(&spec, &node("worker-1", &[])));
    }
}
