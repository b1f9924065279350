//! The EndpointSlice controller (`pkg/controller/endpointslice` and its reconciler in
//! `staging/src/k8s.io/endpointslice`): for every Service with a selector, EndpointSlices named
//! `<service>-<5 chars>` holding at most 100 endpoints each, one set of slices per distinct
//! list of resolved ports. Each endpoint says whether its pod is ready, serving and
//! terminating; terminating pods stay listed (with `serving` telling whether they still
//! answer). The slices are owned by the Service, so the garbage collector removes them with it.
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};

use crate::api::{controller_ref, info, Key, Object, ObjectMeta};
use crate::apiserver::{Client, WatchEvent};

use super::endpoints::{
    api_server_address, hostname, in_endpoints, is_headless, pod_ip, pod_ports, selected_pods, selector, target_ref, PortKey,
    ServiceInformers, TriggerTimes, API_SERVER_PORT, HEADLESS, TRIGGER_TIME,
};
use super::pod_control::is_ready;
use super::{Controller, Store, WorkQueue};

const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
/// `--max-endpoints-per-slice` default.
const MAX_ENDPOINTS_PER_SLICE: usize = 100;

#[derive(Default)]
pub struct EndpointSliceController {
    informers: ServiceInformers,
    slices: Store,
    triggers: TriggerTimes,
    queue: WorkQueue,
}

/// `podToEndpoint`: ready means serving and not terminating, unless the Service publishes
/// not-ready addresses.
fn endpoint(pod: &Pod, service: &Service, nodes: &Store) -> Endpoint {
    let publish = service.spec.as_ref().and_then(|s| s.publish_not_ready_addresses) == Some(true);
    let serving = is_ready(pod);
    let terminating = pod.metadata.deletion_timestamp.is_some();
    let ready = publish || (serving && !terminating);
    let node_name = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    let zone = node_name
        .as_ref()
        .and_then(|n| nodes.get(&Key::new("Node", "", n)))
        .and_then(|n| n.metadata().labels.as_ref()?.get("topology.kubernetes.io/zone").cloned());
    Endpoint {
        addresses: vec![pod_ip(pod).unwrap_or_default().to_string()],
        conditions: Some(EndpointConditions { ready: Some(ready), serving: Some(serving), terminating: Some(terminating) }),
        hostname: hostname(pod, service),
        node_name,
        target_ref: Some(target_ref(pod)),
        zone,
        ..Default::default()
    }
}

fn to_api(ports: &[PortKey]) -> Option<Vec<EndpointPort>> {
    let ports: Vec<EndpointPort> = ports
        .iter()
        .map(|p| EndpointPort {
            name: Some(p.name.clone()),
            port: Some(p.port),
            protocol: Some(p.protocol.clone()),
            app_protocol: p.app_protocol.clone(),
        })
        .collect();
    Some(ports).filter(|p| !p.is_empty())
}

fn from_api(ports: Option<&Vec<EndpointPort>>) -> Vec<PortKey> {
    let ports = ports.into_iter().flatten().map(|p| PortKey {
        name: p.name.clone().unwrap_or_default(),
        port: p.port.unwrap_or(0),
        protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
        app_protocol: p.app_protocol.clone(),
    });
    ports.collect()
}

/// The endpoint's identity across syncs: the pod it points at.
fn identity(e: &Endpoint) -> Option<String> {
    e.target_ref.as_ref().and_then(|r| r.uid.clone()).or_else(|| e.addresses.first().cloned())
}

