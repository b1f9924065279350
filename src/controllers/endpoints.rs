//! The Endpoints controller (`pkg/controller/endpoint`): for every Service with a selector,
//! an Endpoints object of the same name listing the selected pods' addresses, ready ones in
//! `addresses` and the others in `notReadyAddresses`, with the ports the Service's
//! `targetPort`s resolve to in each pod. Also the pieces the EndpointSlice controller shares:
//! which pods belong, port resolution, and the last-change trigger time.
//!
//! The `kubernetes` Service has no selector: kube-apiserver itself keeps its Endpoints (and
//! EndpointSlice) pointing at its own address. kubeglass's API server does not run that
//! reconciler, so these controllers write them on its behalf, from the control-plane Node's
//! address, port 6443.
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service, ServicePort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::{Key, Object, ObjectMeta};
use crate::apiserver::{timestamp, virtual_ms, Client, WatchEvent, WatchEventType};

use super::pod_control::is_ready;
use super::{Controller, Store, WorkQueue};

pub const TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
const MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";
pub const HEADLESS: &str = "service.kubernetes.io/headless";
/// The port kube-apiserver serves on (`--secure-port`).
pub const API_SERVER_PORT: i32 = 6443;

/// Whether a Service selects pods (a Service without a selector has user-managed endpoints).
pub fn selector(service: &Service) -> Option<&BTreeMap<String, String>> {
    service.spec.as_ref()?.selector.as_ref()
}

/// The pods of the Service's namespace that its selector matches, by name.
pub fn selected_pods<'a>(service: &Service, pods: &'a Store) -> Vec<&'a Pod> {
    let Some(selector) = selector(service) else { return Vec::new() };
    let namespace = service.metadata.namespace.as_deref();
    let mut selected: Vec<&Pod> = pods
        .values()
        .filter_map(|p| if let Object::Pod(p) = &**p { Some(p) } else { None })
        .filter(|p| p.metadata.namespace.as_deref() == namespace)
        .filter(|p| selector.iter().all(|(k, v)| p.metadata.labels.as_ref().and_then(|l| l.get(k)) == Some(v)))
        .collect();
    selected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    selected
}

/// The keys of the Services (in `services`) that select a pod with these labels.
pub fn services_selecting(services: &Store, namespace: &str, labels: Option<&BTreeMap<String, String>>) -> Vec<Key> {
    services
        .values()
        .filter(|s| s.metadata().namespace.as_deref() == Some(namespace))
        .filter(|s| {
            let Object::Service(svc) = &***s else { return false };
            selector(svc).is_some_and(|sel| sel.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v)))
        })
        .map(|s| Key::of(s))
        .collect()
}

/// The pod's IP, if it has one yet.
pub fn pod_ip(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.pod_ip.as_deref().filter(|ip| !ip.is_empty())
}

/// `ShouldPodBeInEndpoints`: not finished, has an IP, and not terminating unless asked.
pub fn in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed"))
        && pod_ip(pod).is_some()
        && (include_terminating || pod.metadata.deletion_timestamp.is_none())
}

/// `podutil.FindPort`: a numeric targetPort as is, a named one looked up among the pod's
/// container ports of the same protocol. An unset targetPort is the port itself (the default).
pub fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    match port.target_port.as_ref() {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            let protocol = port.protocol.as_deref().unwrap_or("TCP");
            let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
            containers
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                .map(|p| p.container_port)
        }
    }
}

/// One Service port as it resolves in one pod.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortKey {
    pub name: String,
    pub port: i32,
    pub protocol: String,
    pub app_protocol: Option<String>,
}

/// The Service's ports that resolve in this pod (`endpointPortFromServicePort`); a port whose
/// named targetPort the pod lacks is left out.
pub fn pod_ports(service: &Service, pod: &Pod) -> Vec<PortKey> {
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
    ports
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some(PortKey {
                name: p.name.clone().unwrap_or_default(),
                port: find_port(pod, p)?,
                protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                app_protocol: p.app_protocol.clone(),
            })
        })
        .collect()
}

/// A reference to the pod an endpoint points at.
pub fn target_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".to_string()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        ..Default::default()
    }
}

/// The pod's hostname, when it asks for one under this Service's subdomain.
pub fn hostname(pod: &Pod, service: &Service) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    (spec.subdomain.is_some() && spec.subdomain == service.metadata.name).then(|| spec.hostname.clone()).flatten()
}

/// `!IsServiceIPSet`: the Service has no cluster IP (`None`, or an ExternalName Service's empty
/// one). An unset clusterIP of any other type counts as the address the API server allocates.
pub fn is_headless(service: &Service) -> bool {
    let spec = service.spec.as_ref();
    spec.and_then(|s| s.cluster_ip.as_deref()) == Some("None") || spec.and_then(|s| s.type_.as_deref()) == Some("ExternalName")
}

