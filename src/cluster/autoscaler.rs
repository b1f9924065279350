//! The Cluster Autoscaler (kubernetes/autoscaler, `cluster-autoscaler`) with one node group:
//! every scan interval (10 s) it adds machines while pods are unschedulable and would fit on a
//! new node, and removes a node of its group whose requests stay under half its capacity for
//! 10 minutes (scale-down-unneeded-time), evicting its pods first. It reads and writes
//! through the API server like any client (as the controller manager's identity, for want of
//! its own), and adds or removes machines as a cloud provider would.
use std::collections::BTreeMap;

use super::{Cluster, Task};
use crate::api::{controller_of, info, Key, Object};
use crate::apiserver::Component;
use crate::kubelet::NodeConfig;
use crate::scheduler::pod_requests;

/// `--scan-interval`.
const SCAN_INTERVAL_MS: u64 = 10_000;
/// `--scale-down-unneeded-time`.
const UNNEEDED_TIME_MS: u64 = 600_000;
/// `--scale-down-utilization-threshold`.
const UTILIZATION_THRESHOLD: f64 = 0.5;
pub const NODE_GROUP: &str = "autoscaled";
/// What one browser tab can simulate comfortably.
const MAX_GROUP_SIZE: usize = 50;

/// The node group and what the autoscaler remembers between scans.
pub(super) struct Autoscaler {
    min: usize,
    max: usize,
    template: NodeConfig,
    /// Since when each node of the group has been unneeded.
    unneeded_since: BTreeMap<String, u64>,
}

impl Cluster {
    /// `sim autoscaler nodes --min N --max M [--cpu N] [--memory QTY]`: turns the autoscaler
    /// on for a group of nodes like `template`, and grows the group to its minimum at once.
    pub fn enable_autoscaler(&mut self, min: usize, max: usize, template: NodeConfig) -> Result<String, String> {
        if max < min || max == 0 {
            return Err(format!("error: --max must be at least 1 and at least --min (min {min}, max {max})"));
        }
        if max > MAX_GROUP_SIZE {
            return Err(format!("error: --max may be at most {MAX_GROUP_SIZE} here"));
        }
        let shape = format!("{} CPUs, {} memory", template.cpu, template.memory);
        let first = self.autoscaler.is_none();
        self.autoscaler = Some(Autoscaler { min, max, template, unneeded_since: BTreeMap::new() });
        while self.group().len() < min {
            self.add_group_node()?;
        }
        if first {
            self.push(self.now_ms + SCAN_INTERVAL_MS, Task::Autoscale);
        }
        Ok(format!("cluster-autoscaler: node group {NODE_GROUP:?} min {min}, max {max} ({shape})"))
    }

    /// The machines of the node group.
    fn group(&self) -> Vec<String> {
        self.kubelets.keys().filter(|n| n.starts_with(&format!("{NODE_GROUP}-"))).cloned().collect()
    }

    fn add_group_node(&mut self) -> Result<String, String> {
        let Some(scaler) = &self.autoscaler else { return Err("error: the cluster autoscaler is off".to_string()) };
        let name = (1..).map(|i| format!("{NODE_GROUP}-{i}")).find(|n| !self.kubelets.contains_key(n)).unwrap_or_default();
        let mut config = scaler.template.clone();
        config.name = name.clone();
        self.add_node(config)?;
        Ok(name)
    }

    /// One scan: scale up for unschedulable pods, else look for nodes to remove.
    pub(super) fn autoscale(&mut self) {
        self.push(self.now_ms + SCAN_INTERVAL_MS, Task::Autoscale);
        if self.faults.api_server_down() {
            return;
        }
        if !self.scale_up() {
            self.scale_down();
        }
    }