impl Controller for EndpointSliceController {
    fn name(&self) -> &'static str {
        "endpointslice-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        ServiceInformers::watches(event) || matches!(&*event.object, Object::EndpointSlice(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        if let Object::EndpointSlice(slice) = &*event.object {
            self.slices.apply(event);
            if let Some(service) = slice.metadata.labels.as_ref().and_then(|l| l.get(SERVICE_NAME)) {
                self.queue.add(Key::new("Service", slice.metadata.namespace.as_deref().unwrap_or(""), service));
            }
            return;
        }
        self.informers.apply(event, &mut self.queue);
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(svc_obj) = self.informers.services.get(key).cloned() else {
            self.triggers.forget(key);
            return;
        };
        let Object::Service(service) = &*svc_obj else { return };
        if selector(service).is_none() {
            if key.namespace == "default" && key.name == "kubernetes" {
                self.sync_api_server_slice(key, client);
            }
            return;
        }
        let pods = selected_pods(service, &self.informers.pods);
        let trigger = self.triggers.compute(key, service, &pods);
        let mut desired: BTreeMap<Vec<PortKey>, Vec<Endpoint>> = BTreeMap::new();
        for pod in pods.iter().filter(|p| in_endpoints(p, true)) {
            desired.entry(pod_ports(service, pod)).or_default().push(endpoint(pod, service, &self.informers.nodes));
        }
        let mut existing: Vec<EndpointSlice> = self
            .slices
            .values()
            .filter_map(|s| if let Object::EndpointSlice(s) = &**s { Some(s) } else { None })
            .filter(|s| s.metadata.namespace.as_deref() == Some(key.namespace.as_str()))
            .filter(|s| {
                let labels = s.metadata.labels.as_ref();
                labels.and_then(|l| l.get(SERVICE_NAME)) == Some(&key.name)
                    && labels.and_then(|l| l.get(MANAGED_BY)).map(String::as_str) == Some(CONTROLLER_NAME)
            })
            .cloned()
            .collect();
        existing.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));

        // The plan: slices to update, to create (ports, endpoints) and to delete.
        let mut updates: Vec<EndpointSlice> = Vec::new();
        let mut creates: Vec<(Vec<PortKey>, Vec<Endpoint>)> = Vec::new();
        for (ports, wanted) in &desired {
            // The wanted endpoints, by the pod they point at, in pod-name order.
            let mut wanted: Vec<Option<Endpoint>> = wanted.iter().cloned().map(Some).collect();
            let index: HashMap<String, usize> = wanted.iter().enumerate().filter_map(|(i, e)| Some((identity(e.as_ref()?)?, i))).collect();
            let mut mine: Vec<EndpointSlice> = Vec::new();
            existing.retain(|s| {
                let same = from_api(s.ports.as_ref()) == *ports;
                if same {
                    mine.push(s.clone());
                }
                !same
            });
            // Endpoints stay in the slice that has them (updated in place); gone ones leave.
            for slice in &mut mine {
                let kept = slice.endpoints.iter().filter_map(|e| wanted.get_mut(*index.get(&identity(e)?)?)?.take());
                slice.endpoints = kept.collect();
            }
            // New endpoints fill the slices with room, then new slices.
            let mut remaining: Vec<Endpoint> = wanted.into_iter().flatten().collect();
            for slice in &mut mine {
                let room = MAX_ENDPOINTS_PER_SLICE.saturating_sub(slice.endpoints.len()).min(remaining.len());
                slice.endpoints.extend(remaining.drain(..room));
            }
            for slice in mine {
                if slice.endpoints.is_empty() {
                    existing.push(slice);
                } else {
                    updates.push(slice);
                }
            }
            while !remaining.is_empty() {
                creates.push((ports.clone(), remaining.drain(..remaining.len().min(MAX_ENDPOINTS_PER_SLICE)).collect()));
            }
        }
        // A Service that selects no endpoints keeps one empty placeholder slice.
        if updates.is_empty() && creates.is_empty() {
            creates.push((Vec::new(), Vec::new()));
        }
        // Creations reuse slices that would be deleted (the reconciler's "change the creates to
        // updates"), so a placeholder becomes the first real slice.
        let writer = SliceWriter { service, trigger };
        for (ports, endpoints) in creates {
            match existing.pop() {
                Some(mut slice) => {
                    slice.ports = to_api(&ports);
                    slice.endpoints = endpoints;
                    updates.push(slice);
                }
                None => writer.create(key, to_api(&ports), endpoints, client),
            }
        }
        for slice in &updates {
            writer.update(slice, &self.slices, client);
        }
        for slice in &existing {
            SliceWriter::delete(slice, client);
        }
    }
}

/// Writes the slices of one Service, with its labels, owner and trigger time.
struct SliceWriter<'a> {
    service: &'a Service,
    trigger: Option<String>,
}

