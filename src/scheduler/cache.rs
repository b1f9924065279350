//! The scheduler's cache: what each node has, and what each pod asks for, computed once when
//! a watch event arrives so that a scheduling cycle only reads (`framework.NodeInfo`,
//! `framework.PodInfo`).
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod, PodAffinityTerm, PodSpec, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::labels::Selector;
use crate::api::quantity::parse_milli;
use crate::api::Key;
use crate::apiserver::virtual_ms;

/// Requested or allocatable resources: cpu in millicores, memory and ephemeral storage in
/// bytes, the pod count, and extended resources by name (usually none, so no allocation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub pods: i64,
    pub scalars: BTreeMap<String, i64>,
}

impl Resources {
    /// Adds (`sign` 1) or removes (`sign` -1) another set of requests.
    pub fn add(&mut self, other: &Resources, sign: i64) {
        let plus = |a: i64, b: i64| a.saturating_add(sign.saturating_mul(b));
        self.milli_cpu = plus(self.milli_cpu, other.milli_cpu);
        self.memory = plus(self.memory, other.memory);
        self.ephemeral_storage = plus(self.ephemeral_storage, other.ephemeral_storage);
        for (name, value) in &other.scalars {
            let entry = self.scalars.entry(name.clone()).or_default();
            *entry = plus(*entry, *value);
        }
    }

    /// One resource (`cpu` in millicores).
    pub fn get(&self, name: &ResourceName) -> i64 {
        match name {
            ResourceName::Cpu => self.milli_cpu,
            ResourceName::Memory => self.memory,
            ResourceName::EphemeralStorage => self.ephemeral_storage,
            ResourceName::Pods => self.pods,
            ResourceName::Scalar(other) => self.scalars.get(other).copied().unwrap_or(0),
        }
    }
}

/// A resource name, resolved once so that the plugins do not compare strings per node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceName {
    Cpu,
    Memory,
    EphemeralStorage,
    Pods,
    /// An extended resource (`nvidia.com/gpu`, hugepages, ...).
    Scalar(String),
}

impl ResourceName {
    pub fn of(name: &str) -> ResourceName {
        match name {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            "ephemeral-storage" => ResourceName::EphemeralStorage,
            "pods" => ResourceName::Pods,
            other => ResourceName::Scalar(other.to_string()),
        }
    }
}

/// The scheduler's default request for a container that sets none, used only for scoring
/// (`pkg/scheduler/util/pod_resources.go`): 100 millicores and 200 MiB.
const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// A quantity in millis (`cpu`) or whole units rounded up (everything else), as
/// `resource.Quantity.MilliValue`/`Value` give them; `None` if absent or malformed.
fn amount(name: &str, q: &Quantity) -> Option<i64> {
    let milli = parse_milli(&q.0).ok()?;
    let value = if name == "cpu" { milli } else { milli / 1000 + i128::from(milli % 1000 > 0) };
    Some(value.clamp(0, i64::MAX as i128) as i64)
}

/// Reads a resource list (requests or allocatable) into `Resources`; hugepages and other
/// names with a slash are extended resources like any other.
fn resource_list(list: Option<&BTreeMap<String, Quantity>>) -> Resources {
    let mut r = Resources::default();
    for (name, q) in list.into_iter().flatten() {
        let Some(v) = amount(name, q) else { continue };
        match name.as_str() {
            "cpu" => r.milli_cpu = v,
            "memory" => r.memory = v,
            "ephemeral-storage" => r.ephemeral_storage = v,
            "pods" => r.pods = v,
            _ => {
                r.scalars.insert(name.clone(), v);
            }
        }
    }
    r
}

fn max_each(into: &mut Resources, other: &Resources) {
    into.milli_cpu = into.milli_cpu.max(other.milli_cpu);
    into.memory = into.memory.max(other.memory);
    into.ephemeral_storage = into.ephemeral_storage.max(other.ephemeral_storage);
    for (name, v) in &other.scalars {
        let entry = into.scalars.entry(name.clone()).or_default();
        *entry = (*entry).max(*v);
    }
}

