//! Service address allocation, as kube-apiserver does it in the Service registry
//! (`pkg/registry/core/service/ipallocator` and `portallocator`): a ClusterIP from the service
//! CIDR and a NodePort per port of NodePort and LoadBalancer Services, either the one asked
//! for (if free and in range) or a random free one. What is taken is read from the stored
//! Services, so a rejected request holds nothing.
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use k8s_openapi::api::core::v1::{Service, ServiceSpec};

use crate::api::validation::FieldError;
use crate::rng::Rng;

/// `--service-cluster-ip-range` of a kubeadm cluster.
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
const CIDR_BASE: u32 = u32::from_be_bytes([10, 96, 0, 0]);
const CIDR_SIZE: u32 = 1 << 20;
/// `--service-node-port-range`.
pub const NODE_PORTS: std::ops::RangeInclusive<i32> = 30000..=32767;

/// The first address of the range: the `kubernetes` Service's.
pub fn first_service_ip() -> String {
    Ipv4Addr::from(CIDR_BASE + 1).to_string()
}

/// What the other Services already hold.
#[derive(Default)]
pub struct Taken {
    ips: BTreeSet<u32>,
    ports: BTreeSet<i32>,
}

impl Taken {
    pub fn from_services<'a>(services: impl Iterator<Item = &'a Service>) -> Taken {
        let mut taken = Taken::default();
        for spec in services.filter_map(|s| s.spec.as_ref()) {
            if let Some(ip) = spec.cluster_ip.as_deref().and_then(|ip| ip.parse::<Ipv4Addr>().ok()) {
                taken.ips.insert(u32::from(ip));
            }
            taken.ports.extend(spec.ports.iter().flatten().filter_map(|p| p.node_port));
        }
        taken
    }
}

/// Gives a Service its ClusterIP, IP families and NodePorts. `current` is the stored Service on
/// an update: what it holds stays its own.
pub fn allocate(service: &mut Service, current: Option<&Service>, taken: &Taken, rng: &mut Rng) -> Vec<FieldError> {
    let Some(spec) = service.spec.as_mut() else { return vec![] };
    let type_ = spec.type_.clone().unwrap_or_default();
    if type_ == "ExternalName" {
        return vec![];
    }
    let current = current.and_then(|c| c.spec.as_ref());
    let current_ip = current.and_then(|c| c.cluster_ip.clone());
    if spec.cluster_ip.as_deref().is_none_or(str::is_empty) {
        spec.cluster_ip = current_ip.clone();
    }
    let mut errs = Vec::new();
    if let (Some(old), Some(new)) = (&current_ip, &spec.cluster_ip) {
        if old != new {
            // `ValidateServiceUpdate`: the primary ClusterIP is immutable once set.
            return vec![FieldError::immutable("spec.clusterIPs[0]", format!("{new:?}"))];
        }
    }
    match spec.cluster_ip.clone().as_deref() {
        Some("None") => {}
        Some(ip) if current.and_then(|c| c.cluster_ip.as_deref()) == Some(ip) => {}
        Some(ip) => {
            let problem = match ip.parse::<Ipv4Addr>().map(u32::from) {
                Ok(n) if !(CIDR_BASE + 1..CIDR_BASE + CIDR_SIZE - 1).contains(&n) => {
                    Some(format!("provided IP is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"))
                }
                Ok(n) if taken.ips.contains(&n) => Some("provided IP is already allocated".to_string()),
                Ok(_) => None,
                Err(_) => {
                    errs.push(FieldError::invalid(
                        "spec.clusterIPs[0]",
                        format!("{ip:?}"),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    ));
                    None
                }
            };
            if let Some(problem) = problem {
                errs.push(FieldError::invalid(
                    "spec.clusterIPs",
                    format!("[]string{{{ip:?}}}"),
                    &format!("failed to allocate IP {ip}: {problem}"),
                ));
            }
        }
        None => spec.cluster_ip = Some(random_ip(taken, rng)),
    }
    spec.cluster_ips = spec.cluster_ip.clone().map(|ip| vec![ip]);
    spec.ip_families.get_or_insert_with(|| vec!["IPv4".to_string()]);
    let headless_without_selector = spec.cluster_ip.as_deref() == Some("None") && spec.selector.as_ref().is_none_or(|s| s.is_empty());
    spec.ip_family_policy.get_or_insert_with(|| if headless_without_selector { "RequireDualStack" } else { "SingleStack" }.to_string());
    if matches!(type_.as_str(), "NodePort" | "LoadBalancer") {
        node_ports(spec, current, taken, rng, &mut errs);
    }
    errs
}

