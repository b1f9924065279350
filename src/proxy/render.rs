//! The rules as `iptables-save` prints them after kube-proxy's `iptables-restore`: the filter
//! table's rejections, then the nat table's service, endpoint and node-port chains, with
//! arguments in the order iptables-save normalises them to.
use super::{probability, ServicePortRules, CLUSTER_CIDR};

/// One table being written: its chains (declared sorted, as iptables-save lists them) and rules.
#[derive(Default)]
struct Table {
    chains: std::collections::BTreeSet<String>,
    rules: Vec<String>,
}

impl Table {
    fn rule(&mut self, chain: &str, args: String) {
        self.chains.insert(chain.to_string());
        self.rules.push(format!("-A {chain} {args}"));
    }
    fn write(&self, name: &str, out: &mut String) {
        out.push_str(&format!("*{name}\n"));
        for chain in &self.chains {
            out.push_str(&format!(":{chain} - [0:0]\n"));
        }
        for rule in &self.rules {
            out.push_str(rule);
            out.push('\n');
        }
        out.push_str("COMMIT\n");
    }
}

/// A `-m comment --comment` argument, quoted when it has spaces, as iptables-save quotes it.
fn comment(text: &str) -> String {
    if text.contains(' ') {
        format!("-m comment --comment \"{text}\"")
    } else {
        format!("-m comment --comment {text}")
    }
}