/// A pod's effective requests (`computePodResourceRequest`): the sum over its containers
/// (restartable init containers included), or the largest init container if that is more,
/// plus the pod overhead; and the same with the scoring defaults for missing cpu or memory.
pub fn pod_requests(spec: &PodSpec) -> (Resources, Resources) {
    let requests_of = |c: &k8s_openapi::api::core::v1::Container| resource_list(c.resources.as_ref().and_then(|r| r.requests.as_ref()));
    let non_zero_of = |c: &k8s_openapi::api::core::v1::Container, r: &Resources| {
        let requests = c.resources.as_ref().and_then(|r| r.requests.as_ref());
        let mut n = r.clone();
        if requests.is_none_or(|q| !q.contains_key("cpu")) {
            n.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if requests.is_none_or(|q| !q.contains_key("memory")) {
            n.memory = DEFAULT_MEMORY_REQUEST;
        }
        n
    };
    let (mut actual, mut non_zero) = (Resources::default(), Resources::default());
    for c in &spec.containers {
        let r = requests_of(c);
        non_zero.add(&non_zero_of(c, &r), 1);
        actual.add(&r, 1);
    }
    let (mut init_max, mut init_non_zero_max) = (Resources::default(), Resources::default());
    let (mut sidecars, mut sidecars_non_zero) = (Resources::default(), Resources::default());
    for c in spec.init_containers.iter().flatten() {
        let r = requests_of(c);
        let n = non_zero_of(c, &r);
        if c.restart_policy.as_deref() == Some("Always") {
            actual.add(&r, 1);
            non_zero.add(&n, 1);
            sidecars.add(&r, 1);
            sidecars_non_zero.add(&n, 1);
        } else {
            // An init container runs alongside the sidecars started before it.
            let mut with = r;
            with.add(&sidecars, 1);
            max_each(&mut init_max, &with);
            let mut with = n;
            with.add(&sidecars_non_zero, 1);
            max_each(&mut init_non_zero_max, &with);
        }
    }
    max_each(&mut actual, &init_max);
    max_each(&mut non_zero, &init_non_zero_max);
    let overhead = resource_list(spec.overhead.as_ref());
    actual.add(&overhead, 1);
    non_zero.add(&overhead, 1);
    (actual, non_zero)
}

/// A node's allocatable resources from its status.
pub fn allocatable(node: &Node) -> Resources {
    resource_list(node.status.as_ref().and_then(|s| s.allocatable.as_ref()))
}

/// Which namespaces a pod affinity term looks in (`framework.AffinityTerm`): the listed ones
/// (the pod's own when none are listed and there is no selector), or those whose labels match.
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    pub namespaces: Vec<String>,
    pub namespace_selector: Option<Selector>,
    pub selector: Selector,
    pub topology_key: String,
}

/// Namespace labels, for terms with a namespaceSelector.
pub type NamespaceLabels = BTreeMap<String, BTreeMap<String, String>>;

impl AffinityTerm {
    fn of(term: &PodAffinityTerm, own_namespace: &str) -> Result<AffinityTerm, String> {
        let selector = match &term.label_selector {
            Some(s) => Selector::from_api(s)?,
            // A nil selector matches nothing.
            None => Selector(vec![crate::api::labels::Requirement::In(String::new(), Vec::new())]),
        };
        let namespace_selector = term.namespace_selector.as_ref().map(Selector::from_api).transpose()?;
        let mut namespaces = term.namespaces.clone().unwrap_or_default();
        if namespaces.is_empty() && namespace_selector.is_none() {
            namespaces.push(own_namespace.to_string());
        }
        Ok(AffinityTerm { namespaces, namespace_selector, selector, topology_key: term.topology_key.clone() })
    }

    /// Whether a pod is one this term selects (`AffinityTerm.Matches`).
    pub fn matches(&self, pod: &PodInfo, namespaces: &NamespaceLabels) -> bool {
        let in_namespace = self.namespaces.contains(&pod.key.namespace)
            || self.namespace_selector.as_ref().is_some_and(|s| s.matches(namespaces.get(&pod.key.namespace)));
        in_namespace && self.selector.matches(Some(&pod.labels))
    }
}

