//! Breaking things on purpose: machines that die (`sim node stop`), nodes cut off from the
//! control plane (`sim node partition`), and control-plane components or kubelets that stop
//! (`sim stop …`). A stopped component gets no watch events and runs nothing; a kubelet that is
//! stopped or cut off keeps its pods as they are, and what it would have told the API server
//! waits until it can reach it again. Whatever comes back relists, as informers do after a
//! restart, so the cluster converges.
use std::collections::BTreeSet;

use super::{Cluster, Task};
use crate::api::{Key, KINDS};
use crate::apiserver::{Component, WatchEvent, WatchEventType};
use crate::controllers::ControllerManager;
use crate::kubelet::{Kubelet, Timer};
use crate::scheduler::Scheduler;

/// What is broken now.
#[derive(Default)]
pub(super) struct Faults {
    /// Control-plane components and kubelets that are not running.
    stopped: BTreeSet<Component>,
    /// Nodes whose network to the control plane is cut.
    partitioned: BTreeSet<String>,
    /// Machines that are switched off (kubelet and containers gone).
    powered_off: BTreeSet<String>,
    /// Kubelet timers that fell due while their kubelet could not act on them.
    held: Vec<(String, u64, Timer)>,
    /// Components that lost touch with the API server and must catch up when they can.
    lagging: BTreeSet<Component>,
}

/// What a kubelet timer finds when it falls due.
pub(super) enum TimerFate {
    Run,
    Hold,
    Drop,
}

impl Faults {
    /// Whether a watch event or a queued run reaches `who`.
    pub(super) fn reachable(&self, who: &Component) -> bool {
        if self.stopped.contains(who) {
            return false;
        }
        match who {
            Component::Kubelet(node) => {
                !self.stopped.contains(&Component::ApiServer) && !self.partitioned.contains(node) && !self.powered_off.contains(node)
            }
            Component::ApiServer => true,
            _ => !self.stopped.contains(&Component::ApiServer),
        }
    }

    pub(super) fn timer_fate(&self, node: &str, timer: &Timer) -> TimerFate {
        if self.powered_off.contains(node) {
            TimerFate::Drop
        } else if self.reachable(&Component::Kubelet(node.to_string())) {
            TimerFate::Run
        } else if matches!(timer, Timer::Lease | Timer::NodeStatus | Timer::Eviction) {
            // Heartbeats (and eviction passes) that cannot report are not made; the kubelet
            // starts them again when it is back.
            TimerFate::Drop
        } else {
            TimerFate::Hold
        }
    }

    pub(super) fn hold(&mut self, node: String, boot: u64, timer: Timer) {
        self.held.push((node, boot, timer));
    }

    pub fn api_server_down(&self) -> bool {
        self.stopped.contains(&Component::ApiServer)
    }
}

/// A component `sim stop|start` can name.
pub fn parse_component(name: &str, node: Option<&str>) -> Result<Component, String> {
    match (name, node) {
        ("apiserver" | "kube-apiserver", None) => Ok(Component::ApiServer),
        ("scheduler" | "kube-scheduler", None) => Ok(Component::Scheduler),
        ("controller-manager" | "kube-controller-manager", None) => Ok(Component::ControllerManager),
        ("kubelet", Some(node)) => Ok(Component::Kubelet(node.to_string())),
        ("kubelet", None) => Err("error: usage: sim stop|start kubelet NODE".to_string()),
        ("kube-proxy", _) => Err("error: kube-proxy is not modelled as a process that can stop yet".to_string()),
        (other, _) => Err(format!("error: unknown component {other:?} (one of: apiserver, scheduler, controller-manager, kubelet NODE)")),
    }
}

impl Cluster {
    /// Whether kubectl can reach the API server.
    pub fn api_server_down(&self) -> bool {
        self.faults.api_server_down()
    }

    fn check_node(&self, node: &str) -> Result<(), String> {
        if self.kubelets.contains_key(node) {
            Ok(())
        } else {
            Err(format!("error: no machine named {node:?} (see kubectl get nodes)"))
        }
    }

