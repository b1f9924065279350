//! The control plane's machines: one to five control-plane nodes (`sim control-plane
//! --replicas N`), each running, as kubeadm's static pods do, a kube-apiserver, an etcd member
//! (`etcd-N`), a kube-scheduler and a kube-controller-manager. The API servers sit behind a
//! load balancer (anyone can serve a request); etcd's members replicate through Raft
//! (`etcd/raft.rs`); the schedulers and controller managers elect one leader each through a
//! Lease (`leader_election.rs`) and only the leader acts. With a single replica there is
//! nothing to elect: that instance acts and no Leases are written.
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Taint;

use super::leader_election::{LeaderElection, RETRY_PERIOD_MS};
use super::{Cluster, Task};
use crate::apiserver::{Client, Component};
use crate::kubelet::{Kubelet, NodeConfig};

/// A process every control-plane node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Process {
    ApiServer,
    Etcd,
    Scheduler,
    ControllerManager,
}

impl Process {
    /// The name its static pod and binary have.
    pub fn name(self) -> &'static str {
        match self {
            Process::ApiServer => "kube-apiserver",
            Process::Etcd => "etcd",
            Process::Scheduler => "kube-scheduler",
            Process::ControllerManager => "kube-controller-manager",
        }
    }

    /// The component that acts for it in the model.
    fn component(self) -> Component {
        match self {
            Process::ApiServer => Component::ApiServer,
            Process::Etcd => Component::Etcd,
            Process::Scheduler => Component::Scheduler,
            Process::ControllerManager => Component::ControllerManager,
        }
    }
}

/// The replica counts `sim control-plane --replicas` accepts (etcd wants an odd count).
pub const REPLICAS: [usize; 3] = [1, 3, 5];

/// The control plane's layout and which of its processes `sim stop` stopped.
pub(super) struct ControlPlane {
    /// The control-plane nodes, as kind names them: `control-plane`, `control-plane2`, …
    nodes: Vec<String>,
    /// Processes stopped on purpose, by node (a powered-off node stops all of its own too).
    stopped: BTreeSet<(Process, String)>,
    /// The scheduler's and the controller manager's elections, with more than one replica.
    elections: Vec<(Process, LeaderElection)>,
}

impl Default for ControlPlane {
    fn default() -> Self {
        ControlPlane { nodes: vec!["control-plane".to_string()], stopped: BTreeSet::new(), elections: Vec::new() }
    }
}

/// How a control-plane node registers: labelled and tainted as kubeadm does it.
pub(super) fn node_config(name: &str) -> NodeConfig {
    let mut node = NodeConfig::worker(name);
    node.labels.insert("node-role.kubernetes.io/control-plane".into(), String::new());
    node.taints.push(Taint {
        key: "node-role.kubernetes.io/control-plane".into(),
        effect: "NoSchedule".into(),
        value: None,
        time_added: None,
    });
    node
}

impl ControlPlane {
    pub(super) fn nodes(&self) -> &[String] {
        &self.nodes
    }

    pub(super) fn is_member(&self, node: &str) -> bool {
        self.nodes.iter().any(|n| n == node)
    }

    /// Whether `process` runs on `node`: a control-plane node that is powered on, where it was
    /// not stopped.
    pub(super) fn runs(&self, process: Process, node: &str, powered_off: &BTreeSet<String>) -> bool {
        self.is_member(node) && !powered_off.contains(node) && !self.stopped.contains(&(process, node.to_string()))
    }

    /// Whether any API server answers behind the load balancer.
    pub(super) fn api_up(&self, powered_off: &BTreeSet<String>) -> bool {
        self.nodes.iter().any(|n| self.runs(Process::ApiServer, n, powered_off))
    }

    /// The node whose scheduler (or controller manager) acts now: the only instance with one
    /// replica, else the elected leader. It needs its node's API server (kubeadm points it at
    /// the local one), which needs its node's etcd member (stacked etcd: `--etcd-servers`
    /// is the local member).
    pub(super) fn acting(&self, process: Process, powered_off: &BTreeSet<String>) -> Option<&str> {
        let node = match self.election(process) {
            Some(election) => election.leader()?,
            None => self.nodes.first()?.as_str(),
        };
        (self.runs(process, node, powered_off) && self.reaches_api(node, powered_off)).then_some(node)
    }

    /// Whether a scheduler or controller manager on `node` can reach the API: its local API
    /// server and that server's etcd member run.
    pub(super) fn reaches_api(&self, node: &str, powered_off: &BTreeSet<String>) -> bool {
        self.runs(Process::ApiServer, node, powered_off) && self.runs(Process::Etcd, node, powered_off)
    }

