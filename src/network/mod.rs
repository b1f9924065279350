//! Simulated traffic: a request resolves its host through cluster DNS, leaves its source
//! node through that node's kube-proxy rules (as programmed, possibly stale), and reaches a
//! pod whose container may or may not listen on the port. `sim load` turns steady traffic
//! into CPU the serving pods use, which the kubelet reports to metrics-server. NetworkPolicy
//! (`policy`) drops what it does not allow; ingress-nginx's pods route HTTP by the Ingresses
//! (`ingress`).
mod ingress;
mod policy;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::api::{Key, Object};
use crate::apiserver::ApiServer;
use crate::dns::{self, Answer};
use crate::kubelet::{Connection, Kubelet};
use crate::proxy::{KubeProxy, Verdict};
use crate::rng::Rng;

/// How many recent requests the cluster keeps for the diagram.
const RECENT_REQUESTS: usize = 200;

/// CPU one request costs its server: 5 ms, about what the HPA walkthrough's php-apache
/// spends, so 100 requests a second keep half a CPU busy.
pub const CPU_MS_PER_REQUEST: u64 = 5;

/// Where a request starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A pod: its IP, its node, and its namespace's DNS search path.
    Pod(Key),
    /// A node's own network namespace: its IP, and no cluster DNS.
    Node(String),
    /// A throwaway client pod (as `kubectl run curl --rm -it`) on the first node that takes
    /// workloads, in the request's namespace.
    Client,
}

/// One `sim curl`.
#[derive(Clone, Debug)]
pub struct CurlRequest {
    pub target: String,
    pub source: Source,
    pub count: usize,
    pub namespace: String,
    /// `-H 'Host: NAME'`: the Host header instead of the URL's host.
    pub host_header: Option<String>,
    /// `--resolve HOST:PORT:ADDRESS`: addresses to use instead of DNS for these names.
    pub resolve: Vec<(String, i32, String)>,
}

/// A request's way through the cluster, for the diagram: client → node → kube-proxy → pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub time_ms: u64,
    /// The client: a pod's `namespace/name` or a node name.
    pub client: String,
    pub client_ip: String,
    pub target: String,
    /// The node whose kube-proxy rules the packet met (none when DNS failed).
    pub node: Option<String>,
    /// The chains it traversed (`KUBE-SERVICES`, `KUBE-SVC-…`, `KUBE-SEP-…`).
    pub chains: Vec<String>,
    /// The address it was sent to in the end (after DNAT).
    pub endpoint: Option<String>,
    /// The service port whose rule matched (`ns/name` or `ns/name:port`), if any.
    pub service: Option<String>,
    /// The node the final address lives on.
    pub dest_node: Option<String>,
    /// The pod that answered or refused.
    pub pod: Option<Key>,
    /// A stale rule sent it to an address no pod has any more.
    pub stale: bool,
    /// A NetworkPolicy dropped it.
    pub denied: bool,
    /// Where it stopped, when no pod answered.
    pub failure: Option<Failure>,
    /// The second leg, when kube-proxy took it to an ingress-nginx pod: that pod routed it
    /// by the Ingresses straight to a backend pod (then `endpoint`, `dest_node` and `pod` are
    /// the backend's).
    pub ingress: Option<IngressHop>,
    /// What curl printed.
    pub outcome: String,
}

/// What the ingress controller's pod did with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressHop {
    pub controller: Key,
    pub controller_ip: String,
    /// The Ingress whose rule matched, and the rule (`host/path (PathType)`).
    pub ingress: Option<Key>,
    pub rule: Option<String>,
    /// The backend, `service:port`.
    pub backend: Option<String>,
    /// The HTTP status nginx answered with (200 when the backend pod answered).
    pub status: u16,
}

/// Why a request got no answer from a pod, for the diagram to show where it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The name did not resolve (or a policy blocked the DNS query).
    Dns,
    /// kube-proxy's REJECT rule: the Service has no endpoints.
    NoEndpoints,
    /// kube-proxy's DROP rule: `Local` traffic policy without an endpoint on this node.
    NoLocalEndpoints,
    /// The destination's node is stopped or cut off: no answer, the connect times out.
    NodeDown(String),
    /// No machine or pod has the address (a stale rule's DNAT target): the connect times out.
    NoHost,
    /// A NetworkPolicy dropped the packet: the connect times out.
    Policy,
    /// The pod runs but nothing listens on the port.
    Refused,
    /// The URL was malformed.
    BadUrl,
    /// The ingress controller answered with an error page (404, 502, 503, 504).
    Http(u16),
}