impl SliceWriter<'_> {
    /// `setEndpointSliceLabels`: the Service's labels, plus the service name and the manager.
    fn labels(&self) -> BTreeMap<String, String> {
        let mut labels: BTreeMap<String, String> = self.service.metadata.labels.clone().unwrap_or_default();
        labels.retain(|k, _| k != SERVICE_NAME && k != MANAGED_BY && k != HEADLESS);
        labels.insert(SERVICE_NAME.to_string(), self.service.metadata.name.clone().unwrap_or_default());
        labels.insert(MANAGED_BY.to_string(), CONTROLLER_NAME.to_string());
        if is_headless(self.service) {
            labels.insert(HEADLESS.to_string(), String::new());
        }
        labels
    }

    fn annotations(&self, current: Option<&BTreeMap<String, String>>) -> Option<BTreeMap<String, String>> {
        let mut annotations = current.cloned().unwrap_or_default();
        annotations.remove(TRIGGER_TIME);
        if let Some(t) = &self.trigger {
            annotations.insert(TRIGGER_TIME.to_string(), t.clone());
        }
        Some(annotations).filter(|a| !a.is_empty())
    }

    fn create(&self, key: &Key, ports: Option<Vec<EndpointPort>>, endpoints: Vec<Endpoint>, client: &mut Client) {
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                generate_name: Some(format!("{}-", key.name)),
                namespace: Some(key.namespace.clone()),
                labels: Some(self.labels()),
                annotations: self.annotations(None),
                owner_references: Some(vec![controller_ref(info("Service"), &self.service.metadata)]),
                ..Default::default()
            },
            address_type: "IPv4".to_string(),
            endpoints,
            ports,
        };
        let _ = client.create(Object::EndpointSlice(slice));
    }

    /// Writes the slice if its endpoints, ports or labels changed.
    fn update(&self, slice: &EndpointSlice, cache: &Store, client: &mut Client) {
        let key =
            Key::new("EndpointSlice", slice.metadata.namespace.as_deref().unwrap_or(""), slice.metadata.name.as_deref().unwrap_or(""));
        let labels = Some(self.labels());
        if let Some(Object::EndpointSlice(current)) = cache.get(&key).map(|c| &**c) {
            if current.endpoints == slice.endpoints && current.ports == slice.ports && current.metadata.labels == labels {
                return;
            }
        }
        let annotations = self.annotations(slice.metadata.annotations.as_ref());
        let (endpoints, ports) = (slice.endpoints.clone(), slice.ports.clone());
        let _ = client.patch(&key, "update", |o| {
            if let Object::EndpointSlice(s) = o {
                s.endpoints = endpoints;
                s.ports = ports;
                s.metadata.labels = labels;
                s.metadata.annotations = annotations;
            }
        });
    }

    fn delete(slice: &EndpointSlice, client: &mut Client) {
        let key =
            Key::new("EndpointSlice", slice.metadata.namespace.as_deref().unwrap_or(""), slice.metadata.name.as_deref().unwrap_or(""));
        // Already gone is fine.
        let _ = client.delete(&key, None);
    }
}

impl EndpointSliceController {
    /// The `kubernetes` Service's slice, as kube-apiserver's endpoint reconciler writes it.
    fn sync_api_server_slice(&mut self, key: &Key, client: &mut Client) {
        let Some(ip) = api_server_address(&self.informers.nodes) else { return };
        let slice = EndpointSlice {
            metadata: ObjectMeta {
                name: Some(key.name.clone()),
                namespace: Some(key.namespace.clone()),
                labels: Some(BTreeMap::from([(SERVICE_NAME.to_string(), key.name.clone())])),
                ..Default::default()
            },
            address_type: "IPv4".to_string(),
            endpoints: vec![Endpoint {
                addresses: vec![ip],
                conditions: Some(EndpointConditions { ready: Some(true), ..Default::default() }),
                ..Default::default()
            }],
            ports: Some(vec![EndpointPort {
                name: Some("https".to_string()),
                port: Some(API_SERVER_PORT),
                protocol: Some("TCP".to_string()),
                app_protocol: None,
            }]),
        };
        let slice_key = Key::new("EndpointSlice", &key.namespace, &key.name);
        match self.slices.get(&slice_key).map(|s| &**s) {
            Some(Object::EndpointSlice(current)) if current.endpoints == slice.endpoints && current.ports == slice.ports => {}
            Some(_) => {
                let _ = client.patch(&slice_key, "update", |o| {
                    if let Object::EndpointSlice(s) = o {
                        s.endpoints = slice.endpoints;
                        s.ports = slice.ports;
                    }
                });
            }
            None => {
                let _ = client.create(Object::EndpointSlice(slice));
            }
        }
    }
}