/// kube-apiserver's address: the control-plane Node's InternalIP.
pub fn api_server_address(nodes: &Store) -> Option<String> {
    nodes.values().find_map(|n| {
        let Object::Node(node) = &**n else { return None };
        node.metadata.labels.as_ref()?.get("node-role.kubernetes.io/control-plane")?;
        let addresses = node.status.as_ref()?.addresses.as_ref()?;
        addresses.iter().find(|a| a.type_ == "InternalIP").map(|a| a.address.clone())
    })
}

/// `TriggerTimeTracker`: the time of the earliest change (a pod's Ready transition, or the
/// Service's creation) that the next write of a Service's endpoints will reflect.
#[derive(Default)]
pub struct TriggerTimes {
    seen: HashMap<Key, SeenTimes>,
}

/// A Service's creation time and each of its pods' trigger times, as of the last sync.
type SeenTimes = (Option<u64>, BTreeMap<String, Option<u64>>);

impl TriggerTimes {
    /// The annotation value for this sync (RFC 3339 in UTC), or `None` when nothing it can
    /// date changed.
    pub fn compute(&mut self, key: &Key, service: &Service, pods: &[&Pod]) -> Option<String> {
        // Only times later than those seen at the last sync count (`After`), so a pod that
        // merely went away dates nothing.
        let mut earliest: Option<u64> = None;
        let mut note = |t: Option<u64>, last: Option<u64>| {
            if let Some(t) = t.filter(|t| last.is_none_or(|l| *t > l)) {
                earliest = Some(earliest.map_or(t, |e| e.min(t)));
            }
        };
        let created = service.metadata.creation_timestamp.as_ref().map(virtual_ms);
        let previous = self.seen.get(key);
        note(created, previous.and_then(|(c, _)| *c));
        let mut now_seen = BTreeMap::new();
        for pod in pods {
            let name = pod.metadata.name.clone().unwrap_or_default();
            let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
            let ready = conditions.into_iter().flatten().find(|c| c.type_ == "Ready");
            let t = ready.and_then(|c| c.last_transition_time.as_ref()).map(virtual_ms);
            note(t, previous.and_then(|(_, p)| p.get(&name).copied()).flatten());
            now_seen.insert(name, t);
        }
        self.seen.insert(key.clone(), (created, now_seen));
        earliest.map(|t| timestamp(t).0.to_string())
    }

    pub fn forget(&mut self, key: &Key) {
        self.seen.remove(key);
    }
}

/// The informers both endpoint controllers keep (Services, pods, Nodes), and which Services a
/// change concerns: a pod's, under its old and new labels; for a Node, `kubernetes`.
#[derive(Default)]
pub struct ServiceInformers {
    pub services: Store,
    pub pods: Store,
    pub nodes: Store,
}

impl ServiceInformers {
    pub fn watches(event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Service(_) | Object::Pod(_) | Object::Node(_))
    }

    /// Applies the event to its cache and queues the Services to sync.
    pub fn apply(&mut self, event: &WatchEvent, queue: &mut WorkQueue) {
        let key = Key::of(&event.object);
        let affected = match &*event.object {
            Object::Service(_) => {
                self.services.apply(event);
                vec![key]
            }
            Object::Pod(pod) => {
                let namespace = pod.metadata.namespace.as_deref().unwrap_or("");
                let old_labels = self.pods.get(&key).and_then(|p| p.metadata().labels.clone());
                let mut affected = services_selecting(&self.services, namespace, pod.metadata.labels.as_ref());
                affected.extend(services_selecting(&self.services, namespace, old_labels.as_ref()));
                self.pods.apply(event);
                affected
            }
            Object::Node(_) => {
                self.nodes.apply(event);
                vec![Key::new("Service", "default", "kubernetes")]
            }
            _ => Vec::new(),
        };
        affected.into_iter().for_each(|k| queue.add(k));
    }
}

#[derive(Default)]
pub struct EndpointsController {
    informers: ServiceInformers,
    endpoints: Store,
    triggers: TriggerTimes,
    queue: WorkQueue,
}