/// Steady background traffic (`sim load`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Load {
    pub target: String,
    pub namespace: String,
    pub rps: u64,
    pub until_ms: Option<u64>,
}

/// The cluster's traffic state.
#[derive(Default)]
pub struct Network {
    requests: VecDeque<Request>,
    /// ingress-nginx's round-robin position per upstream (`namespace-service-port`).
    upstreams: BTreeMap<String, usize>,
    pub loads: Vec<Load>,
    /// Whether the kubelets were last told of a load (so its end is told once).
    pub load_applied: bool,
}

impl Request {
    fn fail(mut self, failure: Failure, outcome: String) -> Request {
        self.failure = Some(failure);
        self.outcome = outcome;
        self
    }
}

impl Network {
    pub fn recent_requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter()
    }
    fn remember(&mut self, request: Request) {
        if self.requests.len() >= RECENT_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back(request);
    }
}

/// What traffic needs of the cluster: state to read, kube-proxies to consult, the RNG.
pub struct World<'a> {
    pub api: &'a ApiServer,
    pub proxies: &'a mut BTreeMap<String, KubeProxy>,
    pub kubelets: &'a BTreeMap<String, Kubelet>,
    pub rng: &'a mut Rng,
    pub now_ms: u64,
    /// Nodes that are stopped or cut off: nothing reaches them and nothing leaves them.
    pub down: BTreeSet<String>,
}

/// How long a simulated `curl` waits for a connection, as `curl --connect-timeout 10` does
/// (curl's own default is 300 s, and Linux gives up after about 130 s of SYN retries).
pub const CONNECT_TIMEOUT_MS: u64 = 10_000;

/// curl's words when its connect timeout expires; it notices a millisecond past the deadline.
fn timed_out() -> String {
    format!("curl: (28) Connection timed out after {} milliseconds", CONNECT_TIMEOUT_MS + 1)
}

/// A request's client, resolved.
struct Client {
    name: String,
    ip: String,
    node: String,
    /// The namespace of its DNS search path; None for a node (no cluster DNS).
    dns_namespace: Option<String>,
    /// What NetworkPolicy sees of it.
    peer: policy::Peer,
}

/// `scheme://host[:port][/path]` → (host, port, path), as curl parses it.
fn parse_url(target: &str) -> Result<(String, i32, String), String> {
    let (default_port, rest) = match target.split_once("://") {
        Some(("http", rest)) => (80, rest),
        Some(("https", rest)) => (443, rest),
        Some((scheme, _)) => return Err(format!("curl: (1) Protocol \"{scheme}\" not supported")),
        None => (80, target),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let path = match &rest[authority.len()..] {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse::<u16>()
                .map_err(|_| "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535".to_string())?;
            (host, i32::from(port))
        }
        None => (authority, default_port),
    };
    if host.is_empty() {
        return Err("curl: (3) URL rejected: No host part in the URL".to_string());
    }
    Ok((host.to_string(), port, path))
}

fn is_ipv4(host: &str) -> bool {
    host.parse::<std::net::Ipv4Addr>().is_ok()
}