    /// `sim stop COMPONENT`: the process exits. Its in-memory state (caches, queues) is lost.
    pub fn stop_component(&mut self, who: Component) -> Result<String, String> {
        if let Component::Kubelet(node) = &who {
            self.check_node(node)?;
            if self.faults.powered_off.contains(node) {
                return Err(format!("error: node {node:?} is stopped; its kubelet is not running"));
            }
        }
        if !self.faults.stopped.insert(who.clone()) {
            return Err(format!("error: {} is already stopped", describe(&who)));
        }
        if who == Component::ApiServer {
            // Every client loses its watches.
            self.faults.lagging.extend([Component::Scheduler, Component::ControllerManager]);
            self.faults.lagging.extend(self.kubelets.keys().map(|n| Component::Kubelet(n.clone())));
        } else {
            self.faults.lagging.insert(who.clone());
        }
        Ok(format!("{} stopped", describe(&who)))
    }

    /// `sim start COMPONENT`: the process starts again and lists what it watches.
    pub fn start_component(&mut self, who: Component) -> Result<String, String> {
        if let Component::Kubelet(node) = &who {
            self.check_node(node)?;
        }
        if !self.faults.stopped.remove(&who) {
            return Err(format!("error: {} is already running", describe(&who)));
        }
        self.reconnect_all();
        Ok(format!("{} started", describe(&who)))
    }