    fn election(&self, process: Process) -> Option<&LeaderElection> {
        self.elections.iter().find(|(p, _)| *p == process).map(|(_, e)| e)
    }

    /// Marks a process stopped (true) or running (false) on `node`; false when it already was.
    pub(super) fn set_stopped(&mut self, process: Process, node: &str, stopped: bool) -> bool {
        let entry = (process, node.to_string());
        if stopped {
            self.stopped.insert(entry)
        } else {
            self.stopped.remove(&entry)
        }
    }
}

/// The nodes whose scheduler and controller manager act, and whether an API server answers.
pub(super) type ActingInstances = (Option<String>, Option<String>, bool);

/// One control-plane node as `sim control-plane` and the UI show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlPlaneMember {
    pub node: String,
    pub api_server: InstanceState,
    /// The etcd member's name (`etcd-1`, …) and state (`Leader` for etcd's leader).
    pub etcd: (String, InstanceState),
    pub scheduler: InstanceState,
    pub controller_manager: InstanceState,
}

/// What one instance of a control-plane process is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstanceState {
    /// Running (and, for an elected component with one replica, acting).
    Running,
    /// Running and holding the leadership (etcd's leader, or the Lease's holder).
    Leader,
    /// Running, waiting for the Lease.
    Standby,
    /// An etcd member that follows the leader (or waits for an election).
    Follower,
    Stopped,
}

impl std::fmt::Display for InstanceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InstanceState::Running => "Running",
            InstanceState::Leader => "Leader",
            InstanceState::Standby => "Standby",
            InstanceState::Follower => "Follower",
            InstanceState::Stopped => "Stopped",
        })
    }
}

impl Cluster {
    /// A node's address (where its etcd member listens, for a control-plane node).
    pub fn node_ip(&self, node: &str) -> Option<String> {
        self.kubelets.get(node).map(Kubelet::node_ip)
    }

    /// The control-plane nodes with the state of each process on them, and who leads.
    pub fn control_plane(&self) -> Vec<ControlPlaneMember> {
        let cp = &self.faults.control_plane;
        let off = &self.faults.powered_off;
        let raft = self.api.etcd_members();
        let elected = |process: Process, node: &str| {
            if !cp.runs(process, node, off) {
                InstanceState::Stopped
            } else if cp.election(process).is_none() {
                InstanceState::Running
            } else if cp.election(process).and_then(LeaderElection::leader) == Some(node) {
                InstanceState::Leader
            } else {
                InstanceState::Standby
            }
        };
        cp.nodes
            .iter()
            .map(|node| {
                let member = raft.members().iter().find(|m| m.node == *node);
                let etcd_state = match member {
                    Some(m) if !m.running => InstanceState::Stopped,
                    Some(m) if raft.leader().map(|l| &l.name) == Some(&m.name) => InstanceState::Leader,
                    _ => InstanceState::Follower,
                };
                ControlPlaneMember {
                    node: node.clone(),
                    api_server: if cp.runs(Process::ApiServer, node, off) { InstanceState::Running } else { InstanceState::Stopped },
                    etcd: (member.map(|m| m.name.clone()).unwrap_or_default(), etcd_state),
                    scheduler: elected(Process::Scheduler, node),
                    controller_manager: elected(Process::ControllerManager, node),
                }
            })
            .collect()
    }

    /// `sim control-plane --replicas N`: adds control-plane nodes (each with its processes and
    /// an etcd member that joins the cluster) up to N. Removing members is refused: etcd wants
    /// them removed one at a time (`etcdctl member remove`), which is not modelled.
    pub fn scale_control_plane(&mut self, replicas: usize) -> Result<String, String> {
        if !REPLICAS.contains(&replicas) {
            return Err(format!("error: --replicas must be 1, 3 or 5 (an odd number of etcd members), not {replicas}"));
        }
        let have = self.faults.control_plane.nodes.len();
        if replicas < have {
            return Err(format!(
                "error: the control plane has {have} replicas; shrinking it is not supported (etcd members are removed one at a time with etcdctl member remove)"
            ));
        }
        if replicas == have {
            return Ok(format!("control plane already has {have} replica{}", if have == 1 { "" } else { "s" }));
        }
        if let Some(error) = self.api.etcd_unavailable() {
            return Err(format!("error: etcd cannot add members without a leader ({})", error.message));
        }
        let names: Vec<String> = (have + 1..=replicas).map(|n| format!("control-plane{n}")).collect();
        if let Some(taken) = names.iter().find(|n| self.kubelets.contains_key(*n)) {
            return Err(format!("error: a node named {taken:?} already exists"));
        }
        let mut lines = Vec::new();
        let before = self.acting_instances();
        for name in names {
            self.add_node(node_config(&name))?;
            self.faults.control_plane.nodes.push(name.clone());
            let member = self.api.etcd_members_mut().add_member(&name);
            lines.push(format!("node/{name} added (kube-apiserver, {member}, kube-scheduler, kube-controller-manager)"));
        }
        // The instances that ran alone become candidates; the first election runs now.
        let first = self.faults.control_plane.elections.is_empty();
        if first {
            self.faults.control_plane.elections = vec![
                (Process::Scheduler, LeaderElection::new("kube-scheduler")),
                (Process::ControllerManager, LeaderElection::new("kube-controller-manager")),
            ];
        }
        self.sync_members();
        if first {
            self.run_elections();
            self.push(self.now_ms + RETRY_PERIOD_MS, Task::LeaderElection);
        }
        self.follow_acting(before);
        lines.push(format!("control plane scaled to {replicas} replicas"));
        Ok(lines.join("\n"))
    }