impl World<'_> {
    fn node_by_index(&self, index: u32) -> Option<&Kubelet> {
        self.kubelets.values().find(|k| k.index() == index)
    }

    /// The node a pod IP (10.244.N.x) or node IP belongs to, if any machine has it.
    fn owner(&self, ip: &str) -> Option<&Kubelet> {
        if let Some(index) = ip.strip_prefix("10.244.").and_then(|r| r.split('.').next()).and_then(|n| n.parse().ok()) {
            return self.node_by_index(index);
        }
        self.kubelets.values().find(|k| k.node_ip() == ip)
    }

    fn client(&self, source: &Source, namespace: &str) -> Result<Client, String> {
        match source {
            Source::Node(node) => {
                let kubelet = self.kubelets.get(node).ok_or_else(|| format!("Error from server (NotFound): nodes \"{node}\" not found"))?;
                let ip = kubelet.node_ip();
                if self.down.contains(node) {
                    return Err(format!("ssh: connect to host {ip} port 22: Connection timed out"));
                }
                let peer = policy::Peer { ip: ip.clone(), ..Default::default() };
                Ok(Client { name: node.clone(), ip, node: node.clone(), dns_namespace: None, peer })
            }
            Source::Pod(key) => {
                let not_found = || format!("Error from server (NotFound): pods \"{}\" not found", key.name);
                let object = self.api.peek(key).ok_or_else(not_found)?;
                let Object::Pod(pod) = object.as_ref() else { return Err(not_found()) };
                let status = pod.status.as_ref();
                let ip = status.and_then(|s| s.pod_ip.clone());
                let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
                match (ip, node, status.and_then(|s| s.phase.as_deref())) {
                    (Some(_), Some(node), Some("Running")) if self.down.contains(&node) => {
                        // kubectl exec goes through the API server to the node's kubelet.
                        let node_ip = self.kubelets.get(&node).map(Kubelet::node_ip).unwrap_or_default();
                        Err(format!("Error from server: error dialing backend: dial tcp {node_ip}:10250: i/o timeout"))
                    }
                    (Some(ip), Some(node), Some("Running")) => {
                        let peer = pod_peer(key, &ip, pod.metadata.labels.clone());
                        Ok(Client {
                            name: format!("{}/{}", key.namespace, key.name),
                            ip,
                            node,
                            dns_namespace: Some(key.namespace.clone()),
                            peer,
                        })
                    }
                    _ => Err(format!("error: unable to upgrade connection: pod {} is not running", key.name)),
                }
            }
            Source::Client => {
                let nodes = self.api.peek_list(crate::api::info("Node"), None);
                let takes_workloads = nodes.iter().find_map(|o| match o.as_ref() {
                    Object::Node(n)
                        if !n.spec.as_ref().and_then(|s| s.taints.as_ref()).is_some_and(|t| t.iter().any(|t| t.effect == "NoSchedule")) =>
                    {
                        n.metadata.name.clone().filter(|name| self.kubelets.contains_key(name) && !self.down.contains(name))
                    }
                    _ => None,
                });
                let node = takes_workloads
                    .or_else(|| self.kubelets.keys().find(|n| !self.down.contains(*n)).cloned())
                    .ok_or_else(|| "error: the cluster has no nodes to run a client on".to_string())?;
                let ip = self.kubelets.get(&node).map(Kubelet::node_ip).unwrap_or_default();
                // Labelled as `kubectl run curl` labels its pod, for NetworkPolicy selectors.
                let labels = BTreeMap::from([("run".to_string(), "curl".to_string())]);
                let peer = policy::Peer { ip: ip.clone(), pod: Some((namespace.to_string(), labels)), key: None };
                Ok(Client { name: format!("client on {node}"), ip, node, dns_namespace: Some(namespace.to_string()), peer })
            }
        }
    }

    /// Sends one request; returns what curl printed and the way it went.
    fn send(&mut self, client: &Client, curl: &CurlRequest, upstreams: &mut BTreeMap<String, usize>) -> Request {
        let target = curl.target.as_str();
        let mut request = Request {
            time_ms: self.now_ms,
            client: client.name.clone(),
            client_ip: client.ip.clone(),
            target: target.to_string(),
            node: None,
            chains: Vec::new(),
            endpoint: None,
            service: None,
            dest_node: None,
            pod: None,
            stale: false,
            denied: false,
            failure: None,
            ingress: None,
            outcome: String::new(),
        };
        let (host, port, path) = match parse_url(target) {
            Ok(parsed) => parsed,
            Err(e) => return request.fail(Failure::BadUrl, e),
        };
        let resolved = curl.resolve.iter().find(|(h, p, _)| h.eq_ignore_ascii_case(&host) && *p == port).map(|(_, _, ip)| ip.clone());
        let ip = if let Some(ip) = resolved {
            ip
        } else if is_ipv4(&host) {
            host.clone()
        } else if !policy::allows_dns(self.api, &client.peer) {
            // An egress policy that does not allow DNS: the query times out.
            request.denied = true;
            return request.fail(Failure::Dns, format!("curl: (6) Could not resolve host: {host}"));
        } else {
            let answer = client.dns_namespace.as_deref().and_then(|ns| dns::resolve(self.api, &host, ns));
            match answer {
                Some((_, Answer::A(ips))) if !ips.is_empty() => {
                    // CoreDNS's `loadbalance` plugin shuffles the records; curl takes the first.
                    let i = self.rng.below(ips.len() as u64) as usize;
                    ips.get(i).cloned().unwrap_or_default()
                }
                // The simulated cluster has no upstream resolver: external names do not resolve.
                Some((_, Answer::Cname(_))) | Some((_, Answer::A(_))) | None => {
                    return request.fail(Failure::Dns, format!("curl: (6) Could not resolve host: {host}"));
                }
            }
        };
        let refused = format!("curl: (7) Failed to connect to {host} port {port}: Connection refused");
        // The packet meets the source node's rules; a node IP that is not the source's own
        // is routed to that node, whose KUBE-NODEPORTS chain sees it.
        let mut node = client.node.clone();
        let mut verdict = self.route(&node, &client.ip, &ip, port);
        if verdict == Verdict::NoRule {
            if let Some(other) =
                self.kubelets.values().find(|k| k.node_ip() == ip && k.node_name() != node).map(|k| k.node_name().to_string())
            {
                if self.down.contains(&other) {
                    request.dest_node = Some(other.clone());
                    return request.fail(Failure::NodeDown(other), timed_out());
                }
                node = other;
                verdict = self.route(&node, &client.ip, &ip, port);
            }
        }
        request.node = Some(node);
        let (dest_ip, dest_port) = match verdict {
            Verdict::Reject { service } => {
                request.chains.push("KUBE-SERVICES".into());
                request.service = Some(service);
                return request.fail(Failure::NoEndpoints, refused);
            }
            Verdict::Drop { service } => {
                request.chains.push("KUBE-EXTERNAL-SERVICES".into());
                request.service = Some(service);
                return request.fail(Failure::NoLocalEndpoints, timed_out());
            }
            Verdict::Dnat { chains, endpoint, service } => {
                request.chains = chains;
                request.service = Some(service);
                (endpoint.ip, endpoint.port)
            }
            Verdict::NoRule => (ip.clone(), port),
        };
        request.endpoint = Some(format!("{dest_ip}:{dest_port}"));
        let Some(owner) = self.owner(&dest_ip) else {
            // No machine has the address: nothing answers the SYN.
            request.stale = request.service.is_some();
            return request.fail(Failure::NoHost, timed_out());
        };
        let owner_name = owner.node_name().to_string();
        request.dest_node = Some(owner_name.clone());
        if self.down.contains(&owner_name) {
            return request.fail(Failure::NodeDown(owner_name), timed_out());
        }
        if owner.node_ip() == dest_ip {
            // A node's own address on a port no NodePort rule took: only the API server (a
            // host-network static pod) listens, on 6443 of its node.
            if dest_port == 6443 && self.serves_api(&dest_ip) {
                request.outcome = format!("kube-apiserver-{owner_name} ({dest_ip})");
                return request;
            }
            return request.fail(Failure::Refused, refused);
        }
        let connection = owner.connect(&dest_ip, dest_port);
        if let Connection::Served(pod) | Connection::Refused(pod) = &connection {
            request.pod = Some(pod.clone());
            let labels = self.api.peek(pod).and_then(|o| o.metadata().labels.clone());
            if !policy::allows(self.api, &client.peer, &pod_peer(pod, &dest_ip, labels), dest_port) {
                request.denied = true;
                return request.fail(Failure::Policy, timed_out());
            }
        }
        match connection {
            Connection::Served(pod) if ingress::is_controller(self.api, &pod) && matches!(dest_port, 80 | 443) => {
                let host = curl.host_header.clone().unwrap_or(host);
                let peer = pod_peer(&pod, &dest_ip, self.api.peek(&pod).and_then(|o| o.metadata().labels.clone()));
                return self.proxy_to_backend(request, (pod, peer), &host, &path, upstreams);
            }
            Connection::Served(pod) => request.outcome = format!("{} ({dest_ip})", pod.name),
            Connection::Refused(_) => return request.fail(Failure::Refused, refused),
            Connection::NoPod => {
                // No pod has the address (a stale rule's DNAT target): nothing answers the SYN.
                request.stale = request.service.is_some();
                return request.fail(Failure::NoHost, timed_out());
            }
        }
        request
    }

    /// An ingress-nginx pod's proxying: the Ingress route, the backend Service's port, one of
    /// its ready endpoints in turn (nginx's round robin), straight to the pod. Its error pages
    /// are what curl prints then: 404 when no rule matches, 503 when the backend has no
    /// Service or endpoints, 502 when the pod refuses, 504 when it does not answer.
    fn proxy_to_backend(
        &mut self,
        mut request: Request,
        (controller, peer): (Key, policy::Peer),
        host: &str,
        path: &str,
        upstreams: &mut BTreeMap<String, usize>,
    ) -> Request {
        let mut hop = IngressHop {
            controller: controller.clone(),
            controller_ip: peer.ip.clone(),
            ingress: None,
            rule: None,
            backend: None,
            status: 404,
        };
        let page = |status: u16| match status {
            404 => "404 Not Found",
            502 => "502 Bad Gateway",
            503 => "503 Service Temporarily Unavailable",
            _ => "504 Gateway Time-out",
        };
        let finish = |mut request: Request, mut hop: IngressHop, status: u16| {
            hop.status = status;
            request.ingress = Some(hop);
            request.fail(Failure::Http(status), page(status).to_string())
        };
        let Some(route) = ingress::route(self.api, host, path) else { return finish(request, hop, 404) };
        hop.ingress = Some(route.ingress.clone());
        hop.rule = Some(route.rule);
        let Some(backend) = route.backend.service else { return finish(request, hop, 503) };
        let wanted = backend.port.clone().unwrap_or_default();
        let port_text = wanted.number.map_or(wanted.name.clone().unwrap_or_default(), |n| n.to_string());
        hop.backend = Some(format!("{}:{port_text}", backend.name));
        let namespace = route.ingress.namespace.clone();
        let Some(endpoints) = self.backend_endpoints(&namespace, &backend.name, &wanted) else { return finish(request, hop, 503) };
        if endpoints.is_empty() {
            return finish(request, hop, 503);
        }
        let upstream = format!("{namespace}-{}-{port_text}", backend.name);
        let turn = upstreams.entry(upstream).or_default();
        let Some((ip, port)) = endpoints.get(*turn % endpoints.len()).cloned() else { return finish(request, hop, 503) };
        *turn = turn.wrapping_add(1);
        request.endpoint = Some(format!("{ip}:{port}"));
        request.pod = None;
        let Some(owner) = self.owner(&ip) else { return finish(request, hop, 504) };
        request.dest_node = Some(owner.node_name().to_string());
        if self.down.contains(owner.node_name()) {
            return finish(request, hop, 504);
        }
        match owner.connect(&ip, port) {
            Connection::NoPod => finish(request, hop, 504),
            Connection::Refused(pod) => {
                request.pod = Some(pod);
                finish(request, hop, 502)
            }
            Connection::Served(pod) => {
                let labels = self.api.peek(&pod).and_then(|o| o.metadata().labels.clone());
                request.pod = Some(pod.clone());
                if !policy::allows(self.api, &peer, &pod_peer(&pod, &ip, labels), port) {
                    request.denied = true;
                    return finish(request, hop, 504);
                }
                hop.status = 200;
                request.ingress = Some(hop);
                request.outcome = format!("{} ({ip})", pod.name);
                request
            }
        }
    }

    /// The ready `ip:port`s behind a Service port named by an Ingress backend (None: no such
    /// Service or port).
    fn backend_endpoints(
        &self,
        namespace: &str,
        service: &str,
        port: &k8s_openapi::api::networking::v1::ServiceBackendPort,
    ) -> Option<Vec<(String, i32)>> {
        let object = self.api.peek(&Key::new("Service", namespace, service))?;
        let Object::Service(svc) = object.as_ref() else { return None };
        let service_port = svc.spec.as_ref()?.ports.iter().flatten().find(|p| match (&port.number, &port.name) {
            (Some(n), _) if *n != 0 => p.port == *n,
            (_, Some(name)) => p.name.as_ref() == Some(name),
            _ => false,
        })?;
        let port_name = service_port.name.clone().unwrap_or_default();
        let mut endpoints = Vec::new();
        for o in self.api.peek_list(crate::api::info("EndpointSlice"), Some(namespace)) {
            let Object::EndpointSlice(slice) = o.as_ref() else { continue };
            if slice.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) != Some(service) {
                continue;
            }
            let Some(target) = slice.ports.iter().flatten().find(|p| p.name.clone().unwrap_or_default() == port_name).and_then(|p| p.port)
            else {
                continue;
            };
            for e in slice.endpoints.iter().filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true)) {
                endpoints.extend(e.addresses.first().map(|a| (a.clone(), target)));
            }
        }
        endpoints.sort();
        Some(endpoints)
    }

    /// Whether the API server listens at `ip` (an address of the `kubernetes` EndpointSlice).
    fn serves_api(&self, ip: &str) -> bool {
        self.api.peek(&Key::new("EndpointSlice", "default", "kubernetes")).is_some_and(|o| match o.as_ref() {
            Object::EndpointSlice(s) => s.endpoints.iter().any(|e| e.addresses.iter().any(|a| a == ip)),
            _ => false,
        })
    }

    fn route(&mut self, node: &str, client_ip: &str, ip: &str, port: i32) -> Verdict {
        match self.proxies.get_mut(node) {
            Some(proxy) => proxy.route(client_ip, ip, port, self.now_ms, self.rng),
            None => Verdict::NoRule,
        }
    }
}

