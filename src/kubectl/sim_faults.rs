//! `sim` commands that break the cluster on purpose and mend it again (machines that stop,
//! lose their network or go away; control-plane components or kubelets that stop), and the
//! cluster autoscaler's node group (which adds and removes machines).
use super::Args;
use crate::cluster::{parse_component, NodeConfig};
use crate::Cluster;

/// What kubectl prints when nothing listens on the API server's address.
pub const CONNECTION_REFUSED: &str = "The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?";

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
        _ => return Err(format!("error: usage: sim {verb} apiserver|scheduler|controller-manager|kubelet NODE|kube-proxy NODE")),
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

/// `sim etcd snapshot save|restore NAME`.
pub fn etcd(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    match args.positional.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["snapshot", "save", name] => Ok(cluster.save_etcd_snapshot(name)),
        ["snapshot", "restore", name] => cluster.restore_etcd_snapshot(name),
        _ => Err("error: usage: sim etcd snapshot save|restore NAME".to_string()),
    }
}
