//! The world: the virtual clock, the event queue, and every component of the cluster.
//!
//! Nothing here decides cluster behaviour; it only delivers. Each API write produces watch
//! events (read from etcd's history by the API server), which are delivered to the components
//! that watch that kind after a small latency; a component with work then runs, and the
//! timers it asks for (image pulls, container stops) go into the same queue, ordered by
//! (time, sequence). An idle cluster has an empty queue and costs nothing.
mod autoscaler;
mod control_plane;
mod faults;
mod fork;
mod leader_election;
mod snapshot;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

pub use crate::kubelet::NodeConfig;

pub use crate::apiserver::{Component, Message};
pub use control_plane::{ControlPlaneMember, InstanceState};
pub use faults::{parse_component, Target};
pub use snapshot::{NodeView, PodView, Snapshot};

use crate::api::Key;
use crate::apiserver::{ApiServer, Client, ContainerMetrics, WatchEvent};
use crate::controllers::ControllerManager;
use crate::kubelet::pod_workers::LogLine;
use crate::kubelet::{Kubelet, PodUsage, Timer};
use crate::network::{CurlRequest, Load, Network, Request};
use crate::proxy::KubeProxy;
use crate::rng::Rng;
use crate::scheduler::Scheduler;

/// How long a watch event takes to reach a watcher.
const WATCH_LATENCY_MS: u64 = 1;

/// How to build a cluster: the seed of its one RNG and the number of default workers.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub seed: u64,
    pub workers: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { seed: 0, workers: 3 }
    }
}

enum Task {
    Deliver(Component, WatchEvent),
    Run(Component),
    /// A component asked to run again at this time (a controller's `AddAfter`).
    Wake(Component),
    /// A scan of the cluster autoscaler.
    Autoscale,
    /// A kubelet's timer, for the kubelet's boot that asked for it.
    KubeletTimer(String, u64, Timer),
    /// etcd's election timeout (or a leader's step-down) may be due.
    EtcdElection,
    /// The retryPeriod of the scheduler's and controller manager's leader elections.
    LeaderElection,
}

/// An entry of the event queue; ordered by time, then by the order it was queued.
struct Queued {
    at: u64,
    seq: u64,
    task: Task,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

pub struct Cluster {
    now_ms: u64,
    rng: Rng,
    api: ApiServer,
    queue: BinaryHeap<Reverse<Queued>>,
    next_seq: u64,
    scheduler: Scheduler,
    controllers: ControllerManager,
    kubelets: BTreeMap<String, Kubelet>,
    /// The kube-proxy of each node.
    kube_proxies: BTreeMap<String, KubeProxy>,
    /// Simulated traffic: recent requests and steady loads.
    network: Network,
    /// Components with a `Run` already queued, so a burst of deliveries causes one run.
    run_queued: BTreeSet<Component>,
    /// The times at which a `Wake` of the controller manager is queued.
    controller_wakeups: BTreeSet<u64>,
    /// The times at which a `Wake` of the scheduler is queued (backoffQ and the periodic
    /// flush of unschedulable pods).
    scheduler_wakeups: BTreeSet<u64>,
    /// What `sim stop`, `sim node stop|partition` broke.
    faults: faults::Faults,
    /// How many times each machine has restarted: a timer of an earlier boot is stale.
    boots: BTreeMap<String, u64>,
    /// The cluster autoscaler, once `sim autoscaler nodes` turns it on.
    autoscaler: Option<autoscaler::Autoscaler>,
    /// etcd snapshot files by name (`sim etcd snapshot save`).
    etcd_snapshots: BTreeMap<String, Vec<crate::api::ObjectRef>>,
}

impl Cluster {
    /// The default cluster: `control-plane` (tainted NoSchedule) and `workers` workers.
    pub fn new(config: ClusterConfig) -> Cluster {
        let mut cluster = Cluster {
            now_ms: 0,
            rng: Rng::new(config.seed),
            api: ApiServer::default(),
            queue: BinaryHeap::new(),
            next_seq: 0,
            scheduler: Scheduler::default(),
            controllers: ControllerManager::default(),
            kubelets: BTreeMap::new(),
            kube_proxies: BTreeMap::new(),
            network: Network::default(),
            run_queued: Default::default(),
            controller_wakeups: Default::default(),
            scheduler_wakeups: Default::default(),
            faults: Default::default(),
            boots: Default::default(),
            autoscaler: None,
            etcd_snapshots: BTreeMap::new(),
        };
        crate::apiserver::create_system_objects(&mut Client::new(&mut cluster.api, &mut cluster.rng, Component::ApiServer));
        let _ = cluster.add_node(control_plane::node_config("control-plane"));
        for i in 1..=config.workers {
            let _ = cluster.add_node(NodeConfig::worker(&format!("worker-{i}")));
        }
        cluster
    }

