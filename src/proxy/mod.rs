//! kube-proxy, one per node, in iptables mode: it watches Services and EndpointSlices through
//! its own informers and programs the node's NAT rules from what it has seen
//! (`pkg/proxy/iptables/proxier.go`). Traffic (`crate::network`) then follows those rules, so
//! a stopped kube-proxy keeps sending requests where its stale rules say.
mod chain;
mod render;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointSlice};

use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::WatchEvent;
use crate::controllers::Store;
use crate::rng::Rng;

/// The pod network (`--cluster-cidr`): traffic from outside it is masqueraded.
pub const CLUSTER_CIDR: &str = "10.244.0.0/16";

/// An endpoint a service port's chain may DNAT to (a `KUBE-SEP-…` chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRule {
    pub chain: String,
    pub ip: String,
    pub port: i32,
    pub node: Option<String>,
}

impl EndpointRule {
    /// `ip:port`, as the DNAT target and the rule comments print it.
    pub fn address(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

/// What kube-proxy programs for one port of one Service (upstream's `servicePortInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePortRules {
    /// `ns/name` or `ns/name:port-name` (`ServicePortName.String()`).
    pub name: String,
    pub service: Key,
    /// Lower case, as iptables takes it (`tcp`).
    pub protocol: String,
    pub cluster_ip: Option<String>,
    pub port: i32,
    pub node_port: Option<i32>,
    /// The cloud load balancer's ingress IPs and `spec.externalIPs`.
    pub external_ips: Vec<String>,
    /// ClientIP session affinity's timeout.
    pub affinity_seconds: Option<i32>,
    pub internal_local: bool,
    pub external_local: bool,
    /// Every usable endpoint (ready ones, or serving-terminating ones when none is ready).
    pub endpoints: Vec<EndpointRule>,
}

impl ServicePortRules {
    pub fn svc_chain(&self) -> String {
        chain::service_chain("KUBE-SVC", &self.name, &self.protocol)
    }
    pub fn local_chain(&self) -> String {
        chain::service_chain("KUBE-SVL", &self.name, &self.protocol)
    }
    pub fn external_chain(&self) -> String {
        chain::service_chain("KUBE-EXT", &self.name, &self.protocol)
    }
    /// Whether external traffic (NodePort, load balancer) reaches the endpoints.
    fn has_external(&self) -> bool {
        self.node_port.is_some() || !self.external_ips.is_empty()
    }
    /// The endpoints traffic may reach under `Local` policy: those on `node`.
    fn local_endpoints<'a>(&'a self, node: &'a str) -> impl Iterator<Item = &'a EndpointRule> + 'a {
        self.endpoints.iter().filter(move |e| e.node.as_deref() == Some(node))
    }
}

/// Where kube-proxy's rules send one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No rule matches the destination: the packet goes on as addressed.
    NoRule,
    /// A service port without endpoints: `REJECT --reject-with icmp-port-unreachable`.
    Reject { service: String },
    /// `Local` policy without local endpoints: the packet is dropped.
    Drop { service: String },
    /// DNAT to an endpoint, through these chains.
    Dnat { service: String, chains: Vec<String>, endpoint: EndpointRule },
}

/// One node's kube-proxy.
pub struct KubeProxy {
    node: String,
    node_ip: String,
    services: Store,
    slices: Store,
    running: bool,
    dirty: bool,
    rules: Vec<ServicePortRules>,
    /// The `recent` module's lists: (endpoint chain, client IP) → last time seen.
    recent: BTreeMap<(String, String), u64>,
}

impl KubeProxy {
    pub fn new(node: &str, node_ip: &str) -> KubeProxy {
        KubeProxy {
            node: node.to_string(),
            node_ip: node_ip.to_string(),
            services: Store::default(),
            slices: Store::default(),
            running: true,
            dirty: false,
            rules: Vec::new(),
            recent: BTreeMap::new(),
        }
    }

    pub fn node_ip(&self) -> &str {
        &self.node_ip
    }

    pub fn is_running(&self) -> bool {
        self.running
    }

    /// The informers: Services and EndpointSlices (a stopped kube-proxy hears nothing).
    pub fn watches(&self, event: &WatchEvent) -> bool {
        self.running && matches!(event.object.as_ref(), Object::Service(_) | Object::EndpointSlice(_))
    }

    pub fn on_event(&mut self, event: &WatchEvent) {
        match event.object.as_ref() {
            Object::Service(_) => self.services.apply(event),
            Object::EndpointSlice(_) => self.slices.apply(event),
            _ => return,
        }
        self.dirty = true;
    }

    pub fn has_work(&self) -> bool {
        self.running && self.dirty
    }