/// A pod's inter-pod affinity terms, parsed once.
#[derive(Clone, Debug, Default)]
pub struct PodAffinity {
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<(i64, AffinityTerm)>,
    pub preferred_anti_affinity: Vec<(i64, AffinityTerm)>,
}

impl PodAffinity {
    pub fn is_empty(&self) -> bool {
        self.required_affinity.is_empty()
            && self.required_anti_affinity.is_empty()
            && self.preferred_affinity.is_empty()
            && self.preferred_anti_affinity.is_empty()
    }
}

/// A host port a container asks for: (protocol, host IP, port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub protocol: String,
    pub ip: String,
    pub port: i32,
}

impl HostPort {
    /// Two host ports conflict on the same protocol and port when either listens on every
    /// address or both on the same one (`HostPortInfo.CheckConflict`).
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port && self.protocol == other.protocol && (self.ip == "0.0.0.0" || other.ip == "0.0.0.0" || self.ip == other.ip)
    }
}

/// A pod as the scheduler sees it.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub key: Key,
    pub pod: Arc<Pod>,
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    pub requests: Resources,
    pub non_zero: Resources,
    pub tolerations: Vec<Toleration>,
    pub host_ports: Vec<HostPort>,
    pub affinity: PodAffinity,
    /// When the pod started (or was created), for choosing among preemption victims.
    pub start_ms: u64,
    pub terminating: bool,
}

impl PodInfo {
    /// Reads a pod; an affinity term with a malformed selector is an error, as in `NewPodInfo`.
    pub fn of(key: Key, pod: Arc<Pod>) -> Result<PodInfo, String> {
        let default_spec = PodSpec::default();
        let spec = pod.spec.as_ref().unwrap_or(&default_spec);
        let (requests, non_zero) = pod_requests(spec);
        let mut host_ports = Vec::new();
        for c in spec.containers.iter().chain(spec.init_containers.iter().flatten()) {
            for p in c.ports.iter().flatten() {
                if let Some(port) = p.host_port.filter(|p| *p > 0) {
                    let ip = p.host_ip.clone().filter(|ip| !ip.is_empty()).unwrap_or_else(|| "0.0.0.0".to_string());
                    let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".to_string());
                    host_ports.push(HostPort { protocol, ip, port });
                }
            }
        }
        let ns = key.namespace.as_str();
        let terms = |list: Option<&Vec<PodAffinityTerm>>| -> Result<Vec<AffinityTerm>, String> {
            list.into_iter().flatten().map(|t| AffinityTerm::of(t, ns)).collect()
        };
        let weighted =
            |list: Option<&Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| -> Result<Vec<(i64, AffinityTerm)>, String> {
                list.into_iter().flatten().map(|w| Ok((i64::from(w.weight), AffinityTerm::of(&w.pod_affinity_term, ns)?))).collect()
            };
        let affinity = spec.affinity.as_ref();
        let pa = affinity.and_then(|a| a.pod_affinity.as_ref());
        let anti = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let affinity = PodAffinity {
            required_affinity: terms(pa.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()))?,
            required_anti_affinity: terms(anti.and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref()))?,
            preferred_affinity: weighted(pa.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()))?,
            preferred_anti_affinity: weighted(anti.and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_ref()))?,
        };
        let start = pod.status.as_ref().and_then(|s| s.start_time.as_ref()).or(pod.metadata.creation_timestamp.as_ref());
        Ok(PodInfo {
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            priority: spec.priority.unwrap_or(0),
            requests,
            non_zero,
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            host_ports,
            affinity,
            start_ms: start.map(virtual_ms).unwrap_or(0),
            terminating: pod.metadata.deletion_timestamp.is_some(),
            key,
            pod,
        })
    }
}

const ZONE: &str = "topology.kubernetes.io/zone";
const HOSTNAME: &str = "kubernetes.io/hostname";