    /// Virtual time since the cluster started, in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The API server, for reading state (kubectl's requests go through [`Cluster::client`]).
    pub fn api(&self) -> &ApiServer {
        &self.api
    }

    /// The revision of the cluster's state (etcd's): a snapshot taken at the same revision is
    /// the same snapshot, so a viewer can skip taking it.
    pub fn revision(&self) -> i64 {
        self.api.revision()
    }

    /// Every object as it was at a past revision (from [`Cluster::revision`]s since the last
    /// compaction, 5 to 10 minutes of virtual time): what a timeline scrubber draws.
    pub fn state_at(&self, revision: i64) -> Result<Vec<crate::api::ObjectRef>, crate::apiserver::ApiError> {
        self.api.state_at(revision)
    }

    /// Every message recorded so far, oldest first; `Message::seq` is its index.
    pub fn messages(&self) -> &[Message] {
        self.api.messages()
    }

    /// The scheduler, for reading its decisions and configuration.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// Gives the scheduler a new (validated) configuration, as restarting kube-scheduler
    /// with it would; pods already queued stay queued.
    pub fn configure_scheduler(&mut self, config: crate::scheduler::config::Config) {
        self.scheduler.configure(config);
    }

    /// Runs `request` as `who` against the API server, then delivers what it changed.
    pub fn request<T>(&mut self, who: Component, request: impl FnOnce(&mut Client) -> T) -> T {
        self.api.set_time(self.now_ms);
        let result = request(&mut Client::new(&mut self.api, &mut self.rng, who));
        self.fan_out();
        result
    }

    /// Starts a kubelet on a new machine; it registers its Node at once. The machine gets the
    /// lowest free index (its podCIDR and address follow from it).
    pub fn add_node(&mut self, mut request: NodeConfig) -> Result<(), String> {
        if self.kubelets.contains_key(&request.name) || self.api.peek(&Key::new("Node", "", &request.name)).is_some() {
            return Err(crate::apiserver::ApiError::already_exists(crate::api::info("Node"), &request.name).render(None));
        }
        let used: std::collections::BTreeSet<u32> = self.kubelets.values().map(|k| k.index()).collect();
        request.index = (0..).find(|i| !used.contains(i)).unwrap_or(0);
        let name = request.name.clone();
        let kubelet = Kubelet::new(request);
        let timers = self.request(Component::Kubelet(name.clone()), |client| kubelet.register(client)).map_err(|e| e.render(None))?;
        self.install_machine(kubelet, timers);
        Ok(())
    }

