//! `sim` commands that break the cluster on purpose and mend it again (machines that stop,
//! lose their network or go away; control-plane components or kubelets that stop), and the
//! cluster autoscaler's node group (which adds and removes machines).
use super::Args;
use crate::cluster::{parse_component, InstanceState, NodeConfig};
use crate::Cluster;

/// What kubectl prints when nothing listens on the API server's address.
pub const CONNECTION_REFUSED: &str = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?";

/// Why kubectl gets no answer now, as it prints it: no API server behind the load balancer,
/// or etcd without a leader. The API server reads from etcd with quorum reads (and a
/// consistent list from its watch cache still asks etcd for the current revision), so reads
/// fail as writes do.
pub fn unreachable(cluster: &Cluster) -> Option<String> {
    if cluster.api_server_down() {
        return Some(CONNECTION_REFUSED.to_string());
    }
    cluster.api().etcd_unavailable().map(|e| e.render(None))
}

/// `sim node stop|start|partition|delete NAME`.
pub fn node(cluster: &mut Cluster, verb: &str, args: &Args) -> Result<String, String> {
    let [_, name] = args.positional.as_slice() else {
        return Err(format!("error: usage: sim node {verb} NAME"));
    };
    match verb {
        "stop" => cluster.stop_node(name),
        "start" => cluster.start_node(name),
        "partition" => cluster.partition_node(name),
        _ if cluster.api_server_down() => Err(CONNECTION_REFUSED.to_string()),
        _ => cluster.delete_node(name),
    }
}

/// `sim stop|start COMPONENT [NODE]`.
pub fn component(cluster: &mut Cluster, verb: &str, args: &Args) -> Result<String, String> {
    let (name, node) = match args.positional.as_slice() {
        [name] => (name.as_str(), None),
        [name, node] => (name.as_str(), Some(node.as_str())),
        _ => {
            return Err(format!(
                "error: usage: sim {verb} apiserver|scheduler|controller-manager [NODE] | etcd-N | kubelet NODE | kube-proxy NODE"
            ))
        }
    };
    let who = parse_component(name, node)?;
    if verb == "stop" {
        cluster.stop_component(who)
    } else {
        cluster.start_component(who)
    }
}

/// `sim autoscaler nodes --min N --max M [--cpu N] [--memory QTY]`.
pub fn autoscaler(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let usage = "error: usage: sim autoscaler nodes --min N --max M [--cpu N] [--memory QTY]";
    if args.positional.as_slice() != ["nodes"] {
        return Err(usage.to_string());
    }
    let count = |flag: &str| -> Result<usize, String> {
        let value = args.value(flag).ok_or(usage)?;
        value.parse().map_err(|_| format!("error: invalid argument {value:?} for \"--{flag}\" flag: expected a whole number"))
    };
    let (min, max) = (count("min")?, count("max")?);
    let mut template = NodeConfig::worker("");
    if let Some(cpu) = args.value("cpu") {
        super::sim::check_quantity("cpu", cpu)?;
        template.cpu = cpu.to_string();
    }
    if let Some(memory) = args.value("memory") {
        super::sim::check_quantity("memory", memory)?;
        template.memory = memory.to_string();
    }
    cluster.enable_autoscaler(min, max, template)
}

/// `sim etcd members` (or `status`, `member list`) and `sim etcd snapshot save|restore NAME`.
pub fn etcd(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    match args.positional.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["members" | "status"] | ["member", "list"] => Ok(etcd_members(cluster)),
        ["snapshot", "save", name] => cluster.save_etcd_snapshot(name),
        ["snapshot", "restore", name] => cluster.restore_etcd_snapshot(name),
        _ => Err("error: usage: sim etcd members | sim etcd snapshot save|restore NAME".to_string()),
    }
}

/// etcd's members in etcdctl's table style (`etcdctl member list -w table` with the leader and
/// term columns of `endpoint status`): cells right-aligned, headers centred.
fn etcd_members(cluster: &Cluster) -> String {
    let raft = cluster.api().etcd_members();
    let leader = raft.leader().map(|l| l.name.clone());
    let header = ["ID", "STATUS", "NAME", "CLIENT ADDRS", "IS LEADER", "RAFT TERM"].map(String::from).to_vec();
    let rows: Vec<Vec<String>> = raft
        .members()
        .iter()
        .map(|m| {
            let address = cluster.node_ip(&m.node).map(|ip| format!("https://{ip}:2379")).unwrap_or_default();
            let status = if m.running { "started" } else { "stopped" };
            let is_leader = leader.as_deref() == Some(m.name.as_str());
            vec![format!("{:x}", m.id), status.to_string(), m.name.clone(), address, is_leader.to_string(), m.term.to_string()]
        })
        .collect();
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| rows.iter().filter_map(|r| r.get(i)).map(String::len).chain([h.len()]).max().unwrap_or(0))
        .collect();
    let rule = format!("+{}+", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    let centred = |text: &str, width: usize| {
        let spare = width.saturating_sub(text.len());
        format!(" {}{text}{} ", " ".repeat(spare / 2), " ".repeat(spare - spare / 2))
    };
    let line = |cells: Vec<String>| format!("|{}|", cells.join("|"));
    let mut out = vec![rule.clone(), line(header.iter().zip(&widths).map(|(h, w)| centred(h, *w)).collect()), rule.clone()];
    for row in &rows {
        out.push(line(row.iter().zip(&widths).map(|(c, w)| format!(" {c:>w$} ")).collect()));
    }
    out.push(rule);
    out.join("\n")
}

/// `sim control-plane [--replicas 1|3|5]`: scales the control plane, or shows it.
pub fn control_plane(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    if !args.positional.is_empty() {
        return Err("error: usage: sim control-plane [--replicas 1|3|5]".to_string());
    }
    if let Some(value) = args.value("replicas") {
        let replicas =
            value.parse().map_err(|_| format!("error: invalid argument {value:?} for \"--replicas\" flag: expected 1, 3 or 5"))?;
        return cluster.scale_control_plane(replicas);
    }
    let mut rows = vec![["NODE", "KUBE-APISERVER", "ETCD", "KUBE-SCHEDULER", "KUBE-CONTROLLER-MANAGER"].map(String::from).to_vec()];
    let state = |s: InstanceState| s.to_string();
    for member in cluster.control_plane() {
        let etcd = format!("{} {}", member.etcd.0, state(member.etcd.1));
        rows.push(vec![member.node, state(member.api_server), etcd, state(member.scheduler), state(member.controller_manager)]);
    }
    Ok(super::table::Tabwriter::default().render(&rows))
}