impl Controller for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoint-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        ServiceInformers::watches(event) || matches!(&*event.object, Object::Endpoints(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        if let Object::Endpoints(_) = &*event.object {
            self.endpoints.apply(event);
            if event.event_type == WatchEventType::Deleted {
                let key = Key::of(&event.object);
                self.queue.add(Key::new("Service", &key.namespace, &key.name));
            }
            return;
        }
        self.informers.apply(event, &mut self.queue);
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let ep_key = Key::new("Endpoints", &key.namespace, &key.name);
        let Some(svc_obj) = self.informers.services.get(key).cloned() else {
            self.triggers.forget(key);
            if self.endpoints.get(&ep_key).is_some() {
                let _ = client.delete(&ep_key, None);
            }
            return;
        };
        let Object::Service(service) = &*svc_obj else { return };
        let (subsets, labels, annotations) = if selector(service).is_none() {
            if key.namespace != "default" || key.name != "kubernetes" {
                return;
            }
            let Some(ip) = api_server_address(&self.informers.nodes) else { return };
            let subset = EndpointSubset {
                addresses: Some(vec![EndpointAddress { ip, ..Default::default() }]),
                ports: Some(vec![EndpointPort {
                    name: Some("https".to_string()),
                    port: API_SERVER_PORT,
                    protocol: Some("TCP".to_string()),
                    app_protocol: None,
                }]),
                not_ready_addresses: None,
            };
            let labels = BTreeMap::from([("endpointslice.kubernetes.io/skip-mirror".to_string(), "true".to_string())]);
            (vec![subset], Some(labels), None)
        } else {
            let pods = selected_pods(service, &self.informers.pods);
            let trigger = self.triggers.compute(key, service, &pods);
            let mut labels = service.metadata.labels.clone().unwrap_or_default();
            labels.insert(MANAGED_BY.to_string(), "endpoint-controller".to_string());
            if is_headless(service) {
                labels.insert(HEADLESS.to_string(), String::new());
            }
            let annotations = trigger.map(|t| BTreeMap::from([(TRIGGER_TIME.to_string(), t)]));
            (subsets_of(service, &pods), Some(labels), annotations)
        };
        let subsets = Some(subsets).filter(|s| !s.is_empty());
        if let Some(Object::Endpoints(current)) = self.endpoints.get(&ep_key).map(|e| &**e) {
            if current.subsets == subsets && current.metadata.labels == labels {
                return;
            }
            let _ = client.patch(&ep_key, "update", |o| {
                if let Object::Endpoints(e) = o {
                    e.subsets = subsets;
                    e.metadata.labels = labels;
                    let kept = e.metadata.annotations.take().unwrap_or_default().into_iter().filter(|(k, _)| k != TRIGGER_TIME);
                    let merged: BTreeMap<String, String> = kept.chain(annotations.into_iter().flatten()).collect();
                    e.metadata.annotations = Some(merged).filter(|a| !a.is_empty());
                }
            });
            return;
        }
        let endpoints = Endpoints {
            metadata: ObjectMeta {
                name: Some(key.name.clone()),
                namespace: Some(key.namespace.clone()),
                labels,
                annotations,
                ..Default::default()
            },
            subsets,
        };
        let _ = client.create(Object::Endpoints(endpoints));
    }
}

/// The subsets for the selected pods: addresses grouped by the set of ports they serve
/// (`RepackSubsets`), addresses sorted by IP.
fn subsets_of(service: &Service, pods: &[&Pod]) -> Vec<EndpointSubset> {
    let spec = service.spec.clone().unwrap_or_default();
    let publish_not_ready = spec.publish_not_ready_addresses == Some(true);
    // ports → (ready, not ready) addresses
    let mut groups: BTreeMap<Vec<PortKey>, (Vec<EndpointAddress>, Vec<EndpointAddress>)> = BTreeMap::new();
    for pod in pods.iter().filter(|p| in_endpoints(p, publish_not_ready)) {
        let address = EndpointAddress {
            ip: pod_ip(pod).unwrap_or_default().to_string(),
            hostname: hostname(pod, service),
            node_name: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
            target_ref: Some(target_ref(pod)),
        };
        let ports = pod_ports(service, pod);
        // A port-less Service lists its pods only when it is headless (clusterIP None).
        let has_ports = spec.ports.as_ref().is_some_and(|p| !p.is_empty());
        if ports.is_empty() && (has_ports || spec.cluster_ip.as_deref() != Some("None")) {
            continue;
        }
        let group = groups.entry(ports).or_default();
        if publish_not_ready || is_ready(pod) {
            group.0.push(address);
        } else {
            group.1.push(address);
        }
    }
    groups
        .into_iter()
        .map(|(ports, (mut ready, mut not_ready))| {
            ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            not_ready.sort_by(|a, b| a.ip.cmp(&b.ip));
            let ports: Vec<EndpointPort> = ports
                .into_iter()
                .map(|p| EndpointPort {
                    name: Some(p.name).filter(|n| !n.is_empty()),
                    port: p.port,
                    protocol: Some(p.protocol),
                    app_protocol: p.app_protocol,
                })
                .collect();
            EndpointSubset {
                addresses: Some(ready).filter(|a| !a.is_empty()),
                not_ready_addresses: Some(not_ready).filter(|a| !a.is_empty()),
                ports: Some(ports).filter(|p| !p.is_empty()),
            }
        })
        .collect()
}
