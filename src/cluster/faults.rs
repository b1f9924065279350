//! Breaking things on purpose: machines that die (`sim node stop`), nodes cut off from the
//! control plane (`sim node partition`), and control-plane components or kubelets that stop
//! (`sim stop …`). A stopped component gets no watch events and runs nothing; a kubelet that is
//! stopped or cut off keeps its pods as they are, and what it would have told the API server
//! waits until it can reach it again. Whatever comes back relists, as informers do after a
//! restart, so the cluster converges. The control plane's own processes (API servers, etcd
//! members, schedulers, controller managers) are kept in `control_plane.rs`.
use std::collections::BTreeSet;

use super::control_plane::{ControlPlane, Process};
use super::{Cluster, Task};
use crate::api::{Key, KINDS};
use crate::apiserver::{Component, WatchEvent, WatchEventType};
use crate::controllers::ControllerManager;
use crate::kubelet::{Kubelet, Timer};
use crate::scheduler::Scheduler;

/// What is broken now.
#[derive(Default)]
pub(super) struct Faults {
    /// The control-plane nodes and their processes, some perhaps stopped.
    pub(super) control_plane: ControlPlane,
    /// Kubelets that are not running.
    stopped: BTreeSet<Component>,
    /// Nodes whose network to the control plane is cut.
    partitioned: BTreeSet<String>,
    /// Machines that are switched off (kubelet and containers gone).
    pub(super) powered_off: BTreeSet<String>,
    /// Kubelet timers that fell due while their kubelet could not act on them.
    held: Vec<(String, u64, Timer)>,
    /// Components that lost touch with the API server and must catch up when they can.
    pub(super) lagging: BTreeSet<Component>,
    /// etcd has no leader: every write fails, so no component gets anything done (the
    /// kubelets' containers keep running; what they would report waits).
    pub(super) etcd_down: bool,
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
        let api_up = self.control_plane.api_up(&self.powered_off);
        match who {
            Component::ApiServer => true,
            _ if self.etcd_down => false,
            Component::Kubelet(node) => {
                api_up && !self.stopped.contains(who) && !self.partitioned.contains(node) && !self.powered_off.contains(node)
            }
            Component::Scheduler => self.control_plane.acting(Process::Scheduler, &self.powered_off).is_some(),
            Component::ControllerManager => self.control_plane.acting(Process::ControllerManager, &self.powered_off).is_some(),
            _ => api_up,
        }
    }

    pub(super) fn timer_fate(&self, node: &str, timer: &Timer) -> TimerFate {
        if self.powered_off.contains(node) {
            TimerFate::Drop
        } else if self.reachable(&Component::Kubelet(node.to_string())) {
            TimerFate::Run
        } else if matches!(timer, Timer::Lease | Timer::NodeStatus) {
            // Heartbeats that cannot be sent are not sent; the kubelet starts them again when
            // it is back.
            TimerFate::Drop
        } else {
            TimerFate::Hold
        }
    }

    pub(super) fn hold(&mut self, node: String, boot: u64, timer: Timer) {
        self.held.push((node, boot, timer));
    }

    /// Whether no API server answers behind the load balancer.
    pub fn api_server_down(&self) -> bool {
        !self.control_plane.api_up(&self.powered_off)
    }
}

/// What `sim stop|start` can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A control-plane process, on one control-plane node or (`None`) the default ones.
    ControlPlane(Process, Option<String>),
    /// An etcd member by name (`etcd-2`).
    EtcdMember(String),
    Kubelet(String),
}

