//! The node lifecycle controller (`pkg/controller/nodelifecycle`) and taint-based eviction
//! (`pkg/controller/tainteviction`). Every node-monitor period (5 s) it looks at when each
//! node's Lease last changed; a node silent for longer than the grace period (50 s from 1.32)
//! gets its conditions set to Unknown, its pods marked not ready, and the
//! `node.kubernetes.io/unreachable` taints (`not-ready` when the kubelet reports Ready=False);
//! a cordoned node gets `node.kubernetes.io/unschedulable:NoSchedule` and one under memory
//! pressure `node.kubernetes.io/memory-pressure:NoSchedule` (TaintNodesByCondition).
//! Pods on a node with a NoExecute taint are deleted once their toleration runs out (300 s for
//! the defaults the admission plugin adds). Pods bound to a Node that no longer exists are
//! deleted at once, as the pod garbage collector does for orphans.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Taint;

use super::{Controller, Store, WorkQueue};
use crate::api::scheduling::tolerates;
use crate::api::{Key, Object};
use crate::apiserver::{set_pod_condition, timestamp, virtual_ms, Client, WatchEvent};
use crate::kubelet::node_lease::LEASE_NAMESPACE;

/// `--node-monitor-period`.
const MONITOR_PERIOD_MS: u64 = 5_000;
/// `--node-monitor-grace-period` (50 s from 1.32).
const GRACE_PERIOD_MS: u64 = 50_000;
const UNREACHABLE: &str = "node.kubernetes.io/unreachable";
const NOT_READY: &str = "node.kubernetes.io/not-ready";
const UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
const MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";

#[derive(Default)]
pub struct NodeLifecycleController {
    nodes: Store,
    pods: Store,
    /// Per node: the Lease's last renewTime seen, and when this controller saw it change
    /// (upstream's probeTimestamp: its own clock, not the kubelet's).
    probes: BTreeMap<String, (Option<String>, Option<u64>)>,
    queue: WorkQueue,
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        "node-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        match &*event.object {
            Object::Node(_) | Object::Pod(_) => true,
            Object::Lease(l) => l.metadata.namespace.as_deref() == Some(LEASE_NAMESPACE),
            _ => false,
        }
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        match &*event.object {
            Object::Lease(lease) => {
                let renewed = lease.spec.as_ref().and_then(|s| s.renew_time.as_ref()).map(|t| format!("{t:?}"));
                let probe = self.probes.entry(key.name.clone()).or_default();
                if probe.0 != renewed || probe.1.is_none() {
                    *probe = (renewed, None);
                    self.queue.add(Key::new("Node", "", &key.name));
                }
            }
            Object::Node(_) => {
                self.nodes.apply(event);
                self.queue.add(key);
            }
            _ => {
                self.pods.apply(event);
                self.queue.add(key);
            }
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        if key.kind == "Node" {
            self.sync_node(key, client);
        } else {
            self.sync_pod(key, client);
        }
    }
}

impl NodeLifecycleController {
    fn pods_on<'a>(&'a self, node: &'a str) -> impl Iterator<Item = Key> + 'a {
        self.pods.values().filter(move |p| pod_node(p) == Some(node)).map(|p| Key::of(p))
    }

