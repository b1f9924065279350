//! The kubelet: the node agent. It registers its Node, watches the pods bound to it, drives
//! the container runtime (image pulls take virtual time), and reports each pod's status back
//! through the API server: Pending/ContainerCreating, then Running, and at deletion it stops
//! the containers and finishes the graceful delete.
pub mod runtime;
pub mod shell;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateWaiting, ContainerStatus, HostIP, Node, NodeAddress, NodeCondition,
    NodeSpec, NodeStatus, NodeSystemInfo, Pod, PodIP, PodStatus, Taint,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::{Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{set_pod_condition, timestamp, Client, WatchEvent, WatchEventType};
use runtime::Pull;

/// The Kubernetes version the simulated nodes report.
pub const KUBELET_VERSION: &str = "v1.34.0";

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
pub struct Timer {
    pub pod: Key,
    pub uid: String,
    pub step: Step,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Every image of the pod is on the node: create and start its containers.
    Pulled { millis: u64 },
    /// The registry refused an image.
    PullFailed { image: String, message: String },
    /// The back-off after a failed pull has begun.
    BackOff { image: String, message: String },
    /// The back-off has expired: try the pull again.
    RetryPull,
    /// The containers have stopped: finish the pod's deletion.
    Stopped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    New,
    Pulling,
    Running,
    Stopping,
}

struct PodRuntime {
    object: ObjectRef,
    uid: String,
    phase: Phase,
    ip: Option<String>,
    pull_failures: u32,
}

/// The image pull back-off: 10s doubling to 300s (`flowcontrol.Backoff` in the kubelet).
fn pull_backoff_ms(failures: u32) -> u64 {
    (10_000u64 << failures.saturating_sub(1).min(5)).min(300_000)
}

/// How long containers take to stop after SIGTERM: the catalogue's servers exit at once.
const STOP_MS: u64 = 1_000;
/// Creating and starting a container once its image is present.
const START_MS: u64 = 300;

pub struct Kubelet {
    config: NodeConfig,
    pods: BTreeMap<Key, PodRuntime>,
    images: BTreeSet<String>,
    next_host: u32,
    work: VecDeque<Key>,
}

impl Kubelet {
    pub fn new(config: NodeConfig) -> Kubelet {
        Kubelet { config, pods: BTreeMap::new(), images: BTreeSet::new(), next_host: 2, work: VecDeque::new() }
    }

    /// The node's number: its pods get 10.244.<index>.0/24.
    pub fn index(&self) -> u32 {
        self.config.index
    }

    pub fn node_name(&self) -> &str {
        &self.config.name
    }

    /// The node's own address (kind-style, 172.18.0.N).
    pub fn node_ip(&self) -> String {
        format!("172.18.0.{}", self.config.index + 2)
    }

    /// Registers this machine as a Node through the API server, as the kubelet does at start.
    pub fn register(&self, client: &mut Client) -> Result<(), crate::apiserver::ApiError> {
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
        let now = timestamp(client.now_ms());
        let condition = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
            type_: type_.to_string(),
            status: status.to_string(),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            last_heartbeat_time: Some(now.clone()),
            last_transition_time: Some(now.clone()),
        };
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
                conditions: Some(vec![
                    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ]),
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
        client.create(Object::Node(node)).map(|_| ())
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
                let runtime = PodRuntime { object: event.object.clone(), uid, phase: Phase::New, ip: None, pull_failures: 0 };
                self.pods.insert(key.clone(), runtime);
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
        while let Some(key) = self.work.pop_front() {
            timers.extend(self.sync_pod(&key, client));
        }
        timers
    }

    fn sync_pod(&mut self, key: &Key, client: &mut Client) -> Option<(u64, Timer)> {
        let runtime = self.pods.get_mut(key)?;
        let Object::Pod(pod) = &*runtime.object else { return None };
        let pod = pod.clone();
        let timer = |step| Timer { pod: key.clone(), uid: runtime.uid.clone(), step };
        if pod.metadata.deletion_timestamp.is_some() {
            if runtime.phase == Phase::Stopping {
                return None;
            }
            runtime.phase = Phase::Stopping;
            let t = timer(Step::Stopped);
            for c in &pod.spec.as_ref()?.containers {
                client.event(&runtime.object.clone(), "Normal", "Killing", format!("Stopping container {}", c.name));
            }
            return Some((STOP_MS, t));
        }
        if runtime.phase != Phase::New {
            return None;
        }
        runtime.phase = Phase::Pulling;
        runtime.ip = Some(format!("10.244.{}.{}", self.config.index, self.next_host));
        self.next_host += 1;
        let host_ip = self.node_ip();
        let now = client.now_ms();
        let _ = client.patch(key, "update status", |o| {
            if let Object::Pod(p) = o {
                let names: Vec<String> = p.spec.iter().flat_map(|s| s.containers.iter()).map(|c| c.name.clone()).collect();
                let statuses = container_statuses(p, |c| waiting(c, "ContainerCreating", None));
                let status = p.status.get_or_insert_with(PodStatus::default);
                status.host_ip = Some(host_ip.clone());
                status.host_ips = Some(vec![HostIP { ip: host_ip }]);
                status.start_time = Some(timestamp(now));
                for (type_, value, reason) in [
                    ("PodReadyToStartContainers", "True", None),
                    ("Initialized", "True", None),
                    ("Ready", "False", Some("ContainersNotReady")),
                    ("ContainersReady", "False", Some("ContainersNotReady")),
                ] {
                    let message = reason.map(|_| format!("containers with unready status: [{}]", names.join(" ")));
                    set_pod_condition(status, type_, value, reason, message, now);
                }
                status.container_statuses = Some(statuses);
            }
        });
        self.start_pull(key, client)
    }

    /// Pulls every image the pod needs that the node lacks (or whose policy says Always).
    fn start_pull(&mut self, key: &Key, client: &mut Client) -> Option<(u64, Timer)> {
        let runtime = self.pods.get(key)?;
        let object = runtime.object.clone();
        let uid = runtime.uid.clone();
        let containers = match &*object {
            Object::Pod(p) => p.spec.as_ref().map(|s| s.containers.clone()).unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut millis = 0;
        for c in &containers {
            let image = c.image.clone().unwrap_or_default();
            let present = self.images.contains(&runtime::normalize(&image));
            if present && c.image_pull_policy.as_deref() != Some("Always") {
                client.event(&object, "Normal", "Pulled", format!("Container image {image:?} already present on machine"));
                continue;
            }
            client.event(&object, "Normal", "Pulling", format!("Pulling image {image:?}"));
            match runtime::pull(&image) {
                // An image already on the node only has its manifest checked.
                Pull::Pulled { millis: m, .. } => millis += if present { 400 } else { m },
                Pull::Failed { millis: m, message } => {
                    return Some((millis + m, Timer { pod: key.clone(), uid, step: Step::PullFailed { image, message } }));
                }
            }
        }
        Some((millis + START_MS, Timer { pod: key.clone(), uid, step: Step::Pulled { millis } }))
    }

    /// A timer came due: continue the pod's lifecycle if the pod is still the same one.
    pub fn on_timer(&mut self, timer: Timer, client: &mut Client) -> Vec<(u64, Timer)> {
        let Some(runtime) = self.pods.get_mut(&timer.pod).filter(|r| r.uid == timer.uid) else { return Vec::new() };
        let object = runtime.object.clone();
        let key = timer.pod.clone();
        let stopping = runtime.phase == Phase::Stopping;
        match timer.step {
            Step::Stopped => {
                let _ = client.delete(&key, Some(0));
                self.pods.remove(&key);
                Vec::new()
            }
            _ if stopping => Vec::new(),
            Step::Pulled { millis } => {
                runtime.phase = Phase::Running;
                let ip = runtime.ip.clone().unwrap_or_default();
                let Object::Pod(pod) = &*object else { return Vec::new() };
                for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
                    let image = c.image.clone().unwrap_or_default();
                    let fresh = self.images.insert(runtime::normalize(&image));
                    if fresh || c.image_pull_policy.as_deref() == Some("Always") {
                        let bytes = match runtime::pull(&image) {
                            Pull::Pulled { bytes, .. } => bytes,
                            Pull::Failed { .. } => 0,
                        };
                        let secs = millis as f64 / 1000.0;
                        client.event(
                            &object,
                            "Normal",
                            "Pulled",
                            format!(
                                "Successfully pulled image {image:?} in {secs}s ({secs}s including waiting). Image size: {bytes} bytes."
                            ),
                        );
                    }
                    client.event(&object, "Normal", "Created", format!("Created container: {}", c.name));
                    client.event(&object, "Normal", "Started", format!("Started container {}", c.name));
                }
                let now = client.now_ms();
                let mut ids = Vec::new();
                for _ in pod.spec.iter().flat_map(|s| s.containers.iter()) {
                    ids.push(format!(
                        "{:016x}{:016x}{:016x}{:016x}",
                        client.rng().next_u64(),
                        client.rng().next_u64(),
                        client.rng().next_u64(),
                        client.rng().next_u64()
                    ));
                }
                let _ = client.patch(&key, "update status", |o| {
                    if let Object::Pod(p) = o {
                        let mut ids = ids.into_iter();
                        let statuses = container_statuses(p, |c| {
                            let mut s = ContainerStatus {
                                name: c.name.clone(),
                                image: c.image.clone().unwrap_or_default(),
                                image_id: runtime::normalize(c.image.as_deref().unwrap_or("")),
                                container_id: ids.next().map(|id| format!("containerd://{id}")),
                                ready: true,
                                started: Some(true),
                                restart_count: 0,
                                ..Default::default()
                            };
                            s.state = Some(ContainerState {
                                running: Some(ContainerStateRunning { started_at: Some(timestamp(now)) }),
                                ..Default::default()
                            });
                            s
                        });
                        let status = p.status.get_or_insert_with(PodStatus::default);
                        status.phase = Some("Running".to_string());
                        status.pod_ip = Some(ip.clone());
                        status.pod_ips = Some(vec![PodIP { ip }]);
                        status.container_statuses = Some(statuses);
                        for type_ in ["Ready", "ContainersReady"] {
                            set_pod_condition(status, type_, "True", None, None, now);
                        }
                    }
                });
                Vec::new()
            }
            Step::PullFailed { image, message } => {
                runtime.pull_failures += 1;
                client.event(&object, "Warning", "Failed", format!("Failed to pull image {image:?}: {message}"));
                client.event(&object, "Warning", "Failed", "Error: ErrImagePull".to_string());
                let detail = message.clone();
                let _ = client.patch(&key, "update status", |o| {
                    if let Object::Pod(p) = o {
                        let statuses = container_statuses(p, |c| waiting(c, "ErrImagePull", Some(detail.clone())));
                        p.status.get_or_insert_with(PodStatus::default).container_statuses = Some(statuses);
                    }
                });
                vec![(1_000, Timer { pod: key, uid: timer.uid, step: Step::BackOff { image, message } })]
            }
            Step::BackOff { image, message } => {
                let delay = pull_backoff_ms(runtime.pull_failures);
                client.event(&object, "Normal", "BackOff", format!("Back-off pulling image {image:?}"));
                client.event(&object, "Warning", "Failed", "Error: ImagePullBackOff".to_string());
                let detail = format!("Back-off pulling image {image:?}: ErrImagePull: {message}");
                let _ = client.patch(&key, "update status", |o| {
                    if let Object::Pod(p) = o {
                        let statuses = container_statuses(p, |c| waiting(c, "ImagePullBackOff", Some(detail.clone())));
                        p.status.get_or_insert_with(PodStatus::default).container_statuses = Some(statuses);
                    }
                });
                vec![(delay, Timer { pod: key, uid: timer.uid, step: Step::RetryPull })]
            }
            Step::RetryPull => self.start_pull(&key, client).into_iter().collect(),
        }
    }
}

/// A container that is not running yet, waiting for `reason`.
fn waiting(c: &Container, reason: &str, message: Option<String>) -> ContainerStatus {
    ContainerStatus {
        name: c.name.clone(),
        image: c.image.clone().unwrap_or_default(),
        image_id: String::new(),
        ready: false,
        started: Some(false),
        restart_count: 0,
        state: Some(ContainerState {
            waiting: Some(ContainerStateWaiting { reason: Some(reason.to_string()), message }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One status per container of the pod, built by `status_of`.
fn container_statuses(pod: &Pod, status_of: impl FnMut(&Container) -> ContainerStatus) -> Vec<ContainerStatus> {
    pod.spec.iter().flat_map(|s| s.containers.iter()).map(status_of).collect()
}