    /// After a change to what runs on the control plane (`before` was taken before it), lets
    /// everything follow: etcd's members start or stop (an election may follow), the elections
    /// see their candidates, and a component that lost or gained its acting instance (or every
    /// client, when the last API server went) relists once it can.
    pub(super) fn settle_control_plane(&mut self, before: ActingInstances) {
        self.sync_members();
        self.follow_acting(before);
    }

    /// etcd's members and the elections' candidates follow what runs.
    fn sync_members(&mut self) {
        let cp = &self.faults.control_plane;
        let off = &self.faults.powered_off;
        let members: Vec<(String, bool)> =
            self.api.etcd_members().members().iter().map(|m| (m.name.clone(), cp.runs(Process::Etcd, &m.node, off))).collect();
        for (name, running) in members {
            self.api.etcd_members_mut().set_running(&name, running, self.now_ms, &mut self.rng);
        }
        self.follow_etcd();
        let off = &self.faults.powered_off;
        let cp = &mut self.faults.control_plane;
        for (process, election) in &mut cp.elections {
            let running: Vec<String> =
                cp.nodes.iter().filter(|n| !off.contains(*n) && !cp.stopped.contains(&(*process, (*n).clone()))).cloned().collect();
            election.set_candidates(&running, &mut self.rng);
        }
    }

    /// Which instances act now (scheduler, controller manager) and whether an API server answers.
    pub(super) fn acting_instances(&self) -> ActingInstances {
        let cp = &self.faults.control_plane;
        let off = &self.faults.powered_off;
        (
            cp.acting(Process::Scheduler, off).map(str::to_string),
            cp.acting(Process::ControllerManager, off).map(str::to_string),
            cp.api_up(off),
        )
    }

    /// A component whose acting instance changed starts afresh (a new process lists the world);
    /// when the last API server goes, every client loses its watches.
    fn follow_acting(&mut self, before: ActingInstances) {
        let after = self.acting_instances();
        if before.0 != after.0 {
            self.faults.lagging.insert(Component::Scheduler);
        }
        if before.1 != after.1 {
            self.faults.lagging.insert(Component::ControllerManager);
        }
        if before.2 && !after.2 {
            self.everyone_lags();
        }
        self.reconnect_all();
    }

    /// Every client of the API server must catch up once it can (list again, report again).
    fn everyone_lags(&mut self) {
        self.faults.lagging.extend([Component::Scheduler, Component::ControllerManager]);
        self.faults.lagging.extend(self.kubelets.keys().map(|n| Component::Kubelet(n.clone())));
    }

    /// Follows etcd's leadership: queues its pending election (or step-down); when it loses
    /// its leader every component stops getting anything done, and when a leader is elected
    /// again they all catch up (list, report, retry what they held back).
    fn follow_etcd(&mut self) {
        if let Some(due) = self.api.etcd_members().next_due() {
            self.push(due.max(self.now_ms), Task::EtcdElection);
        }
        let down = self.api.etcd_unavailable().is_some();
        if down && !self.faults.etcd_down {
            self.everyone_lags();
        }
        self.faults.etcd_down = down;
        if !down {
            self.reconnect_all();
        }
    }

    /// etcd's election timeout ran out: a new leader, or a leader's step-down.
    pub(super) fn etcd_election(&mut self) {
        self.api.etcd_members_mut().tick(self.now_ms, &mut self.rng);
        self.follow_etcd();
    }