    fn sync_node(&mut self, key: &Key, client: &mut Client) {
        let now = client.now_ms();
        let Some(node) = self.nodes.get(key).cloned() else {
            self.probes.remove(&key.name);
            // The pod garbage collector's orphan pass: pods bound to a node that is gone.
            for pod in self.pods_on(&key.name).collect::<Vec<_>>() {
                let _ = client.delete(&pod, Some(0));
            }
            return;
        };
        let Object::Node(n) = &*node else { return };
        let probe = self.probes.entry(key.name.clone()).or_default();
        let seen = *probe.1.get_or_insert(now);
        let ready = n.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten().find(|c| c.type_ == "Ready");
        let mut ready_status = ready.map_or("Unknown", |c| c.status.as_str()).to_string();
        if now > seen.saturating_add(GRACE_PERIOD_MS) {
            if ready_status != "Unknown" {
                self.mark_unknown(key, client);
                ready_status = "Unknown".to_string();
            }
        } else {
            // Look again at the first monitor tick after the grace period runs out.
            let deadline = seen.saturating_add(GRACE_PERIOD_MS);
            self.queue.add_at(key.clone(), (deadline / MONITOR_PERIOD_MS + 1).saturating_mul(MONITOR_PERIOD_MS));
        }
        let mut wanted: Vec<(&str, &str)> = match ready_status.as_str() {
            "True" => vec![],
            "False" => vec![(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")],
            _ => vec![(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")],
        };
        if n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
            wanted.push((UNSCHEDULABLE, "NoSchedule"));
        }
        let condition = |type_: &str| n.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == type_).map(|c| c.status.clone());
        if condition("MemoryPressure").as_deref() == Some("True") {
            wanted.push((MEMORY_PRESSURE, "NoSchedule"));
        }
        let taints = n.spec.as_ref().and_then(|s| s.taints.clone()).unwrap_or_default();
        let managed = |t: &Taint| [UNREACHABLE, NOT_READY, UNSCHEDULABLE, MEMORY_PRESSURE].contains(&t.key.as_str());
        let mut updated: Vec<Taint> =
            taints.iter().filter(|t| !managed(t) || wanted.contains(&(t.key.as_str(), t.effect.as_str()))).cloned().collect();
        for (key, effect) in wanted {
            if !updated.iter().any(|t| t.key == key && t.effect == effect) {
                // Only NoExecute taints carry the time they were added (eviction counts from it).
                let time_added = (effect == "NoExecute").then(|| timestamp(now));
                updated.push(Taint { key: key.to_string(), value: None, effect: effect.to_string(), time_added });
            }
        }
        if updated != taints {
            let _ = client.patch(key, "update", |o| {
                if let Object::Node(n) = o {
                    n.spec.get_or_insert_with(Default::default).taints = Some(updated).filter(|t| !t.is_empty());
                }
            });
        }
        for pod in self.pods_on(&key.name).collect::<Vec<_>>() {
            self.queue.add(pod);
        }
    }

    /// The kubelet went silent: every condition it owns becomes Unknown, and its pods are
    /// marked not ready (`MarkPodsNotReady`), with the events upstream records.
    fn mark_unknown(&mut self, key: &Key, client: &mut Client) {
        let now = client.now_ms();
        let Ok(node) = client.patch(key, "update status", |o| {
            if let Object::Node(n) = o {
                for c in n.status.iter_mut().flat_map(|s| s.conditions.iter_mut().flatten()) {
                    c.status = "Unknown".to_string();
                    c.reason = Some("NodeStatusUnknown".to_string());
                    c.message = Some("Kubelet stopped posting node status.".to_string());
                    c.last_transition_time = Some(timestamp(now));
                }
            }
        }) else {
            return;
        };
        client.event(&node, "Normal", "NodeNotReady", format!("Node {} status is now: NodeNotReady", key.name));
        for pod in self.pods_on(&key.name).collect::<Vec<_>>() {
            let Ok(updated) = client.patch(&pod, "update status", |o| {
                if let Object::Pod(p) = o {
                    set_pod_condition(p.status.get_or_insert_with(Default::default), "Ready", "False", None, None, now);
                }
            }) else {
                continue;
            };
            client.event(&updated, "Warning", "NodeNotReady", "Node is not ready".to_string());
        }
    }

    /// Taint-based eviction of one pod: deleted when a NoExecute taint of its node is not
    /// tolerated, or once the shortest tolerationSeconds since the taint was added has passed.
    fn sync_pod(&mut self, key: &Key, client: &mut Client) {
        let Some(pod) = self.pods.get(key).cloned() else { return };
        let Object::Pod(p) = &*pod else { return };
        if p.metadata.deletion_timestamp.is_some() {
            return;
        }
        let Some(node) = pod_node(&pod).and_then(|n| self.nodes.get(&Key::new("Node", "", n))) else { return };
        let Object::Node(n) = &**node else { return };
        let tolerations = p.spec.as_ref().and_then(|s| s.tolerations.clone()).unwrap_or_default();
        let mut due: Option<u64> = None;
        for taint in n.spec.iter().flat_map(|s| s.taints.iter().flatten()).filter(|t| t.effect == "NoExecute") {
            let value = taint.value.as_deref().unwrap_or("");
            let matching = tolerations.iter().filter(|t| tolerates(std::slice::from_ref(t), &taint.key, value, "NoExecute"));
            let Some(seconds) = matching.map(|t| t.toleration_seconds).min_by_key(|s| s.unwrap_or(i64::MAX)) else {
                due = Some(0);
                break;
            };
            if let Some(seconds) = seconds {
                let added = taint.time_added.as_ref().map_or(0, virtual_ms);
                let at = added.saturating_add(u64::try_from(seconds.max(0)).unwrap_or(0).saturating_mul(1000));
                due = Some(due.map_or(at, |d| d.min(at)));
            }
        }
        let Some(due) = due else { return };
        let now = client.now_ms();
        if due > now {
            self.queue.add_at(key.clone(), due);
            return;
        }
        client.event(&pod, "Normal", "TaintManagerEviction", format!("Marking for deletion Pod {}/{}", key.namespace, key.name));
        let _ = client.patch(key, "update status", |o| {
            if let Object::Pod(p) = o {
                let status = p.status.get_or_insert_with(Default::default);
                let message = "Taint manager: deleting due to NoExecute taint".to_string();
                set_pod_condition(status, "DisruptionTarget", "True", Some("DeletionByTaintManager"), Some(message), now);
            }
        });
        let _ = client.delete(key, None);
    }
}

fn pod_node(pod: &Object) -> Option<&str> {
    match pod {
        Object::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.as_deref()),
        _ => None,
    }
}