/// A pod as NetworkPolicy sees it.
fn pod_peer(key: &Key, ip: &str, labels: Option<BTreeMap<String, String>>) -> policy::Peer {
    policy::Peer { ip: ip.to_string(), pod: Some((key.namespace.clone(), labels.unwrap_or_default())), key: Some(key.clone()) }
}

/// `sim curl`: sends `count` requests; returns one line per request, then (for more than
/// one) a count per answering pod or error, most frequent first.
pub fn curl(world: &mut World, network: &mut Network, request: &CurlRequest) -> Result<String, String> {
    let client = world.client(&request.source, &request.namespace)?;
    let mut out = String::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..request.count {
        let sent = world.send(&client, request, &mut network.upstreams);
        out.push_str(&sent.outcome);
        out.push('\n');
        // A pod that answered is counted by name; an error by its message.
        let key = if sent.outcome.starts_with("curl:") {
            sent.outcome.clone()
        } else {
            sent.outcome.split(" (").next().unwrap_or("").to_string()
        };
        *tally.entry(key).or_default() += 1;
        network.remember(sent);
    }
    if request.count > 1 {
        let mut counts: Vec<(String, usize)> = tally.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (what, count) in counts {
            out.push_str(&format!("{count} {what}\n"));
        }
    }
    Ok(out.trim_end().to_string())
}