/// A random free address of the range's upper band (the lower one is kept for addresses asked
/// for, as `ServiceIPStaticSubrange` does: 256 addresses for a /12).
fn random_ip(taken: &Taken, rng: &mut Rng) -> String {
    const STATIC_BAND: u32 = 256;
    let size = CIDR_SIZE - STATIC_BAND - 1;
    let offset = rng.below(u64::from(size)) as u32;
    let free = (0..size).map(|i| CIDR_BASE + STATIC_BAND + (offset + i) % size).find(|ip| !taken.ips.contains(ip));
    Ipv4Addr::from(free.unwrap_or(CIDR_BASE)).to_string()
}

fn node_ports(spec: &mut ServiceSpec, current: Option<&ServiceSpec>, taken: &Taken, rng: &mut Rng, errs: &mut Vec<FieldError>) {
    let own: BTreeSet<i32> = current.into_iter().flat_map(|c| c.ports.iter().flatten()).filter_map(|p| p.node_port).collect();
    let mut used: BTreeSet<i32> = taken.ports.difference(&own).copied().collect();
    for (i, port) in spec.ports.iter_mut().flatten().enumerate() {
        // kubectl apply's merge keeps a port's node port across updates.
        let asked = port.node_port.filter(|p| *p != 0).or_else(|| kept(current, port.port, port.protocol.as_deref()));
        match asked {
            Some(asked) => {
                port.node_port = Some(asked);
                let problem = if !NODE_PORTS.contains(&asked) {
                    Some(format!(
                        "provided port is not in the valid range. The range of valid ports is {}-{}",
                        NODE_PORTS.start(),
                        NODE_PORTS.end()
                    ))
                } else if !used.insert(asked) {
                    Some("provided port is already allocated".to_string())
                } else {
                    None
                };
                if let Some(problem) = problem {
                    errs.push(FieldError::invalid(&format!("spec.ports[{i}].nodePort"), asked.to_string(), &problem));
                }
            }
            None => {
                let size = NODE_PORTS.end() - NODE_PORTS.start() + 1;
                let offset = rng.below(size as u64) as i32;
                let free = (0..size).map(|k| NODE_PORTS.start() + (offset + k) % size).find(|p| !used.contains(p));
                if let Some(p) = free {
                    used.insert(p);
                    port.node_port = Some(p);
                }
            }
        }
    }
}

/// The node port the stored Service gives the same port and protocol.
fn kept(current: Option<&ServiceSpec>, port: i32, protocol: Option<&str>) -> Option<i32> {
    let ports = current.and_then(|c| c.ports.as_ref())?;
    ports.iter().find(|p| p.port == port && p.protocol.as_deref() == protocol).and_then(|p| p.node_port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ServicePort;

    fn service(cluster_ip: Option<&str>, type_: &str, node_port: Option<i32>) -> Service {
        Service {
            spec: Some(ServiceSpec {
                type_: Some(type_.to_string()),
                cluster_ip: cluster_ip.map(str::to_string),
                ports: Some(vec![ServicePort { port: 80, node_port, ..Default::default() }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn addresses_asked_for_are_checked_and_others_drawn_at_random() {
        let mut rng = Rng::new(1);
        let kubernetes = service(Some("10.96.0.1"), "ClusterIP", None);
        let taken = Taken::from_services([&kubernetes].into_iter());
        let mut web = service(None, "NodePort", None);
        assert!(allocate(&mut web, None, &taken, &mut rng).is_empty());
        let spec = web.spec.as_ref().unwrap();
        let ip: Ipv4Addr = spec.cluster_ip.as_deref().unwrap().parse().unwrap();
        assert!((CIDR_BASE + 256..CIDR_BASE + CIDR_SIZE).contains(&u32::from(ip)));
        assert!(NODE_PORTS.contains(&spec.ports.as_ref().unwrap()[0].node_port.unwrap()));
        assert_eq!(spec.ip_family_policy.as_deref(), Some("SingleStack"));

        let errs = |mut s: Service| allocate(&mut s, None, &taken, &mut Rng::new(2)).iter().map(|e| e.to_string()).collect::<Vec<_>>();
        assert_eq!(
            errs(service(Some("10.96.0.1"), "ClusterIP", None)),
            ["spec.clusterIPs: Invalid value: []string{\"10.96.0.1\"}: failed to allocate IP 10.96.0.1: provided IP is already allocated"]
        );
        assert_eq!(
            errs(service(Some("10.0.0.5"), "ClusterIP", None)),
            ["spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}: failed to allocate IP 10.0.0.5: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12"]
        );
        assert_eq!(
            errs(service(None, "NodePort", Some(80))),
            ["spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767"]
        );
        let mut headless = service(Some("None"), "ClusterIP", None);
        assert!(allocate(&mut headless, None, &taken, &mut rng).is_empty());
        assert_eq!(headless.spec.unwrap().ip_family_policy.as_deref(), Some("RequireDualStack"));
    }
}