/// A component `sim stop|start` can name.
pub fn parse_component(name: &str, node: Option<&str>) -> Result<Target, String> {
    let process = |p| Ok(Target::ControlPlane(p, node.map(str::to_string)));
    match (name, node) {
        ("apiserver" | "kube-apiserver", _) => process(Process::ApiServer),
        ("scheduler" | "kube-scheduler", _) => process(Process::Scheduler),
        ("controller-manager" | "kube-controller-manager", _) => process(Process::ControllerManager),
        ("kubelet", Some(node)) => Ok(Target::Kubelet(node.to_string())),
        ("kubelet", None) => Err("error: usage: sim stop|start kubelet NODE".to_string()),
        (member, None) if member.strip_prefix("etcd-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) => {
            Ok(Target::EtcdMember(member.to_string()))
        }
        ("kube-proxy", _) => Err("error: kube-proxy is not modelled as a process that can stop yet".to_string()),
        (other, _) => Err(format!(
            "error: unknown component {other:?} (one of: apiserver, scheduler, controller-manager [NODE], etcd-N, kubelet NODE)"
        )),
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
    pub fn stop_component(&mut self, target: Target) -> Result<String, String> {
        match target {
            Target::Kubelet(node) => {
                self.check_node(&node)?;
                if self.faults.powered_off.contains(&node) {
                    return Err(format!("error: node {node:?} is stopped; its kubelet is not running"));
                }
                let who = Component::Kubelet(node);
                if !self.faults.stopped.insert(who.clone()) {
                    return Err(format!("error: {} is already stopped", describe(&who)));
                }
                self.faults.lagging.insert(who.clone());
                Ok(format!("{} stopped", describe(&who)))
            }
            other => self.switch_processes(other, true),
        }
    }

    /// `sim start COMPONENT`: the process starts again and lists what it watches.
    pub fn start_component(&mut self, target: Target) -> Result<String, String> {
        match target {
            Target::Kubelet(node) => {
                self.check_node(&node)?;
                let who = Component::Kubelet(node);
                if !self.faults.stopped.remove(&who) {
                    return Err(format!("error: {} is already running", describe(&who)));
                }
                self.reconnect_all();
                Ok(format!("{} started", describe(&who)))
            }
            other => self.switch_processes(other, false),
        }
    }

    /// Stops or starts control-plane processes. Without a node: with one replica, its
    /// instance; otherwise `sim stop` takes the scheduler's or controller manager's leader, or
    /// every API server (the load balancer's whole pool), and `sim start` every stopped one.
    fn switch_processes(&mut self, target: Target, stop: bool) -> Result<String, String> {
        let cp = &self.faults.control_plane;
        let off = &self.faults.powered_off;
        let (process, nodes) = match target {
            Target::EtcdMember(member) => {
                let raft = self.api.etcd_members();
                let Some(found) = raft.find(&member) else {
                    let names: Vec<&str> = raft.members().iter().map(|m| m.name.as_str()).collect();
                    return Err(format!("error: no etcd member named {member:?} (members: {})", names.join(", ")));
                };
                (Process::Etcd, vec![found.node.clone()])
            }
            Target::ControlPlane(process, Some(node)) => {
                if !cp.is_member(&node) {
                    return Err(format!("error: {node:?} is not a control-plane node (control-plane nodes: {})", cp.nodes().join(", ")));
                }
                (process, vec![node])
            }
            Target::ControlPlane(process, None) if cp.nodes().len() == 1 => (process, cp.nodes().to_vec()),
            Target::ControlPlane(process, None) => {
                let chosen: Vec<String> = if stop && process != Process::ApiServer {
                    self.control_plane().into_iter().filter(|m| leads(m, process)).map(|m| m.node).collect()
                } else {
                    cp.nodes().iter().filter(|n| !off.contains(*n) && cp.runs(process, n, off) == stop).cloned().collect()
                };
                if chosen.is_empty() {
                    return Err(match (stop, process) {
                        (true, Process::ApiServer) => "error: every kube-apiserver is already stopped".to_string(),
                        (true, _) => format!(
                            "error: no {} leads now; name the instance to stop (sim stop {} NODE)",
                            process.name(),
                            short_name(process)
                        ),
                        (false, _) => format!("error: every {} on a running node is already running", process.name()),
                    });
                }
                (process, chosen)
            }
            Target::Kubelet(_) => return Err("error: a kubelet is not a control-plane process".to_string()),
        };
        let label = |node: &str| self.process_label(process, node);
        for node in &nodes {
            if off.contains(node) {
                let what = if process == Process::Etcd { format!("etcd member {}", label(node)) } else { process.name().to_string() };
                return Err(format!("error: node {node:?} is stopped; its {what} is not running"));
            }
            if cp.runs(process, node, off) != stop {
                let state = if stop { "stopped" } else { "running" };
                return Err(format!("error: {} is already {state}", label(node)));
            }
        }
        let verb = if stop { "stopped" } else { "started" };
        let lines: Vec<String> = nodes.iter().map(|n| format!("{} {verb}", label(n))).collect();
        let before = self.acting_instances();
        for node in &nodes {
            self.faults.control_plane.set_stopped(process, node, stop);
        }
        self.settle_control_plane(before);
        Ok(lines.join("\n"))
    }

    /// How messages name an instance: `kube-scheduler` with one replica, else
    /// `kube-scheduler on control-plane2`; etcd members by their name.
    fn process_label(&self, process: Process, node: &str) -> String {
        if process == Process::Etcd {
            let member = self.api.etcd_members().members().iter().find(|m| m.node == node);
            return member.map_or_else(|| "etcd".to_string(), |m| m.name.clone());
        }
        if self.faults.control_plane.nodes().len() == 1 {
            process.name().to_string()
        } else {
            format!("{} on {node}", process.name())
        }
    }

    /// `sim node stop`: the machine loses power. Its kubelet and containers are gone; the
    /// API server still has its Node and pods until the control plane notices.
    pub fn stop_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        let before = self.acting_instances();
        if !self.faults.powered_off.insert(node.to_string()) {
            return Err(format!("error: node {node:?} is already stopped"));
        }
        self.faults.held.retain(|(n, _, _)| n != node);
        if let Some(kubelet) = self.kubelets.get_mut(node) {
            *kubelet = Kubelet::new(kubelet.config().clone());
        }
        self.boots.entry(node.to_string()).and_modify(|b| *b += 1).or_insert(1);
        self.faults.lagging.insert(Component::Kubelet(node.to_string()));
        // A control-plane node takes its static pods' processes down with it.
        self.settle_control_plane(before);
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
        let before = self.acting_instances();
        let booted = self.faults.powered_off.remove(node);
        let reconnected = self.faults.partitioned.remove(node);
        if !booted && !reconnected {
            return Err(format!("error: node {node:?} is already running"));
        }
        self.settle_control_plane(before);
        Ok(format!("node/{node} started"))
    }

    /// `sim node delete`: the machine is removed and its Node object deleted (as a cloud
    /// provider does); the pod garbage collector then removes the pods bound to it.
    pub fn delete_node(&mut self, node: &str) -> Result<String, String> {
        self.check_node(node)?;
        if self.faults.control_plane.is_member(node) {
            return Err(format!("error: node {node:?} runs the control plane; sim node delete removes workers"));
        }
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
    pub(super) fn reconnect_all(&mut self) {
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

    /// `sim etcd snapshot save NAME`: etcdctl asks a running member for its snapshot (no
    /// quorum needed); with every member down it cannot connect.
    pub fn save_etcd_snapshot(&mut self, name: &str) -> Result<String, String> {
        if !self.api.etcd_members().members().iter().any(|m| m.running) {
            return Err("Error: context deadline exceeded".to_string());
        }
        self.etcd_snapshots.insert(name.to_string(), self.api.snapshot());
        Ok(format!("Snapshot saved at {name}"))
    }

    /// `sim etcd snapshot restore NAME`: etcd goes back to the snapshot; every component
    /// watching sees the changes and reconciles.
    pub fn restore_etcd_snapshot(&mut self, name: &str) -> Result<String, String> {
        let objects = self.etcd_snapshots.get(name).ok_or_else(|| format!("Error: open {name}: no such file or directory"))?.clone();
        // Written through the members here, so they must have a leader: restore with a quorum.
        if let Some(error) = self.api.etcd_unavailable() {
            return Err(format!("Error: etcd has no leader ({}): start a majority of its members first", error.message));
        }
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
        Component::Kubelet(node) => format!("kubelet on {node}"),
        other => other.to_string(),
    }
}

/// The name `sim stop` takes for a process.
fn short_name(process: Process) -> &'static str {
    match process {
        Process::ApiServer => "apiserver",
        Process::Etcd => "etcd-N",
        Process::Scheduler => "scheduler",
        Process::ControllerManager => "controller-manager",
    }
}

/// Whether a member's instance of `process` holds its Lease.
fn leads(member: &super::ControlPlaneMember, process: Process) -> bool {
    let state = match process {
        Process::Scheduler => member.scheduler,
        _ => member.controller_manager,
    };
    state == super::InstanceState::Leader
}