pub fn iptables_save(rules: &[ServicePortRules], node: &str) -> String {
    let mut filter = Table::default();
    let mut nat = Table::default();
    for chain in ["KUBE-EXTERNAL-SERVICES", "KUBE-SERVICES"] {
        filter.chains.insert(chain.to_string());
    }
    for chain in ["KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"] {
        nat.chains.insert(chain.to_string());
    }
    let mut node_ports = Vec::new();
    for r in rules {
        let p = &r.protocol;
        let has_local = r.local_endpoints(node).next().is_some();
        if r.endpoints.is_empty() {
            if let Some(ip) = &r.cluster_ip {
                let text = comment(&format!("{} has no endpoints", r.name));
                filter.rule(
                    "KUBE-SERVICES",
                    format!("-d {ip}/32 -p {p} {text} -m {p} --dport {} -j REJECT --reject-with icmp-port-unreachable", r.port),
                );
            }
            for ip in &r.external_ips {
                let text = comment(&format!("{} has no endpoints", r.name));
                filter.rule(
                    "KUBE-EXTERNAL-SERVICES",
                    format!("-d {ip}/32 -p {p} {text} -m {p} --dport {} -j REJECT --reject-with icmp-port-unreachable", r.port),
                );
            }
            if let Some(node_port) = r.node_port {
                let text = comment(&format!("{} has no endpoints", r.name));
                filter.rule(
                    "KUBE-EXTERNAL-SERVICES",
                    format!("-p {p} {text} -m addrtype --dst-type LOCAL -m {p} --dport {node_port} -j REJECT --reject-with icmp-port-unreachable"),
                );
            }
            continue;
        }
        if r.external_local && !has_local && r.has_external() {
            let text = comment(&format!("{} has no local endpoints", r.name));
            for ip in &r.external_ips {
                filter.rule("KUBE-EXTERNAL-SERVICES", format!("-d {ip}/32 -p {p} {text} -m {p} --dport {} -j DROP", r.port));
            }
            if let Some(node_port) = r.node_port {
                filter.rule(
                    "KUBE-EXTERNAL-SERVICES",
                    format!("-p {p} {text} -m addrtype --dst-type LOCAL -m {p} --dport {node_port} -j DROP"),
                );
            }
        }
        let svc = r.svc_chain();
        let svl = r.local_chain();
        let ext = r.external_chain();
        let internal_chain = if r.internal_local { &svl } else { &svc };
        if let Some(ip) = &r.cluster_ip {
            let text = comment(&format!("{} cluster IP", r.name));
            nat.rule("KUBE-SERVICES", format!("-d {ip}/32 -p {p} {text} -m {p} --dport {} -j {internal_chain}", r.port));
            nat.rule(&svc, format!("! -s {CLUSTER_CIDR} -d {ip}/32 -p {p} {text} -m {p} --dport {} -j KUBE-MARK-MASQ", r.port));
        }
        for ip in &r.external_ips {
            let text = comment(&format!("{} loadbalancer IP", r.name));
            nat.rule("KUBE-SERVICES", format!("-d {ip}/32 -p {p} {text} -m {p} --dport {} -j {ext}", r.port));
        }
        if let Some(node_port) = r.node_port {
            node_ports.push(format!("-p {p} {} -m {p} --dport {node_port} -j {ext}", comment(&r.name)));
        }
        if r.has_external() {
            if r.external_local {
                let name = &r.name;
                nat.rule(&ext, format!("-s {CLUSTER_CIDR} {} -j {svc}", comment(&format!("pod traffic for {name} external destinations"))));
                nat.rule(
                    &ext,
                    format!(
                        "{} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
                        comment(&format!("masquerade LOCAL traffic for {name} external destinations"))
                    ),
                );
                nat.rule(
                    &ext,
                    format!(
                        "{} -m addrtype --src-type LOCAL -j {svc}",
                        comment(&format!("route LOCAL traffic for {name} external destinations"))
                    ),
                );
                nat.rule(&ext, format!("-j {svl}"));
            } else {
                nat.rule(
                    &ext,
                    format!("{} -j KUBE-MARK-MASQ", comment(&format!("masquerade traffic for {} external destinations", r.name))),
                );
                nat.rule(&ext, format!("-j {svc}"));
            }
        }
        endpoint_rules(&mut nat, r, &svc, &r.endpoints.iter().collect::<Vec<_>>());
        if r.internal_local || r.external_local {
            endpoint_rules(&mut nat, r, &svl, &r.local_endpoints(node).collect::<Vec<_>>());
        }
        for e in &r.endpoints {
            let sep = &e.chain;
            let text = comment(&r.name);
            nat.rule(sep, format!("-s {}/32 {text} -j KUBE-MARK-MASQ", e.ip));
            let recent = if r.affinity_seconds.is_some() {
                format!(" -m recent --set --name {sep} --mask 255.255.255.255 --rsource")
            } else {
                String::new()
            };
            nat.rule(sep, format!("-p {p} {text}{recent} -m {p} -j DNAT --to-destination {}", e.address()));
        }
    }
    for rule in node_ports {
        nat.rule("KUBE-NODEPORTS", rule);
    }
    nat.rule(
        "KUBE-SERVICES",
        format!(
            "{} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS",
            comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")
        ),
    );
    nat.rule("KUBE-MARK-MASQ", "-j MARK --set-xmark 0x4000/0x4000".to_string());
    nat.rule("KUBE-POSTROUTING", "-m mark ! --mark 0x4000/0x4000 -j RETURN".to_string());
    nat.rule("KUBE-POSTROUTING", "-j MARK --set-xmark 0x4000/0x0".to_string());
    nat.rule("KUBE-POSTROUTING", format!("{} -j MASQUERADE --random-fully", comment("kubernetes service traffic requiring SNAT")));
    let mut out = String::new();
    filter.write("filter", &mut out);
    nat.write("nat", &mut out);
    out
}

/// `writeServiceToEndpointRules`: the affinity checks, then rule i of n jumping to its
/// endpoint with probability 1/(n−i) (`%0.10f`), the last one unconditionally.
fn endpoint_rules(nat: &mut Table, r: &ServicePortRules, chain: &str, endpoints: &[&super::EndpointRule]) {
    if let Some(seconds) = r.affinity_seconds {
        for e in endpoints {
            let text = comment(&format!("{} -> {}", r.name, e.address()));
            let sep = &e.chain;
            nat.rule(
                chain,
                format!("{text} -m recent --rcheck --seconds {seconds} --reap --name {sep} --mask 255.255.255.255 --rsource -j {sep}"),
            );
        }
    }
    let n = endpoints.len();
    for (i, e) in endpoints.iter().enumerate() {
        let text = comment(&format!("{} -> {}", r.name, e.address()));
        let statistic =
            if i + 1 < n { format!(" -m statistic --mode random --probability {:.10}", probability(n - i)) } else { String::new() };
        nat.rule(chain, format!("{text}{statistic} -j {}", e.chain));
    }
}
