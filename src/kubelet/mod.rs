//! The kubelet: the node agent. It registers its Node and keeps its Lease, watches the pods
//! bound to its node, and runs a pod worker per pod (`pod_workers`): image pulls through the
//! simulated runtime (`runtime`), containers whose processes the tiny shell runs (`shell`),
//! probes (`prober`), environment and volumes (`env`, `volumes`), and the pod status it
//! reports back through the API server (`status`). The eviction manager (`eviction_manager`)
//! evicts pods when the node runs low on memory.
mod env;
mod eviction_manager;
pub mod node_lease;
pub mod pod_workers;
pub mod prober;
pub mod runtime;
pub mod shell;
mod status;
mod volumes;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use k8s_openapi::api::core::v1::{Node, NodeAddress, NodeSpec, NodeStatus, NodeSystemInfo, Taint};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::{Key, Object, ObjectMeta};
use crate::apiserver::{Client, WatchEvent, WatchEventType};
use pod_workers::{Ctx, LogLine, PodWorker};
use prober::ProbeKind;

/// The Kubernetes version the simulated nodes report.
pub const KUBELET_VERSION: &str = "v1.34.0";

/// What the system daemons of a node use, (millicores, bytes): kubelet, containerd,
/// kube-proxy, CNI; on the control plane also the API server, etcd, scheduler and controller
/// manager. Counted in the node's usage (`kubectl top node`, the eviction manager).
pub fn system_usage(control_plane: bool) -> (u64, u64) {
    if control_plane {
        (120, 720 << 20)
    } else {
        (25, 380 << 20)
    }
}

/// A machine to run a kubelet on: what `sim node add` describes.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub name: String,
    /// Which /24 of 10.244.0.0/16 the node's pods get, and which address the node has
    /// (the cluster assigns it).
    pub index: u32,
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
}

impl NodeConfig {
    /// A default worker: 4 CPUs, 8Gi of memory, 110 pods (the kubelet's default maxPods).
    pub fn worker(name: &str) -> NodeConfig {
        NodeConfig {
            name: name.to_string(),
            index: 0,
            cpu: "4".into(),
            memory: "8Gi".into(),
            pods: 110,
            labels: BTreeMap::new(),
            taints: Vec::new(),
        }
    }
}

/// A timer the kubelet asked for; the cluster hands it back when it is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    Pod {
        pod: Key,
        uid: String,
        step: Step,
    },
    /// Renew the node's Lease (every 10 s).
    Lease,
    /// Report the node's status although nothing changed (every 5 min).
    NodeStatus,
    /// The eviction manager's pass (every 10 s).
    Eviction,
}

/// The next step of a pod worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The image of a container is present (`pulled_ms`: how long the pull took, if any).
    ImageReady {
        container: usize,
        incarnation: u64,
        pulled_ms: Option<u64>,
    },
    /// The registry refused an image.
    PullFailed {
        container: usize,
        incarnation: u64,
        image: String,
        message: String,
    },
    /// The back-off after a failed pull has begun.
    PullBackOff {
        container: usize,
        incarnation: u64,
        image: String,
        message: String,
    },
    /// A container may try again (after an image pull back-off or a config error).
    RetryContainer {
        container: usize,
    },
    /// A crash loop back-off ended: sync the pod again.
    Retry,
    /// A container's process finished a sleep.
    Wake {
        container: usize,
        incarnation: u64,
    },
    Probe {
        container: usize,
        incarnation: u64,
        kind: ProbeKind,
    },
    /// A container that was told to stop has exited.
    Killed {
        container: usize,
        incarnation: u64,
        exit_code: i32,
    },
    /// Look again at volumes that could not be mounted.
    Volumes,
    /// The containers have stopped: finish the pod's deletion.
    Stopped,
}

/// One container's resource use, for metrics-server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerUsage {
    pub name: String,
    /// When this instance started: metrics-server needs two scrapes of it for a CPU rate.
    pub started_ms: u64,
    pub cpu_milli: u64,
    pub memory: u64,
}

/// One pod's resource use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodUsage {
    pub pod: Key,
    pub containers: Vec<ContainerUsage>,
}

pub struct Kubelet {
    config: NodeConfig,
    pods: BTreeMap<Key, PodWorker>,
    images: BTreeSet<String>,
    /// How many of `images` the Node's status lists (images are never removed, so a
    /// different count means the status is out of date).
    images_reported: usize,
    next_host: u32,
    work: VecDeque<Key>,
    /// CPU (millicores) that simulated traffic (`sim load`, `crate::network`) makes each
    /// pod's server spend, added to what its first running container uses.
    traffic_cpu: BTreeMap<Key, u64>,
    eviction: eviction_manager::EvictionManager,
}