    /// Adds as many nodes as the unschedulable pods that fit on a new node need (by their
    /// requests), up to the group's max; returns whether it did.
    fn scale_up(&mut self) -> bool {
        let Some(scaler) = &self.autoscaler else { return false };
        let (max, size) = (scaler.max, self.group().len());
        let capacity = node_capacity(&scaler.template);
        let pods = self.request(Component::ControllerManager, |c| c.list(info("Pod"), None));
        let pending: Vec<_> = pods
            .iter()
            .filter(|p| match &***p {
                Object::Pod(pod) => pod
                    .status
                    .iter()
                    .flat_map(|s| s.conditions.iter().flatten())
                    .any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("Unschedulable")),
                _ => false,
            })
            .filter_map(|p| match &**p {
                Object::Pod(pod) => pod.spec.as_ref().map(|s| (p.clone(), pod_requests(s).0)),
                _ => None,
            })
            .filter(|(_, r)| r.milli_cpu <= capacity.0 && r.memory <= capacity.1)
            .collect();
        if pending.is_empty() || size >= max {
            return false;
        }
        let cpu: i64 = pending.iter().map(|(_, r)| r.milli_cpu).sum();
        let memory: i64 = pending.iter().map(|(_, r)| r.memory).sum();
        let nodes_for = |total: i64, per_node: i64| total.unsigned_abs().div_ceil(per_node.max(1).unsigned_abs());
        let needed = nodes_for(cpu, capacity.0).max(nodes_for(memory, capacity.1)).max(1);
        let add = usize::try_from(needed).unwrap_or(usize::MAX).min(max - size);
        let message = format!("pod triggered scale-up: [{{{NODE_GROUP} {size}->{} (max: {max})}}]", size + add);
        self.request(Component::ControllerManager, |c| {
            for (pod, _) in &pending {
                c.event(pod, "Normal", "TriggeredScaleUp", message.clone());
            }
        });
        for _ in 0..add {
            let _ = self.add_group_node();
        }
        true
    }

    /// Removes the first node of the group that has been unneeded for 10 minutes: its pods
    /// (other than DaemonSet pods) are evicted, then the machine and its Node go.
    fn scale_down(&mut self) {
        let now = self.now_ms;
        let group = self.group();
        let pods = self.request(Component::ControllerManager, |c| c.list(info("Pod"), None));
        let Some(scaler) = self.autoscaler.as_mut() else { return };
        let capacity = node_capacity(&scaler.template);
        let mut removable = None;
        for node in &group {
            let on_node: Vec<_> = pods
                .iter()
                .filter_map(|p| match &**p {
                    Object::Pod(pod) if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node.as_str()) => Some((p, pod)),
                    _ => None,
                })
                .filter(|(_, pod)| controller_of(&pod.metadata).is_none_or(|c| c.kind != "DaemonSet"))
                .collect();
            let cpu: i64 = on_node.iter().filter_map(|(_, p)| p.spec.as_ref()).map(|s| pod_requests(s).0.milli_cpu).sum();
            let memory: i64 = on_node.iter().filter_map(|(_, p)| p.spec.as_ref()).map(|s| pod_requests(s).0.memory).sum();
            let utilization = (cpu as f64 / capacity.0.max(1) as f64).max(memory as f64 / capacity.1.max(1) as f64);
            // A pod without a controller would not come back elsewhere: the node stays.
            let movable = on_node.iter().all(|(_, p)| controller_of(&p.metadata).is_some());
            if utilization >= UTILIZATION_THRESHOLD || !movable {
                scaler.unneeded_since.remove(node);
                continue;
            }
            let since = *scaler.unneeded_since.entry(node.clone()).or_insert(now);
            if removable.is_none() && now.saturating_sub(since) >= UNNEEDED_TIME_MS && group.len() > scaler.min {
                removable = Some((node.clone(), on_node.iter().map(|(p, _)| Key::of(p)).collect::<Vec<_>>()));
            }
        }
        scaler.unneeded_since.retain(|n, _| group.contains(n));
        let Some((node, evict)) = removable else { return };
        scaler.unneeded_since.remove(&node);
        let evicted = self.request(Component::ControllerManager, |c| {
            if let Ok(object) = c.get(&Key::new("Node", "", &node)) {
                c.event(&object, "Normal", "ScaleDown", "marking the node as toBeDeleted/unschedulable".to_string());
            }
            evict.iter().all(|pod| c.evict(pod, None).is_ok())
        });
        if evicted {
            let _ = self.delete_node(&node);
        }
    }
}

/// A template node's allocatable CPU (millicores) and memory (bytes).
fn node_capacity(template: &NodeConfig) -> (i64, i64) {
    let parse = |q: &str| crate::api::quantity::parse_milli(q).ok().and_then(|v| i64::try_from(v).ok()).unwrap_or(0);
    (parse(&template.cpu), parse(&template.memory) / 1000)
}