    /// `syncProxyRules`: recomputes every service port's rules from the informers' caches.
    pub fn sync(&mut self) {
        self.dirty = false;
        let mut rules = Vec::new();
        for object in self.services.values() {
            if let Object::Service(service) = object.as_ref() {
                let slices: Vec<&EndpointSlice> = self
                    .slices
                    .values()
                    .filter_map(|o| match o.as_ref() {
                        Object::EndpointSlice(s) if serves(s, service) => Some(s),
                        _ => None,
                    })
                    .collect();
                rules.extend(service_rules(service, &slices));
            }
        }
        self.rules = rules;
    }

    /// Stops the process: the rules stay in the kernel as they were.
    pub fn stop(&mut self) {
        self.running = false;
    }

    /// Starts the process again: its informers list everything afresh, then it syncs.
    pub fn start(&mut self, objects: &[ObjectRef]) {
        self.running = true;
        self.services = Store::default();
        self.slices = Store::default();
        for object in objects {
            let event = WatchEvent { event_type: crate::apiserver::WatchEventType::Added, object: object.clone() };
            self.on_event(&event);
        }
        self.sync();
    }

    /// The rules programmed now, one entry per service port.
    pub fn rules(&self) -> &[ServicePortRules] {
        &self.rules
    }

    /// `iptables-save` of the node's filter and nat tables as kube-proxy wrote them.
    pub fn iptables_save(&self) -> String {
        render::iptables_save(&self.rules, &self.node)
    }

    /// The service port whose rules take a packet to `ip:port`, and whether it came in as
    /// cluster-IP (internal) traffic.
    fn lookup(&self, ip: &str, port: i32) -> Option<(&ServicePortRules, bool)> {
        self.rules.iter().find_map(|r| {
            if r.port == port && r.cluster_ip.as_deref() == Some(ip) {
                Some((r, true))
            } else if (r.port == port && r.external_ips.iter().any(|e| e == ip)) || (ip == self.node_ip && r.node_port == Some(port)) {
                Some((r, false))
            } else {
                None
            }
        })
    }

    /// The endpoints a packet may reach under the traffic policy that applies to it.
    fn candidates_of<'a>(&'a self, rule: &'a ServicePortRules, internal: bool) -> (bool, Vec<&'a EndpointRule>) {
        let local = if internal { rule.internal_local } else { rule.external_local };
        let endpoints = if local { rule.local_endpoints(&self.node).collect() } else { rule.endpoints.iter().collect() };
        (local, endpoints)
    }

    /// The `ip:port`s a packet to `ip:port` may be sent to, each equally likely; None when
    /// no rule takes it.
    pub fn candidates(&self, ip: &str, port: i32) -> Option<Vec<(String, i32)>> {
        let (rule, internal) = self.lookup(ip, port)?;
        Some(self.candidates_of(rule, internal).1.into_iter().map(|e| (e.ip.clone(), e.port)).collect())
    }

    /// Follows the nat table for a packet from `client` to `ip:port`, drawing the `statistic`
    /// matches from `rng` and updating the `recent` lists of ClientIP affinity.
    pub fn route(&mut self, client: &str, ip: &str, port: i32, now_ms: u64, rng: &mut Rng) -> Verdict {
        let Some((rule, internal)) = self.lookup(ip, port) else { return Verdict::NoRule };
        let service = rule.name.clone();
        let mut chains = Vec::new();
        if internal {
            chains.push("KUBE-SERVICES".to_string());
        } else {
            chains.push(if ip == self.node_ip { "KUBE-NODEPORTS".into() } else { "KUBE-SERVICES".into() });
            chains.push(rule.external_chain());
        }
        let (local, candidates) = self.candidates_of(rule, internal);
        if candidates.is_empty() {
            return if rule.endpoints.is_empty() { Verdict::Reject { service } } else { Verdict::Drop { service } };
        }
        chains.push(if local { rule.local_chain() } else { rule.svc_chain() });
        let sticky = rule.affinity_seconds.and_then(|seconds| {
            let window = u64::try_from(seconds).unwrap_or(0).saturating_mul(1000);
            candidates.iter().find(|e| {
                self.recent.get(&(e.chain.clone(), client.to_string())).is_some_and(|seen| now_ms.saturating_sub(*seen) <= window)
            })
        });
        let endpoint = match sticky {
            Some(e) => (*e).clone(),
            None => pick(&candidates, rng).clone(),
        };
        if rule.affinity_seconds.is_some() {
            self.recent.insert((endpoint.chain.clone(), client.to_string()), now_ms);
        }
        chains.push(endpoint.chain.clone());
        Verdict::Dnat { service, chains, endpoint }
    }
}

