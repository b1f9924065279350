//! NetworkPolicy as a policy-enforcing CNI plugin applies it (networking.k8s.io/v1): a pod
//! that some policy selects for a direction is isolated in that direction, and then only
//! traffic some rule of those policies allows gets through; the rest is dropped (the client
//! sees a timeout). Policies see pod IPs and target ports: kube-proxy's DNAT came first.
use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::labels::Selector;
use crate::api::{info, Key, Object};
use crate::apiserver::ApiServer;

/// A rule's peers and ports (an ingress rule's `from`, an egress rule's `to`).
type Rule<'a> = (Option<&'a Vec<NetworkPolicyPeer>>, Option<&'a Vec<NetworkPolicyPort>>);

/// One end of a connection, as policies see it.
#[derive(Clone, Debug, Default)]
pub struct Peer {
    pub ip: String,
    /// The pod's namespace and labels; None for a node (matched by `ipBlock` only).
    pub pod: Option<(String, BTreeMap<String, String>)>,
    /// The pod's key, when it is a real pod (its named container ports count).
    pub key: Option<Key>,
}

/// Whether policies let `from` open a TCP connection to `to` on `port`.
pub fn allows(api: &ApiServer, from: &Peer, to: &Peer, port: i32) -> bool {
    permits(api, from, to, (port, "TCP"), "Egress") && permits(api, to, from, (port, "TCP"), "Ingress")
}

/// Whether a pod's egress policies let its DNS queries (UDP 53) reach CoreDNS, the
/// `k8s-app=kube-dns` pods of kube-system.
pub fn allows_dns(api: &ApiServer, from: &Peer) -> bool {
    let labels = BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]);
    let coredns = Peer { ip: crate::dns::DNS_SERVICE_IP.to_string(), pod: Some(("kube-system".to_string(), labels)), key: None };
    permits(api, from, &coredns, (53, "UDP"), "Egress")
}

/// Whether the policies isolating `subject` in `direction` let `other` through (`port` is
/// the destination port and its protocol).
fn permits(api: &ApiServer, subject: &Peer, other: &Peer, port: (i32, &str), direction: &str) -> bool {
    let Some((namespace, labels)) = &subject.pod else { return true };
    let policies: Vec<NetworkPolicy> = api
        .peek_list(info("NetworkPolicy"), Some(namespace))
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::NetworkPolicy(p) => Some(p.clone()),
            _ => None,
        })
        .filter(|p| selects(p.spec.as_ref().and_then(|s| s.pod_selector.as_ref()), labels) && applies(p, direction))
        .collect();
    if policies.is_empty() {
        return true;
    }
    let destination = if direction == "Ingress" { subject } else { other };
    policies.iter().any(|policy| {
        let Some(spec) = &policy.spec else { return false };
        let rules: Vec<Rule> = if direction == "Ingress" {
            spec.ingress.iter().flatten().map(|r| (r.from.as_ref(), r.ports.as_ref())).collect()
        } else {
            spec.egress.iter().flatten().map(|r| (r.to.as_ref(), r.ports.as_ref())).collect()
        };
        rules.into_iter().any(|(peers, ports)| ports_match(api, ports, destination, port) && peers_match(api, peers, other, namespace))
    })
}

/// An empty or absent selector selects every pod of the namespace.
fn selects(selector: Option<&LabelSelector>, labels: &BTreeMap<String, String>) -> bool {
    selector.is_none_or(|s| Selector::from_api(s).is_ok_and(|s| s.matches(Some(labels))))
}

/// `policyTypes`, or by default Ingress always and Egress when there are egress rules.
fn applies(policy: &NetworkPolicy, direction: &str) -> bool {
    let Some(spec) = &policy.spec else { return false };
    match &spec.policy_types {
        Some(types) => types.iter().any(|t| t == direction),
        None => direction == "Ingress" || spec.egress.is_some(),
    }
}

fn peers_match(api: &ApiServer, peers: Option<&Vec<NetworkPolicyPeer>>, other: &Peer, policy_namespace: &str) -> bool {
    let Some(peers) = peers.filter(|p| !p.is_empty()) else { return true };
    peers.iter().any(|peer| {
        if let Some(block) = &peer.ip_block {
            return in_block(block, &other.ip);
        }
        let Some((namespace, labels)) = &other.pod else { return false };
        let namespace_ok = match &peer.namespace_selector {
            Some(selector) => {
                let ns = api.peek(&Key::new("Namespace", "", namespace));
                let ns_labels = ns.as_ref().and_then(|o| o.metadata().labels.clone()).unwrap_or_default();
                selects(Some(selector), &ns_labels)
            }
            None => namespace == policy_namespace,
        };
        namespace_ok && selects(peer.pod_selector.as_ref(), labels)
    })
}

fn ports_match(api: &ApiServer, ports: Option<&Vec<NetworkPolicyPort>>, destination: &Peer, (port, protocol): (i32, &str)) -> bool {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else { return true };
    ports.iter().any(|p| {
        if p.protocol.as_deref().unwrap_or("TCP") != protocol {
            return false;
        }
        match &p.port {
            None => true,
            Some(IntOrString::Int(n)) => (*n..=p.end_port.unwrap_or(*n)).contains(&port),
            Some(IntOrString::String(name)) => named_port(api, destination, name) == Some(port),
        }
    })
}

/// The number of a destination pod's container port by name.
fn named_port(api: &ApiServer, pod: &Peer, name: &str) -> Option<i32> {
    let object = api.peek(pod.key.as_ref()?)?;
    let Object::Pod(pod) = object.as_ref() else { return None };
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name))
        .map(|p| p.container_port)
}

fn in_block(block: &IPBlock, ip: &str) -> bool {
    in_cidr(&block.cidr, ip) && !block.except.iter().flatten().any(|e| in_cidr(e, ip))
}

fn in_cidr(cidr: &str, ip: &str) -> bool {
    let parse = |s: &str| s.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
    let Some((net, bits)) = cidr.split_once('/') else { return false };
    let (Some(net), Some(ip), Ok(bits)) = (parse(net), parse(ip), bits.parse::<u32>()) else { return false };
    let mask = if bits == 0 { 0 } else { u32::MAX.checked_shl(32 - bits.min(32)).unwrap_or(0) };
    net & mask == ip & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(in_cidr("10.244.0.0/16", "10.244.3.7"));
        assert!(!in_cidr("10.244.1.0/24", "10.244.3.7"));
        assert!(in_cidr("0.0.0.0/0", "172.18.0.2"));
        assert!(!in_cidr("bogus", "172.18.0.2"));
    }
}