    fn push(&mut self, at: u64, task: Task) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse(Queued { at, seq, task }));
    }

    /// Sends every new watch event to the components that watch its kind.
    fn fan_out(&mut self) {
        for event in self.api.take_watch_events() {
            let at = self.now_ms + WATCH_LATENCY_MS;
            if Scheduler::watches(&event) {
                self.push(at, Task::Deliver(Component::Scheduler, event.clone()));
            }
            if self.controllers.watches(&event) {
                self.push(at, Task::Deliver(Component::ControllerManager, event.clone()));
            }
            let nodes: Vec<String> = self.kubelets.values().filter(|k| k.watches(&event)).map(|k| k.node_name().to_string()).collect();
            for node in nodes {
                self.push(at, Task::Deliver(Component::Kubelet(node), event.clone()));
            }
            let proxies: Vec<String> = self.kube_proxies.iter().filter(|(_, p)| p.watches(&event)).map(|(n, _)| n.clone()).collect();
            for node in proxies {
                self.push(at, Task::Deliver(Component::KubeProxy(node), event.clone()));
            }
        }
    }

    /// Runs every event due in the next `dt_ms` milliseconds of virtual time.
    pub fn advance(&mut self, dt_ms: u64) {
        let until = self.now_ms.saturating_add(dt_ms);
        while self.queue.peek().is_some_and(|Reverse(q)| q.at <= until) {
            let Some(Reverse(next)) = self.queue.pop() else { break };
            self.now_ms = next.at;
            self.api.set_time(self.now_ms);
            self.dispatch(next.task);
            self.fan_out();
            self.refresh_load();
        }
        self.now_ms = until;
        self.api.set_time(until);
        self.refresh_load();
    }

    fn dispatch(&mut self, task: Task) {
        match task {
            Task::Deliver(to, _) | Task::Run(to) | Task::Wake(to) if !self.faults.reachable(&to) => {
                self.run_queued.remove(&to);
                self.controller_wakeups.remove(&self.now_ms);
            }
            Task::Deliver(to, event) => {
                let verb = format!("watch {}", event.event_type);
                self.api.record(Component::ApiServer, to.clone(), &verb, Key::of(&event.object).path());
                let has_work = match &to {
                    Component::Scheduler => {
                        self.scheduler.on_event(&event, self.now_ms);
                        self.wake_scheduler_when_due();
                        self.scheduler.has_work()
                    }
                    Component::ControllerManager => {
                        self.controllers.on_event(&event);
                        self.controllers.has_work(self.now_ms)
                    }
                    Component::Kubelet(node) => self.kubelets.get_mut(node).is_some_and(|k| {
                        k.on_event(&event);
                        k.has_work()
                    }),
                    Component::KubeProxy(node) => self.kube_proxies.get_mut(node).is_some_and(|p| {
                        p.on_event(&event);
                        p.has_work()
                    }),
                    _ => false,
                };
                if has_work && self.run_queued.insert(to.clone()) {
                    self.push(self.now_ms, Task::Run(to));
                }
            }
            Task::Run(who) => {
                self.run_queued.remove(&who);
                if who == Component::ControllerManager {
                    self.scrape_metrics();
                }
                let mut client = Client::new(&mut self.api, &mut self.rng, who.clone());
                let timers = match &who {
                    Component::Scheduler => {
                        self.scheduler.schedule_one(&mut client);
                        Vec::new()
                    }
                    Component::ControllerManager => {
                        self.controllers.run(&mut client);
                        if let Some(due) = self.controllers.next_due().map(|due| due.max(self.now_ms)) {
                            if self.controller_wakeups.insert(due) {
                                self.push(due, Task::Wake(Component::ControllerManager));
                            }
                        }
                        Vec::new()
                    }
                    Component::Kubelet(node) => self.kubelets.get_mut(node).map(|k| k.run(&mut client)).unwrap_or_default(),
                    Component::KubeProxy(node) => {
                        if let Some(proxy) = self.kube_proxies.get_mut(node) {
                            proxy.sync();
                        }
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                // The scheduler takes one pod per cycle; it runs again while pods wait.
                if who == Component::Scheduler {
                    self.wake_scheduler_when_due();
                    if self.scheduler.has_work() && self.run_queued.insert(who.clone()) {
                        self.push(self.now_ms, Task::Run(who.clone()));
                    }
                }
                if let Component::Kubelet(node) = who {
                    let boot = self.boot(&node);
                    for (delay, timer) in timers {
                        self.push(self.now_ms + delay, Task::KubeletTimer(node.clone(), boot, timer));
                    }
                }
            }
            Task::Wake(Component::Scheduler) => {
                self.scheduler_wakeups.remove(&self.now_ms);
                self.scheduler.wake(self.now_ms);
                self.wake_scheduler_when_due();
                if self.scheduler.has_work() && self.run_queued.insert(Component::Scheduler) {
                    self.push(self.now_ms, Task::Run(Component::Scheduler));
                }
            }
            Task::Wake(who) => {
                self.controller_wakeups.remove(&self.now_ms);
                if self.controllers.has_work(self.now_ms) && self.run_queued.insert(who.clone()) {
                    self.push(self.now_ms, Task::Run(who));
                }
            }
            Task::Autoscale => self.autoscale(),
            Task::EtcdElection => self.etcd_election(),
            Task::LeaderElection => self.leader_election_tick(),
            Task::KubeletTimer(node, boot, timer) => {
                if boot != self.boot(&node) {
                    return;
                }
                match self.faults.timer_fate(&node, &timer) {
                    faults::TimerFate::Run => {}
                    faults::TimerFate::Hold => return self.faults.hold(node, boot, timer),
                    faults::TimerFate::Drop => return,
                }
                let Some(kubelet) = self.kubelets.get_mut(&node) else { return };
                let mut client = Client::new(&mut self.api, &mut self.rng, Component::Kubelet(node.clone()));
                let timers = kubelet.on_timer(timer, &mut client);
                for (delay, timer) in timers {
                    self.push(self.now_ms + delay, Task::KubeletTimer(node.clone(), boot, timer));
                }
            }
        }
    }

    /// `kubectl logs`: the API server proxies the request to the kubelet of the pod's node,
    /// which reads the container instance's log.
    pub fn container_log(&mut self, node: &str, pod: &Key, container: &str, container_id: &str) -> Vec<LogLine> {
        self.api.set_time(self.now_ms);
        let path = format!("{}/log", pod.path());
        self.api.record(Component::Kubectl, Component::ApiServer, "get", path.clone());
        self.api.record(Component::ApiServer, Component::Kubelet(node.to_string()), "get containerLogs", path);
        self.kubelets.get(node).map(|k| k.logs(pod, container, container_id).to_vec()).unwrap_or_default()
    }

    /// What every node's pods use now, as metrics-server scrapes each kubelet's summary API.
    pub fn resource_usage(&mut self) -> Vec<(String, Vec<PodUsage>)> {
        self.api.set_time(self.now_ms);
        self.api.record(Component::Kubectl, Component::ApiServer, "list", "pods.metrics.k8s.io".to_string());
        self.reachable_usage()
    }

    /// What the pods of every kubelet metrics-server can reach use now.
    fn reachable_usage(&self) -> Vec<(String, Vec<PodUsage>)> {
        let faults = &self.faults;
        self.kubelets
            .iter()
            .filter(|(node, _)| faults.reachable(&Component::Kubelet((*node).clone())))
            .map(|(node, k)| (node.clone(), k.usage()))
            .collect()
    }

    /// metrics-server's scrape of every kubelet it can reach, for the resource metrics API.
    fn scrape_metrics(&mut self) {
        let usage = self
            .reachable_usage()
            .into_iter()
            .flat_map(|(_, pods)| pods)
            .map(|p| {
                let containers =
                    p.containers.into_iter().map(|c| ContainerMetrics { name: c.name, cpu_milli: c.cpu_milli, memory: c.memory });
                (p.pod, containers.collect())
            })
            .collect();
        self.api.set_pod_metrics(usage);
    }

    /// Queues a `Wake` of the scheduler for when its queue next moves pods on its own.
    fn wake_scheduler_when_due(&mut self) {
        if let Some(due) = self.scheduler.next_due().map(|due| due.max(self.now_ms)) {
            if self.scheduler_wakeups.insert(due) {
                self.push(due, Task::Wake(Component::Scheduler));
            }
        }
    }

    /// What kube-proxy's informers list when it starts: every Service and EndpointSlice.
    fn proxy_objects(&self) -> Vec<crate::api::ObjectRef> {
        let mut objects = self.api.peek_list(crate::api::info("Service"), None);
        objects.extend(self.api.peek_list(crate::api::info("EndpointSlice"), None));
        objects
    }

    /// A node's kube-proxy (its programmed rules: `rules()`, `iptables_save()`).
    pub fn kube_proxy(&self, node: &str) -> Option<&KubeProxy> {
        self.kube_proxies.get(node)
    }

    /// `sim stop kube-proxy NODE`: it hears no more changes, and its rules stay as they were.
    pub fn stop_kube_proxy(&mut self, node: &str) -> Result<(), String> {
        let proxy = self.kube_proxies.get_mut(node).ok_or_else(|| format!("error: no machine named {node:?} (see kubectl get nodes)"))?;
        if !proxy.is_running() {
            return Err(format!("error: kube-proxy on {node} is already stopped"));
        }
        proxy.stop();
        Ok(())
    }

    /// `sim start kube-proxy NODE`: it lists Services and EndpointSlices and resyncs.
    pub fn start_kube_proxy(&mut self, node: &str) -> Result<(), String> {
        let objects = self.proxy_objects();
        let proxy = self.kube_proxies.get_mut(node).ok_or_else(|| format!("error: no machine named {node:?} (see kubectl get nodes)"))?;
        if proxy.is_running() {
            return Err(format!("error: kube-proxy on {node} is already running"));
        }
        proxy.start(&objects);
        Ok(())
    }

    /// A running kube-proxy whose node booted or got its network back lists afresh (one
    /// that was stopped stays stopped).
    fn relist_kube_proxy(&mut self, node: &str) {
        let objects = self.proxy_objects();
        if let Some(proxy) = self.kube_proxies.get_mut(node).filter(|p| p.is_running()) {
            proxy.start(&objects);
        }
    }

    fn world(&mut self) -> crate::network::World<'_> {
        crate::network::World {
            api: &self.api,
            proxies: &mut self.kube_proxies,
            kubelets: &self.kubelets,
            rng: &mut self.rng,
            now_ms: self.now_ms,
            down: self.faults.cut_off_nodes(),
        }
    }

    /// `sim curl`: sends requests through DNS, kube-proxy's rules and the pods' servers.
    pub fn curl(&mut self, request: &CurlRequest) -> Result<String, String> {
        let mut network = std::mem::take(&mut self.network);
        let result = crate::network::curl(&mut self.world(), &mut network, request);
        self.network = network;
        result
    }

    /// The most recent requests, oldest first, with their way through the cluster.
    pub fn recent_requests(&self) -> impl Iterator<Item = &Request> {
        self.network.recent_requests()
    }

    /// Steady traffic now running (`sim load`).
    pub fn loads(&self) -> &[Load] {
        &self.network.loads
    }

    /// `sim load TARGET`: starts steady traffic.
    pub fn start_load(&mut self, load: Load) {
        self.network.loads.push(load);
        self.refresh_load();
    }

    /// `sim load stop`: ends every load; returns how many there were.
    pub fn stop_loads(&mut self) -> usize {
        let stopped = std::mem::take(&mut self.network.loads).len();
        self.refresh_load();
        stopped
    }

    /// Ends loads whose time is up and tells each kubelet the CPU its pods spend serving.
    fn refresh_load(&mut self) {
        let now = self.now_ms;
        self.network.loads.retain(|l| l.until_ms.is_none_or(|until| until > now));
        if self.network.loads.is_empty() && !self.network.load_applied {
            return;
        }
        let loads = self.network.loads.clone();
        let cpu = crate::network::load_cpu(&mut self.world(), &loads);
        self.network.load_applied = !loads.is_empty();
        for kubelet in self.kubelets.values_mut() {
            kubelet.set_traffic_cpu(cpu.clone());
        }
    }

    /// What the diagram draws: nodes with their pods, and pods still waiting for the scheduler.
    pub fn snapshot(&self) -> Snapshot {
        snapshot::take(&self.api, self.now_ms)
    }

    /// The diagram's view of the cluster at a past revision (read-only; see [`Cluster::state_at`]).
    pub fn snapshot_at(&self, revision: i64) -> Result<Snapshot, crate::apiserver::ApiError> {
        Ok(snapshot::at_revision(&self.state_at(revision)?, self.now_ms))
    }

    /// The oldest revision [`Cluster::state_at`] can still show (etcd compacts older ones).
    pub fn oldest_revision(&self) -> i64 {
        self.api.compacted_revision()
    }

    /// When the next queued event is due (virtual ms), if any: lets a viewer step from one
    /// message to the next without waiting through idle time.
    pub fn next_due_ms(&self) -> Option<u64> {
        self.queue.peek().map(|Reverse(q)| q.at)
    }
}