/// What the scheduler's cache knows about a node: the node and the pods it has been given.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// Unique for the scheduler's lifetime (a node deleted and added again gets a new one).
    pub id: u64,
    pub name: Arc<str>,
    pub node: Arc<Node>,
    pub allocatable: Resources,
    pub requested: Resources,
    pub non_zero_requested: Resources,
    pub pods: Vec<Arc<PodInfo>>,
    /// How many of `pods` have inter-pod affinity terms (`PodsWithAffinity`).
    pub pods_with_affinity: usize,
    /// How many of `pods` have required anti-affinity terms.
    pub pods_with_required_anti_affinity: usize,
    /// Moves whenever a pod is added or removed, so that plugins can cache per-node counts.
    pub generation: u64,
    /// The zone and hostname labels, read once: topology spreading looks them up for every
    /// node of every cycle.
    zone: Option<String>,
    hostname: Option<String>,
    /// The images the kubelet reports present (`status.images`), by each of their names, with
    /// their size in bytes (`NodeInfo.ImageStates`).
    pub images: HashMap<String, i64>,
}

impl NodeInfo {
    pub fn new(id: u64, node: Arc<Node>) -> NodeInfo {
        let mut info = NodeInfo {
            id,
            name: node.metadata.name.as_deref().unwrap_or("").into(),
            allocatable: Resources::default(),
            node,
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pods: Vec::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            generation: 0,
            zone: None,
            hostname: None,
            images: HashMap::new(),
        };
        info.set_node(info.node.clone());
        info
    }

    /// A new version of the node itself (labels, taints, allocatable); its pods stay.
    pub fn set_node(&mut self, node: Arc<Node>) {
        self.allocatable = allocatable(&node);
        let label = |key: &str| node.metadata.labels.as_ref().and_then(|l| l.get(key)).cloned();
        self.zone = label(ZONE);
        self.hostname = label(HOSTNAME);
        self.images.clear();
        for image in node.status.iter().flat_map(|s| s.images.iter().flatten()) {
            for name in image.names.iter().flatten() {
                self.images.entry(name.clone()).or_insert(image.size_bytes.unwrap_or(0));
            }
        }
        self.node = node;
    }

    pub fn labels(&self) -> Option<&BTreeMap<String, String>> {
        self.node.metadata.labels.as_ref()
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        match key {
            ZONE => return self.zone.as_deref(),
            HOSTNAME => return self.hostname.as_deref(),
            _ => {}
        }
        self.labels().and_then(|l| l.get(key)).map(String::as_str)
    }

    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.count(&pod, 1);
        self.pods.push(pod);
    }

    /// Removes a pod; true if it was here.
    pub fn remove_pod(&mut self, key: &Key) -> bool {
        let Some(i) = self.pods.iter().position(|p| p.key == *key) else { return false };
        let pod = self.pods.swap_remove(i);
        self.count(&pod, -1);
        true
    }

    fn count(&mut self, pod: &PodInfo, sign: i64) {
        self.generation = self.generation.wrapping_add(1);
        self.requested.add(&pod.requests, sign);
        self.non_zero_requested.add(&pod.non_zero, sign);
        let step = |n: &mut usize| *n = if sign > 0 { n.saturating_add(1) } else { n.saturating_sub(1) };
        if !pod.affinity.is_empty() {
            step(&mut self.pods_with_affinity);
        }
        if !pod.affinity.required_anti_affinity.is_empty() {
            step(&mut self.pods_with_required_anti_affinity);
        }
    }
}

/// On how many nodes each image name is present (the cache's `imageStates`), for
/// ImageLocality's spread.
#[derive(Default)]
pub struct ImageNodes(HashMap<String, usize>);

impl ImageNodes {
    pub fn add(&mut self, node: &NodeInfo) {
        for name in node.images.keys() {
            *self.0.entry(name.clone()).or_insert(0) += 1;
        }
    }

    pub fn remove(&mut self, node: &NodeInfo) {
        for name in node.images.keys() {
            if let Some(n) = self.0.get_mut(name) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.0.remove(name);
                }
            }
        }
    }

    /// How many nodes have an image of this name.
    pub fn nodes_with(&self, name: &str) -> usize {
        self.0.get(name).copied().unwrap_or(0)
    }
}

impl crate::api::scheduling::NodeFields for NodeInfo {
    fn node_name(&self) -> &str {
        &self.name
    }
    fn node_label(&self, key: &str) -> Option<&str> {
        self.label(key)
    }
}
