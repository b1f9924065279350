//! `ValidateNetworkPolicy` (pkg/apis/networking/validation): selectors with known operators,
//! known policy types and protocols, ports in range, CIDRs that parse, one kind of peer.
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::FieldError;

pub fn validate(policy: &NetworkPolicy, errs: &mut Vec<FieldError>) {
    let Some(spec) = &policy.spec else { return };
    selector("spec.podSelector", spec.pod_selector.as_ref(), errs);
    for (i, t) in spec.policy_types.iter().flatten().enumerate() {
        if !matches!(t.as_str(), "Ingress" | "Egress") {
            errs.push(FieldError::unsupported(&format!("spec.policyTypes[{i}]"), t, &["Ingress", "Egress"]));
        }
    }
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        rule_parts(&format!("spec.ingress[{i}]"), "from", rule.from.as_ref(), rule.ports.as_ref(), errs);
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        rule_parts(&format!("spec.egress[{i}]"), "to", rule.to.as_ref(), rule.ports.as_ref(), errs);
    }
}

fn rule_parts(
    path: &str,
    peers_field: &str,
    peers: Option<&Vec<NetworkPolicyPeer>>,
    ports: Option<&Vec<NetworkPolicyPort>>,
    errs: &mut Vec<FieldError>,
) {
    for (i, p) in ports.into_iter().flatten().enumerate() {
        port(&format!("{path}.ports[{i}]"), p, errs);
    }
    for (i, peer) in peers.into_iter().flatten().enumerate() {
        let path = format!("{path}.{peers_field}[{i}]");
        let selectors = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
        match (&peer.ip_block, selectors) {
            (Some(_), true) => errs.push(FieldError::forbidden(&path, "may not specify more than 1 peer type")),
            (None, false) => errs.push(FieldError::required(&path, "must specify a peer")),
            _ => {}
        }
        selector(&format!("{path}.podSelector"), peer.pod_selector.as_ref(), errs);
        selector(&format!("{path}.namespaceSelector"), peer.namespace_selector.as_ref(), errs);
        if let Some(block) = &peer.ip_block {
            for (field, cidr) in std::iter::once(("cidr".to_string(), &block.cidr))
                .chain(block.except.iter().flatten().enumerate().map(|(j, e)| (format!("except[{j}]"), e)))
            {
                if !valid_cidr(cidr) {
                    errs.push(FieldError::invalid(
                        &format!("{path}.ipBlock.{field}"),
                        format!("{cidr:?}"),
                        "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                    ));
                }
            }
        }
    }
}

fn port(path: &str, p: &NetworkPolicyPort, errs: &mut Vec<FieldError>) {
    if let Some(proto) = p.protocol.as_deref().filter(|p| !matches!(*p, "TCP" | "UDP" | "SCTP")) {
        errs.push(FieldError::unsupported(&format!("{path}.protocol"), proto, &["SCTP", "TCP", "UDP"]));
    }
    match &p.port {
        Some(IntOrString::Int(n)) if !(1..=65535).contains(n) => {
            errs.push(FieldError::invalid(&format!("{path}.port"), n.to_string(), "must be between 1 and 65535, inclusive"));
        }
        Some(IntOrString::Int(n)) => {
            if let Some(end) = p.end_port.filter(|end| end < n) {
                errs.push(FieldError::invalid(&format!("{path}.endPort"), end.to_string(), "must be greater than or equal to `port`"));
            }
        }
        Some(IntOrString::String(_)) if p.end_port.is_some() => {
            errs.push(FieldError::invalid(
                &format!("{path}.endPort"),
                p.end_port.unwrap_or(0).to_string(),
                "may not be specified when `port` is non-numeric",
            ));
        }
        None if p.end_port.is_some() => {
            errs.push(FieldError::invalid(
                &format!("{path}.endPort"),
                p.end_port.unwrap_or(0).to_string(),
                "may not be specified when `port` is not specified",
            ));
        }
        _ => {}
    }
}

fn selector(path: &str, selector: Option<&LabelSelector>, errs: &mut Vec<FieldError>) {
    for (i, e) in selector.iter().flat_map(|s| s.match_expressions.iter().flatten()).enumerate() {
        if !matches!(e.operator.as_str(), "In" | "NotIn" | "Exists" | "DoesNotExist") {
            errs.push(FieldError::invalid(
                &format!("{path}.matchExpressions[{i}].operator"),
                format!("{:?}", e.operator),
                "not a valid selector operator",
            ));
        }
    }
}

fn valid_cidr(cidr: &str) -> bool {
    let Some((ip, bits)) = cidr.split_once('/') else { return false };
    match (ip.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(b)) => b <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(b)) => b <= 128,
        _ => false,
    }
}
