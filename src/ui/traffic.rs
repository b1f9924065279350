//! What the diagram shows of Services and traffic, derived from the model: each Service with
//! the pods its EndpointSlices list (which pods serve it), and each recent request's way
//! client → node → kube-proxy → pod (`Cluster::recent_requests`). Pure: no hooks, no DOM.

use crate::api::{info, Object};
use crate::network::Request;
use crate::Cluster;

/// One endpoint of a Service: a pod that serves it (or would, once Ready).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointView {
    pub ip: String,
    /// The pod behind the address, if the slice names it.
    pub pod: Option<String>,
    pub node: Option<String>,
    pub ready: bool,
}

/// A Service as the diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceView {
    pub namespace: String,
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    pub type_: String,
    /// `10.96.0.12:80/TCP`, or the external name, or `None` (headless).
    pub address: String,
    pub endpoints: Vec<EndpointView>,
}

/// The Services outside kube-system (the `kubernetes` Service included: it shows where the API
/// server listens), with their endpoints from every EndpointSlice of theirs.
pub fn services(cluster: &Cluster) -> Vec<ServiceView> {
    let slices = cluster.api().peek_list(info("EndpointSlice"), None);
    let services = cluster.api().peek_list(info("Service"), None);
    services
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Service(s) => Some(s),
            _ => None,
        })
        .filter(|s| s.metadata.namespace.as_deref() != Some("kube-system"))
        .map(|s| {
            let namespace = s.metadata.namespace.clone().unwrap_or_default();
            let name = s.metadata.name.clone().unwrap_or_default();
            let spec = s.spec.clone().unwrap_or_default();
            let port =
                spec.ports.as_ref().and_then(|p| p.first()).map(|p| format!(":{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP")));
            let address = match (spec.type_.as_deref(), spec.cluster_ip.as_deref()) {
                (Some("ExternalName"), _) => spec.external_name.clone().unwrap_or_default(),
                (_, Some("None")) => "None (headless)".to_string(),
                (_, ip) => format!("{}{}", ip.unwrap_or("<none>"), port.unwrap_or_default()),
            };
            let mut endpoints = Vec::new();
            for slice in slices.iter().filter_map(|o| match o.as_ref() {
                Object::EndpointSlice(e) if e.metadata.namespace == s.metadata.namespace => Some(e),
                _ => None,
            }) {
                let labels = slice.metadata.labels.as_ref();
                if labels.and_then(|l| l.get("kubernetes.io/service-name")) != Some(&name) {
                    continue;
                }
                for e in &slice.endpoints {
                    endpoints.push(EndpointView {
                        ip: e.addresses.first().cloned().unwrap_or_default(),
                        pod: e.target_ref.as_ref().and_then(|t| t.name.clone()),
                        node: e.node_name.clone(),
                        ready: e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true),
                    });
                }
            }
            ServiceView { namespace, name, type_: spec.type_.unwrap_or_else(|| "ClusterIP".into()), address, endpoints }
        })
        .collect()
}

/// A request's way through the cluster, as the diagram animates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficView {
    pub time_ms: u64,
    /// Where the dot starts: a pod chip (`pod:NAME`) or a node's kubelet (`kubelet:NODE`).
    pub from: String,
    /// The kube-proxy whose rules the packet met (`kube-proxy:NODE`), if DNS resolved.
    pub via: Option<String>,
    /// The pod that answered or refused (`pod:NAME`); `None` when nothing did.
    pub to: Option<String>,
    /// One line: `client on worker-1 → web → web-x2kq9 (10.244.1.3)`.
    pub caption: String,
    pub failed: bool,
    /// A stale rule sent it to an address no pod has any more.
    pub stale: bool,
}

/// The one place that reads a [`Request`] (its fields may grow: the kube-proxy rule it met,
/// why it failed); everything else draws the [`TrafficView`].
pub fn hops(r: &Request) -> TrafficView {
    let from = match (r.client.split_once('/'), r.client.strip_prefix("client on ")) {
        (Some((_, pod)), _) => format!("pod:{pod}"),
        (None, Some(node)) => format!("kubelet:{node}"),
        (None, None) => format!("kubelet:{}", r.client),
    };
    let failed = r.failure.is_some() || r.denied;
    let mut caption = format!("{} → {}", r.client, r.target);
    if let Some(node) = &r.node {
        caption.push_str(&format!(" → kube-proxy on {node}"));
    }
    if let Some(hop) = &r.ingress {
        caption.push_str(&format!(" → ingress-nginx {}", hop.controller.name));
        if let Some(rule) = &hop.rule {
            caption.push_str(&format!(" ({rule})"));
        }
    }
    if r.stale {
        let gone = r.endpoint.as_deref().unwrap_or("an old endpoint");
        caption.push_str(&format!(" → stale rule: {gone}, no pod there"));
    }
    caption.push_str(&format!(" → {}", r.outcome));
    TrafficView {
        time_ms: r.time_ms,
        from,
        via: r.node.as_ref().map(|n| format!("kube-proxy:{n}")),
        to: r.pod.as_ref().map(|k| format!("pod:{}", k.name)),
        caption,
        failed,
        stale: r.stale,
    }
}