    /// One retryPeriod of the scheduler's and the controller manager's leader elections.
    pub(super) fn leader_election_tick(&mut self) {
        let before = self.acting_instances();
        self.run_elections();
        self.follow_acting(before);
        self.push(self.now_ms + RETRY_PERIOD_MS, Task::LeaderElection);
    }

    /// Every candidate's turn: the leaders renew, the standbys try to acquire.
    fn run_elections(&mut self) {
        self.api.set_time(self.now_ms);
        let etcd_up = self.api.etcd_unavailable().is_none();
        let mut elections = std::mem::take(&mut self.faults.control_plane.elections);
        for (process, election) in &mut elections {
            let cp = &self.faults.control_plane;
            let off = &self.faults.powered_off;
            let reaches_api = |node: &str| etcd_up && cp.reaches_api(node, off);
            let mut client = Client::new(&mut self.api, &mut self.rng, process.component());
            election.tick(&mut client, reaches_api);
        }
        self.faults.control_plane.elections = elections;
        self.fan_out();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ConfigMap, Object};
    use crate::cluster::{ClusterConfig, Target};

    fn ha(replicas: usize) -> Cluster {
        let mut cluster = Cluster::new(ClusterConfig::default());
        cluster.scale_control_plane(replicas).unwrap();
        cluster
    }

    fn leader(cluster: &Cluster) -> Option<String> {
        cluster.control_plane().into_iter().find(|m| m.scheduler == InstanceState::Leader).map(|m| m.node)
    }

    #[test]
    fn a_standby_takes_the_lease_once_it_has_not_been_renewed_for_15_seconds() {
        let mut cluster = ha(3);
        cluster.advance(21_000);
        assert_eq!(leader(&cluster).as_deref(), Some("control-plane"));
        // The last renewal was at 20 s; the process stops at 21 s.
        cluster.stop_component(Target::ControlPlane(Process::Scheduler, None)).unwrap();
        assert_eq!(leader(&cluster), None);
        cluster.advance(14_999);
        assert_eq!(leader(&cluster), None, "the Lease is held until it expires");
        cluster.advance(1);
        let next = leader(&cluster).expect("a standby leads 16 s after the last renewal");
        assert_ne!(next, "control-plane");
        let lease = cluster.api().peek(&crate::api::Key::new("Lease", "kube-system", "kube-scheduler")).unwrap();
        let Object::Lease(lease) = &*lease else { unreachable!() };
        let spec = lease.spec.clone().unwrap_or_default();
        assert_eq!(spec.lease_transitions, Some(1));
        assert!(spec.holder_identity.unwrap_or_default().starts_with(&format!("{next}_")));
    }

    #[test]
    fn with_one_replica_nothing_is_elected_and_no_lease_is_written() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        cluster.advance(60_000);
        assert!(cluster.api().peek_list(crate::api::info("Lease"), Some("kube-system")).is_empty());
        assert_eq!(cluster.control_plane()[0].scheduler, InstanceState::Running);
        assert_eq!(
            cluster.scale_control_plane(2).unwrap_err(),
            "error: --replicas must be 1, 3 or 5 (an odd number of etcd members), not 2"
        );
        cluster.add_node(NodeConfig::worker("control-plane3")).unwrap();
        assert_eq!(cluster.scale_control_plane(3).unwrap_err(), "error: a node named \"control-plane3\" already exists");
        assert_eq!(cluster.control_plane().len(), 1, "nothing was added");
    }

    #[test]
    fn losing_the_etcd_majority_fails_writes_and_consumes_no_revision() {
        let mut cluster = ha(3);
        cluster.advance(5_000);
        cluster.stop_component(Target::EtcdMember("etcd-2".into())).unwrap();
        cluster.advance(5_000);
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("one-down".into());
        assert!(cluster.request(Component::Kubectl, |c| c.create(Object::ConfigMap(cm.clone()))).is_ok());
        cluster.stop_component(Target::EtcdMember("etcd-3".into())).unwrap();
        let revision = cluster.revision();
        cm.metadata.name = Some("two-down".into());
        let error = cluster.request(Component::Kubectl, |c| c.create(Object::ConfigMap(cm.clone()))).unwrap_err();
        assert_eq!(error.render(None), "Error from server: etcdserver: request timed out");
        cluster.advance(60_000);
        assert_eq!(cluster.revision(), revision, "nobody wrote anything, not even the Leases");
        cluster.start_component(Target::EtcdMember("etcd-3".into())).unwrap();
        cluster.advance(2_000);
        assert!(cluster.api().etcd_unavailable().is_none());
        assert!(cluster.revision() > revision, "the components catch up");
    }
}