/// The CPU (millicores) steady loads make each pod spend now: each load's requests split
/// evenly over the endpoints its client's kube-proxy would pick from.
pub fn load_cpu(world: &mut World, loads: &[Load]) -> BTreeMap<Key, u64> {
    let mut cpu: BTreeMap<Key, u64> = BTreeMap::new();
    for load in loads {
        let Ok(client) = world.client(&Source::Client, &load.namespace) else { continue };
        let Ok((host, port, _)) = parse_url(&load.target) else { continue };
        let ip = if is_ipv4(&host) {
            Some(host)
        } else {
            match dns::resolve(world.api, &host, &load.namespace) {
                Some((_, Answer::A(ips))) => ips.into_iter().next(),
                _ => None,
            }
        };
        let Some(ip) = ip else { continue };
        let endpoints = match world.proxies.get(&client.node).map(|p| p.candidates(&ip, port)) {
            Some(Some(endpoints)) => endpoints,
            _ => vec![(ip, port)],
        };
        let Ok(n) = u64::try_from(endpoints.len()) else { continue };
        if n == 0 {
            continue;
        }
        let share = load.rps.saturating_mul(CPU_MS_PER_REQUEST) / n;
        for (ip, port) in endpoints {
            if let Some(Connection::Served(pod)) = world.owner(&ip).map(|k| k.connect(&ip, port)) {
                *cpu.entry(pod).or_default() += share;
            }
        }
    }
    cpu
}