/// What a connection to a pod IP on this node meets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    /// No pod has the address (any more).
    NoPod,
    /// The pod runs, but no container listens on the port.
    Refused(Key),
    /// A running container of the pod serves the port.
    Served(Key),
}

impl Kubelet {
    pub fn new(config: NodeConfig) -> Kubelet {
        Kubelet {
            config,
            pods: BTreeMap::new(),
            images: BTreeSet::new(),
            images_reported: 0,
            next_host: 2,
            work: VecDeque::new(),
            traffic_cpu: BTreeMap::new(),
            eviction: Default::default(),
        }
    }

    /// The node's number: its pods get 10.244.<index>.0/24.
    pub fn index(&self) -> u32 {
        self.config.index
    }

    pub fn node_name(&self) -> &str {
        &self.config.name
    }

    /// The machine's memory in bytes.
    fn memory_bytes(&self) -> u64 {
        crate::api::quantity::parse_milli(&self.config.memory).map_or(u64::MAX, |m| u64::try_from(m / 1000).unwrap_or(u64::MAX))
    }

    /// The node's own address (kind-style, 172.18.0.N).
    pub fn node_ip(&self) -> String {
        format!("172.18.0.{}", self.config.index + 2)
    }

    /// Registers this machine as a Node through the API server and creates its Lease, as the
    /// kubelet does at start; returns the heartbeat timers.
    pub fn register(&self, client: &mut Client) -> Result<Vec<(u64, Timer)>, crate::apiserver::ApiError> {
        let c = &self.config;
        let mut labels = BTreeMap::from([
            ("beta.kubernetes.io/arch".to_string(), "amd64".to_string()),
            ("beta.kubernetes.io/os".to_string(), "linux".to_string()),
            ("kubernetes.io/arch".to_string(), "amd64".to_string()),
            ("kubernetes.io/hostname".to_string(), c.name.clone()),
            ("kubernetes.io/os".to_string(), "linux".to_string()),
        ]);
        labels.extend(c.labels.clone());
        let capacity = BTreeMap::from([
            ("cpu".to_string(), Quantity(c.cpu.clone())),
            ("ephemeral-storage".to_string(), Quantity("100Gi".to_string())),
            ("memory".to_string(), Quantity(c.memory.clone())),
            ("pods".to_string(), Quantity(c.pods.to_string())),
        ]);
        let cidr = format!("10.244.{}.0/24", c.index);
        let node = Node {
            metadata: ObjectMeta { name: Some(c.name.clone()), labels: Some(labels), ..Default::default() },
            spec: Some(NodeSpec {
                pod_cidr: Some(cidr.clone()),
                pod_cidrs: Some(vec![cidr]),
                taints: Some(c.taints.clone()).filter(|t| !t.is_empty()),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                addresses: Some(vec![
                    NodeAddress { type_: "InternalIP".to_string(), address: self.node_ip() },
                    NodeAddress { type_: "Hostname".to_string(), address: c.name.clone() },
                ]),
                allocatable: Some(capacity.clone()),
                capacity: Some(capacity),
                conditions: Some(node_lease::healthy_conditions(client.now_ms())),
                node_info: Some(NodeSystemInfo {
                    architecture: "amd64".to_string(),
                    boot_id: String::new(),
                    container_runtime_version: "containerd://2.1.4".to_string(),
                    kernel_version: "6.12.0-kubeglass".to_string(),
                    kube_proxy_version: String::new(),
                    kubelet_version: KUBELET_VERSION.to_string(),
                    machine_id: String::new(),
                    operating_system: "linux".to_string(),
                    os_image: "Debian GNU/Linux 12 (bookworm)".to_string(),
                    system_uuid: String::new(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        client.create(Object::Node(node))?;
        node_lease::create(client, &c.name)?;
        let mut timers = node_lease::timers();
        timers.push((eviction_manager::MONITORING_INTERVAL_MS, Timer::Eviction));
        Ok(timers)
    }

    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// A kubelet that starts again (or reaches the API server again) finds its Node already
    /// registered: it posts a Ready status and renews its Lease (registering anew if the Node
    /// is gone); returns the heartbeat timers. The eviction manager starts afresh, since the
    /// posted status says MemoryPressure=False.
    pub fn rejoin(&mut self, client: &mut Client) -> Vec<(u64, Timer)> {
        self.eviction = Default::default();
        if client.get(&Key::new("Node", "", &self.config.name)).is_err() {
            return self.register(client).unwrap_or_default();
        }
        node_lease::report_ready(client, &self.config.name);
        vec![
            node_lease::renew(client, &self.config.name),
            (node_lease::NODE_STATUS_REPORT_MS, Timer::NodeStatus),
            (eviction_manager::MONITORING_INTERVAL_MS, Timer::Eviction),
        ]
    }

    /// Reconciles with the pods the API server binds to this node (`HandlePodCleanups`): a
    /// pod it runs that the API server no longer has (or has anew, with another uid) is
    /// killed; every other pod is synced again.
    pub fn relist(&mut self, pods: &[crate::api::ObjectRef]) {
        let mine: Vec<&crate::api::ObjectRef> = pods
            .iter()
            .filter(|p| matches!(&***p, Object::Pod(pod) if pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(self.config.name.as_str())))
            .collect();
        self.pods.retain(|key, worker| mine.iter().any(|p| Key::of(p) == *key && p.metadata().uid.as_deref() == Some(worker.uid.as_str())));
        for pod in mine {
            self.on_event(&WatchEvent { event_type: WatchEventType::Added, object: pod.clone() });
        }
    }

    /// The kubelet watches only the pods bound to its node (fieldSelector spec.nodeName).
    pub fn watches(&self, event: &WatchEvent) -> bool {
        match &*event.object {
            Object::Pod(p) => p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(self.config.name.as_str()),
            _ => false,
        }
    }

    pub fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        if event.event_type == WatchEventType::Deleted {
            self.pods.remove(&key);
            return;
        }
        let uid = event.object.metadata().uid.clone().unwrap_or_default();
        match self.pods.get_mut(&key) {
            Some(p) if p.uid == uid => p.object = event.object.clone(),
            _ => {
                let ip = format!("10.244.{}.{}", self.config.index, self.next_host);
                // host-local IPAM hands out .2 to .254 of the node's /24, then starts over.
                self.next_host = if self.next_host >= 254 { 2 } else { self.next_host + 1 };
                self.pods.insert(key.clone(), PodWorker::new(event.object.clone(), ip, self.node_ip()));
            }
        }
        self.work.push_back(key);
    }

    pub fn has_work(&self) -> bool {
        !self.work.is_empty()
    }

    /// Syncs every pod that changed; returns the timers it needs.
    pub fn run(&mut self, client: &mut Client) -> Vec<(u64, Timer)> {
        let mut timers = Vec::new();
        let node_memory = self.memory_bytes();
        while let Some(key) = self.work.pop_front() {
            let Some(worker) = self.pods.get_mut(&key) else { continue };
            let mut ctx = Ctx { client, timers: &mut timers, images: &mut self.images, key: &key, node_memory };
            if worker.object.metadata().deletion_timestamp.is_some() {
                worker.stop(&mut ctx);
            } else if worker.started_ms.is_none() {
                worker.sync(&mut ctx);
            } else {
                worker.update(&mut ctx);
            }
        }
        timers
    }

    /// A timer came due: continue the pod's lifecycle if the pod is still the same one, or
    /// renew the node's heartbeats.
    pub fn on_timer(&mut self, timer: Timer, client: &mut Client) -> Vec<(u64, Timer)> {
        let mut timers = Vec::new();
        let node_memory = self.memory_bytes();
        match timer {
            Timer::Lease => {
                timers.push(node_lease::renew(client, &self.config.name));
                // The status loop runs every 10 s too (nodeStatusUpdateFrequency) and posts
                // the status at once when something in it changed: here, new images.
                if self.images.len() != self.images_reported {
                    node_lease::report_images(client, &self.config.name, &self.images);
                    self.images_reported = self.images.len();
                }
            }
            Timer::NodeStatus => timers.push(node_lease::report_status(client, &self.config.name)),
            Timer::Eviction => {
                self.synchronize_eviction(client, &mut timers);
                timers.push((eviction_manager::MONITORING_INTERVAL_MS, Timer::Eviction));
            }
            Timer::Pod { pod, uid, step } => {
                let Some(worker) = self.pods.get_mut(&pod).filter(|w| w.uid == uid) else { return timers };
                if step == Step::Stopped {
                    let _ = client.delete(&pod, Some(0));
                    self.pods.remove(&pod);
                    return timers;
                }
                let mut ctx = Ctx { client, timers: &mut timers, images: &mut self.images, key: &pod, node_memory };
                worker.on_timer(step, &mut ctx);
            }
        }
        timers
    }

    /// What a container instance printed (by its id: `containerd://...`), as `kubectl logs`
    /// reads it through the kubelet; empty when this kubelet does not have it.
    pub fn logs(&self, pod: &Key, container: &str, container_id: &str) -> &[LogLine] {
        let id = container_id.strip_prefix("containerd://").unwrap_or(container_id);
        let c = self.pods.get(pod).and_then(|p| p.containers.iter().find(|c| c.spec.name == container));
        match c {
            Some(c) if c.id == id => &c.logs,
            Some(c) if c.previous_id == id => &c.previous_logs,
            _ => &[],
        }
    }

    /// What the running containers of each pod use now (the kubelet's summary API), with a
    /// container's CPU capped by its limit and the node's CPUs.
    pub fn usage(&self) -> Vec<PodUsage> {
        let node_cpu = crate::api::quantity::parse_milli(&self.config.cpu).map_or(u64::MAX, |m| u64::try_from(m).unwrap_or(u64::MAX));
        self.pods
            .iter()
            .filter(|(_, w)| !w.terminal)
            .map(|(key, w)| PodUsage {
                pod: key.clone(),
                containers: {
                    let mut first = true;
                    w.containers
                        .iter()
                        .filter_map(|c| {
                            let p = c.process.as_ref()?;
                            let pod_workers::State::Running { started_ms } = c.state else { return None };
                            let cap = runtime::limit(&c.spec, "cpu").map_or(node_cpu, |l| l.min(node_cpu));
                            let traffic = if first { self.traffic_cpu.get(key).copied().unwrap_or(0) } else { 0 };
                            first = false;
                            let cpu = p.cpu_milli.saturating_add(traffic).min(cap);
                            Some(ContainerUsage { name: c.spec.name.clone(), started_ms, cpu_milli: cpu, memory: p.memory })
                        })
                        .collect()
                },
            })
            .collect()
    }

    /// The eviction manager's pass: MemoryPressure and at most one eviction.
    fn synchronize_eviction(&mut self, client: &mut Client, timers: &mut Vec<(u64, Timer)>) {
        let candidates: Vec<eviction_manager::Candidate> = self
            .usage()
            .into_iter()
            .filter_map(|usage| {
                let pod = self.pods.get(&usage.pod)?.pod()?;
                let spec = pod.spec.as_ref()?;
                let containers = usage
                    .containers
                    .into_iter()
                    .map(|c| {
                        let request = spec
                            .containers
                            .iter()
                            .find(|s| s.name == c.name)
                            .and_then(|s| s.resources.as_ref()?.requests.as_ref()?.get("memory").cloned());
                        let bytes = request
                            .as_ref()
                            .and_then(|q| crate::api::quantity::parse_milli(&q.0).ok())
                            .map_or(0, |m| u64::try_from(m / 1000).unwrap_or(0));
                        eviction_manager::ContainerMemory {
                            name: c.name,
                            usage: c.memory,
                            request: bytes,
                            request_text: request.map_or("0".to_string(), |q| q.0),
                        }
                    })
                    .collect();
                Some(eviction_manager::Candidate { pod: usage.pod, priority: spec.priority.unwrap_or(0), containers })
            })
            .collect();
        let control_plane = self.config.labels.contains_key("node-role.kubernetes.io/control-plane");
        // What the pods may use: the machine's memory less the system daemons'.
        let capacity = self.memory_bytes().saturating_sub(system_usage(control_plane).1);
        let decision = self.eviction.synchronize(capacity, &candidates, client.now_ms());
        if let Some(pressure) = decision.pressure_changed {
            eviction_manager::report_pressure(client, &self.config.name, pressure);
        }
        if decision.threshold_met {
            if let Ok(node) = client.get(&Key::new("Node", "", &self.config.name)) {
                client.event(&node, "Warning", "EvictionThresholdMet", "Attempting to reclaim memory".to_string());
            }
        }
        let Some((key, message)) = decision.evict else { return };
        let node_memory = self.memory_bytes();
        let Some(worker) = self.pods.get_mut(&key) else { return };
        let mut ctx = Ctx { client, timers, images: &mut self.images, key: &key, node_memory };
        worker.evict(message, &mut ctx);
    }

    /// `sim load`'s hook: the CPU each pod spends serving simulated traffic (keyed by pod;
    /// the cluster hands every kubelet the whole map).
    pub fn set_traffic_cpu(&mut self, cpu: BTreeMap<Key, u64>) {
        self.traffic_cpu = cpu;
    }

    /// A TCP connection to `ip:port` on this node: whether a running container of the pod
    /// with that IP listens on the port (terminating pods serve until their server stops).
    pub fn connect(&self, ip: &str, port: i32) -> Connection {
        let Some((key, worker)) = self.pods.iter().find(|(_, w)| !w.terminal && w.ip.as_deref() == Some(ip)) else {
            return Connection::NoPod;
        };
        let listens = worker.containers.iter().any(|c| {
            matches!(c.state, pod_workers::State::Running { .. })
                && c.process.as_ref().and_then(|p| p.server.as_ref()).is_some_and(|s| s.ports.iter().any(|p| i32::from(*p) == port))
        });
        if listens {
            Connection::Served(key.clone())
        } else {
            Connection::Refused(key.clone())
        }
    }
}