    /// `sim node stop`: the machine loses power. Its kubelet and containers are gone; the
    /// API server still has its Node and pods until the control plane notices.
    pub fn stop_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        if !self.faults.powered_off.insert(node.to_string()) {
            return Err(format!("error: node {node:?} is already stopped"));
        }
        self.faults.held.retain(|(n, _, _)| n != node);
        if let Some(kubelet) = self.kubelets.get_mut(node) {
            *kubelet = Kubelet::new(kubelet.config().clone());
        }
        self.boots.entry(node.to_string()).and_modify(|b| *b += 1).or_insert(1);
        self.faults.lagging.insert(Component::Kubelet(node.to_string()));
        Ok(format!("node/{node} stopped"))
    }

    /// `sim node partition`: the node's network to the control plane is cut.
    pub fn partition_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        if self.faults.powered_off.contains(node) {
            return Err(format!("error: node {node:?} is stopped"));
        }
        if !self.faults.partitioned.insert(node.to_string()) {
            return Err(format!("error: node {node:?} is already partitioned"));
        }
        self.faults.lagging.insert(Component::Kubelet(node.to_string()));
        Ok(format!("node/{node} partitioned"))
    }

    /// `sim node start`: the machine boots (or its network comes back).
    pub fn start_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        let booted = self.faults.powered_off.remove(node);
        let reconnected = self.faults.partitioned.remove(node);
        if !booted && !reconnected {
            return Err(format!("error: node {node:?} is already running"));
        }
        self.reconnect_all();
        Ok(format!("node/{node} started"))
    }

    /// `sim node delete`: the machine is removed and its Node object deleted (as a cloud
    /// provider does); the pod garbage collector then removes the pods bound to it.
    pub fn delete_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        self.kubelets.remove(node);
        self.faults.powered_off.remove(node);
        self.faults.partitioned.remove(node);
        self.faults.stopped.remove(&Component::Kubelet(node.to_string()));
        self.faults.held.retain(|(n, _, _)| n != node);
        self.faults.lagging.remove(&Component::Kubelet(node.to_string()));
        self.boots.entry(node.to_string()).and_modify(|b| *b += 1).or_insert(1);
        let deleted = self.request(Component::Kubectl, |client| client.delete(&Key::new("Node", "", node), None));
        deleted.map_err(|e| e.render(None))?;
        Ok(format!("node/{node} deleted"))
    }

    /// Everything that can reach the API server again and has not caught up does so now:
    /// kubelets report in and reconcile their pods, held timers run, and a restarted
    /// scheduler or controller manager lists the world.
    fn reconnect_all(&mut self) {
        let (ready, waiting): (BTreeSet<Component>, BTreeSet<Component>) =
            std::mem::take(&mut self.faults.lagging).into_iter().partition(|who| self.faults.reachable(who));
        self.faults.lagging = waiting;
        for who in ready {
            match who {
                Component::Kubelet(node) => self.rejoin_kubelet(&node),
                other => self.relist(other),
            }
        }
    }

    /// A kubelet back in touch: it reports its node Ready, restarts its heartbeats, lists the
    /// pods bound to its node (stopping those the API server no longer has) and catches up on
    /// what it held back.
    fn rejoin_kubelet(&mut self, node: &str) {
        let boot = self.boot(node);
        let Some(kubelet) = self.kubelets.get_mut(node) else { return };
        let mut client = crate::apiserver::Client::new(&mut self.api, &mut self.rng, Component::Kubelet(node.to_string()));
        let mut timers = kubelet.rejoin(&mut client);
        let pods = client.list(crate::api::info("Pod"), None);
        kubelet.relist(&pods);
        timers.extend(kubelet.run(&mut client));
        let held: Vec<Timer> = {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.faults.held).into_iter().partition(|(n, _, _)| n == node);
            self.faults.held = rest;
            mine.into_iter().filter(|(_, b, _)| *b == boot).map(|(_, _, t)| t).collect()
        };
        for timer in held {
            self.push(self.now_ms, Task::KubeletTimer(node.to_string(), boot, timer));
        }
        for (delay, timer) in timers {
            self.push(self.now_ms + delay, Task::KubeletTimer(node.to_string(), boot, timer));
        }
        self.fan_out();
    }

    /// A scheduler or controller manager that starts (or whose API server returns) begins
    /// afresh and lists every object it watches, as its informers do.
    fn relist(&mut self, who: Component) {
        match &who {
            Component::Scheduler => self.scheduler = Scheduler::default(),
            Component::ControllerManager => self.controllers = ControllerManager::default(),
            _ => return,
        }
        let at = self.now_ms;
        for kind in KINDS {
            for object in self.api.peek_list(kind, None) {
                let event = WatchEvent { event_type: WatchEventType::Added, object };
                let watches = match &who {
                    Component::Scheduler => Scheduler::watches(&event),
                    _ => self.controllers.watches(&event),
                };
                if watches {
                    self.push(at, Task::Deliver(who.clone(), event));
                }
            }
        }
    }

    /// `sim etcd snapshot save NAME`.
    pub fn save_etcd_snapshot(&mut self, name: &str) -> String {
        self.etcd_snapshots.insert(name.to_string(), self.api.snapshot());
        format!("Snapshot saved at {name}")
    }

    /// `sim etcd snapshot restore NAME`: etcd goes back to the snapshot; every component
    /// watching sees the changes and reconciles.
    pub fn restore_etcd_snapshot(&mut self, name: &str) -> Result<String, String> {
        let objects = self.etcd_snapshots.get(name).ok_or_else(|| format!("Error: open {name}: no such file or directory"))?.clone();
        self.api.set_time(self.now_ms);
        let revision = self.api.restore(&objects);
        self.fan_out();
        Ok(format!("snapshot {name} restored: {} objects, revision {revision}", objects.len()))
    }

    /// The kubelet's current boot: timers from an earlier boot are stale.
    pub(super) fn boot(&self, node: &str) -> u64 {
        self.boots.get(node).copied().unwrap_or(0)
    }
}

fn describe(who: &Component) -> String {
    match who {
        Component::ApiServer => "kube-apiserver".to_string(),
        Component::Scheduler => "kube-scheduler".to_string(),
        Component::ControllerManager => "kube-controller-manager".to_string(),
        Component::Kubelet(node) => format!("kubelet on {node}"),
        other => other.to_string(),
    }
}