/// Walks the `-m statistic --mode random --probability 1/(n−i)` rules in order; the last
/// one is unconditional, so each of n endpoints gets 1/n.
fn pick<'a>(endpoints: &[&'a EndpointRule], rng: &mut Rng) -> &'a EndpointRule {
    let n = endpoints.len();
    for (i, endpoint) in endpoints.iter().enumerate() {
        if i + 1 == n || uniform(rng) < probability(n - i) {
            return endpoint;
        }
    }
    endpoints[n - 1]
}

/// `1/n`, the probability of the rule with `n` endpoints left.
pub fn probability(n: usize) -> f64 {
    1.0 / n.max(1) as f64
}

/// A uniform float in [0, 1) from 53 random bits.
fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether an EndpointSlice belongs to the Service (its `kubernetes.io/service-name` label).
fn serves(slice: &EndpointSlice, service: &Service) -> bool {
    slice.metadata.namespace == service.metadata.namespace
        && slice.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")) == service.metadata.name.as_ref()
        && slice.address_type == "IPv4"
}

/// The rules of each port of a Service; ExternalName and headless Services get none.
fn service_rules(service: &Service, slices: &[&EndpointSlice]) -> Vec<ServicePortRules> {
    let Some(spec) = &service.spec else { return Vec::new() };
    let cluster_ip = spec.cluster_ip.clone().filter(|ip| !ip.is_empty() && ip != "None");
    if cluster_ip.is_none() || spec.type_.as_deref() == Some("ExternalName") {
        return Vec::new();
    }
    let namespace = service.metadata.namespace.clone().unwrap_or_default();
    let name = service.metadata.name.clone().unwrap_or_default();
    let mut external_ips = spec.external_ips.clone().unwrap_or_default();
    if spec.type_.as_deref() == Some("LoadBalancer") {
        let ingress = service.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.as_ref());
        external_ips.extend(ingress.into_iter().flatten().filter_map(|i| i.ip.clone()));
    }
    let affinity_seconds = (spec.session_affinity.as_deref() == Some("ClientIP"))
        .then(|| spec.session_affinity_config.as_ref().and_then(|c| c.client_ip.as_ref()).and_then(|c| c.timeout_seconds).unwrap_or(10800));
    spec.ports
        .iter()
        .flatten()
        .map(|port| {
            let port_name = port.name.clone().unwrap_or_default();
            let full_name = if port_name.is_empty() { format!("{namespace}/{name}") } else { format!("{namespace}/{name}:{port_name}") };
            let protocol = port.protocol.as_deref().unwrap_or("TCP").to_ascii_lowercase();
            ServicePortRules {
                endpoints: usable_endpoints(slices, &port_name, &full_name, &protocol),
                name: full_name,
                service: Key::new("Service", &namespace, &name),
                protocol,
                cluster_ip: cluster_ip.clone(),
                port: port.port,
                node_port: port.node_port.filter(|p| *p > 0),
                external_ips: external_ips.clone(),
                affinity_seconds,
                internal_local: spec.internal_traffic_policy.as_deref() == Some("Local"),
                external_local: spec.external_traffic_policy.as_deref() == Some("Local"),
            }
        })
        .collect()
}

/// The endpoints of one service port: the ready ones, or, when none is ready, those still
/// serving while they terminate (`CategorizeEndpoints` in `pkg/proxy/topology.go`).
fn usable_endpoints(slices: &[&EndpointSlice], port_name: &str, service_port: &str, protocol: &str) -> Vec<EndpointRule> {
    let mut ready = Vec::new();
    let mut terminating = Vec::new();
    for slice in slices {
        let Some(port) = slice.ports.iter().flatten().find(|p| p.name.as_deref().unwrap_or("") == port_name).and_then(|p| p.port) else {
            continue;
        };
        for endpoint in &slice.endpoints {
            let Some(ip) = endpoint.addresses.first() else { continue };
            let address = format!("{ip}:{port}");
            let rule = EndpointRule {
                chain: chain::endpoint_chain(service_port, protocol, &address),
                ip: ip.clone(),
                port,
                node: endpoint.node_name.clone(),
            };
            let (is_ready, serving, is_terminating) = conditions(endpoint);
            if is_ready {
                ready.push(rule);
            } else if serving && is_terminating {
                terminating.push(rule);
            }
        }
    }
    let mut usable = if ready.is_empty() { terminating } else { ready };
    // The proxier writes endpoint rules in the order of its sorted endpoint list.
    usable.sort_by_key(EndpointRule::address);
    usable.dedup_by(|a, b| a.address() == b.address());
    usable
}

/// (ready, serving, terminating), with the API's defaults for unset conditions.
fn conditions(endpoint: &Endpoint) -> (bool, bool, bool) {
    let c = endpoint.conditions.clone().unwrap_or_default();
    let ready = c.ready.unwrap_or(true);
    (ready, c.serving.unwrap_or(ready), c.terminating.unwrap_or(false))
}
