//! Cluster DNS (CoreDNS's `kubernetes` plugin) and a pod's resolver: `NAME.NS.svc.cluster.local`
//! answers a Service's cluster IP, a headless Service's ready pod IPs, or an ExternalName's
//! CNAME; a pod's `/etc/resolv.conf` (`search NS.svc.cluster.local svc.cluster.local
//! cluster.local`, `options ndots:5`) makes short names work inside a namespace.
use crate::api::{info, Key, Object};
use crate::apiserver::ApiServer;

/// The cluster's domain (kubelet `--cluster-domain`).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// The Service IP of CoreDNS (`kube-dns`), the tenth address of the service range.
pub const DNS_SERVICE_IP: &str = "10.96.0.10";

/// A DNS answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A records: a cluster IP, or a headless Service's endpoint IPs.
    A(Vec<String>),
    /// An ExternalName Service: a CNAME to a name outside the cluster.
    Cname(String),
}

/// Resolves `name` as a pod in `namespace` would: through the search list when the name has
/// fewer than 5 dots, then as given. Returns the name that answered and the answer, or None
/// (NXDOMAIN for every candidate).
pub fn resolve(api: &ApiServer, name: &str, namespace: &str) -> Option<(String, Answer)> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return None;
    }
    let search = [format!("{namespace}.svc.{CLUSTER_DOMAIN}"), format!("svc.{CLUSTER_DOMAIN}"), CLUSTER_DOMAIN.to_string()];
    let mut candidates: Vec<String> = Vec::new();
    let absolute = name.matches('.').count() >= 5;
    if absolute {
        candidates.push(name.to_string());
    }
    candidates.extend(search.iter().map(|suffix| format!("{name}.{suffix}")));
    if !absolute {
        candidates.push(name.to_string());
    }
    candidates.into_iter().find_map(|fqdn| lookup(api, &fqdn).map(|answer| (fqdn, answer)))
}

/// CoreDNS's answer for one fully qualified name: `SERVICE.NAMESPACE.svc.cluster.local`.
pub fn lookup(api: &ApiServer, fqdn: &str) -> Option<Answer> {
    let fqdn = fqdn.to_ascii_lowercase();
    let rest = fqdn.strip_suffix(&format!(".svc.{CLUSTER_DOMAIN}"))?;
    let (service, namespace) = rest.split_once('.')?;
    if namespace.contains('.') {
        return None;
    }
    let object = api.peek(&Key::new("Service", namespace, service))?;
    let Object::Service(svc) = object.as_ref() else { return None };
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return spec.external_name.clone().map(Answer::Cname);
    }
    match spec.cluster_ip.as_deref() {
        Some("None") => {
            let publish = spec.publish_not_ready_addresses == Some(true);
            let ips = headless_addresses(api, namespace, service, publish);
            // A headless Service without ready endpoints has no records: NXDOMAIN.
            (!ips.is_empty()).then_some(Answer::A(ips))
        }
        Some(ip) if !ip.is_empty() => Some(Answer::A(vec![ip.to_string()])),
        _ => None,
    }
}

/// The ready addresses of a headless Service's EndpointSlices (all of them if it publishes
/// not-ready addresses).
fn headless_addresses(api: &ApiServer, namespace: &str, service: &str, publish: bool) -> Vec<String> {
    let mut ips: Vec<String> = api
        .peek_list(info("EndpointSlice"), Some(namespace))
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::EndpointSlice(s)
                if s.metadata.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) == Some(service) =>
            {
                Some(s.clone())
            }
            _ => None,
        })
        .flat_map(|s| s.endpoints)
        .filter(|e| publish || e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true))
        .flat_map(|e| e.addresses)
        .collect();
    ips.sort();
    ips.dedup();
    ips
}
