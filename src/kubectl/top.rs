//! `kubectl top pod|node`: resource use as metrics-server reports it. metrics-server scrapes
//! every kubelet every 15 s (`--metric-resolution=15s` in its release manifests) and needs two
//! scrapes of a container to compute its CPU rate, so a new pod has no metrics for 15-30 s.
//! Columns and cells as `metricsutil.TopCmdPrinter` prints them (every cell ends in a tab, so
//! the last column is padded too).
use std::collections::BTreeMap;

use super::{parse_args, Args};
use crate::api::labels::Selector;
use crate::api::quantity::parse_milli;
use crate::api::{info, Key, Object};
use crate::apiserver::{virtual_ms, Component};
use crate::kubelet::PodUsage;
use crate::Cluster;

/// metrics-server's scrape interval.
const RESOLUTION_MS: u64 = 15_000;

pub fn top(cluster: &mut Cluster, words: &[String]) -> Result<String, String> {
    // `--containers` is a switch here but takes a value in `set resources`: spell it as one.
    let words: Vec<String> = words.iter().map(|w| if w == "--containers" { "--containers=true".to_string() } else { w.clone() }).collect();
    let args = parse_args(&words)?;
    let usage = |what: &str| format!("error: {what} [NAME | -l label]\nSee 'kubectl top {what} -h' for help and examples");
    match (args.positional.first().map(String::as_str), args.positional.len()) {
        (Some("pod" | "pods" | "po"), 3..) => Err(usage("pod")),
        (Some("node" | "nodes" | "no"), 3..) => Err(usage("node")),
        (Some("pod" | "pods" | "po"), _) => pods(cluster, &args),
        (Some("node" | "nodes" | "no"), _) => nodes(cluster, &args),
        (Some(other), _) => Err(format!("error: unknown command {other:?}\nSee 'kubectl top -h' for help and examples")),
        (None, _) => Ok(HELP.to_string()),
    }
}

const HELP: &str = "Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use \"kubectl top <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

/// The last scrape at or before `now`: a container has metrics once it ran through one full
/// interval before it.
fn has_metrics(started_ms: u64, now: u64) -> bool {
    started_ms.saturating_add(RESOLUTION_MS) <= now / RESOLUTION_MS * RESOLUTION_MS
}

fn pods(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let now = cluster.now_ms();
    let namespace = args.namespace().to_string();
    let name = args.positional.get(1);
    let selector = match &args.selector {
        Some(s) => Selector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => Selector::default(),
    };
    let ns_filter = (!args.all_namespaces).then_some(namespace.as_str());
    let listed = cluster.request(Component::Kubectl, |c| c.list(info("Pod"), ns_filter));
    let labels: BTreeMap<Key, _> = listed.iter().map(|o| (Key::of(o), o.clone())).collect();
    let mut metrics: Vec<PodUsage> = cluster
        .resource_usage()
        .into_iter()
        .flat_map(|(_, pods)| pods)
        .filter(|p| labels.get(&p.pod).is_some_and(|o| selector.matches(o.metadata().labels.as_ref())))
        .filter(|p| name.is_none_or(|n| *n == p.pod.name))
        .map(|mut p| {
            p.containers.retain(|c| has_metrics(c.started_ms, now));
            p
        })
        .filter(|p| !p.containers.is_empty())
        .collect();
    metrics.sort_by(|a, b| (&a.pod.namespace, &a.pod.name).cmp(&(&b.pod.namespace, &b.pod.name)));
    if metrics.is_empty() {
        if let Some(name) = name {
            return Err(format!("Error from server (NotFound): podmetrics.metrics.k8s.io \"{namespace}/{name}\" not found"));
        }
        // kubectl's verifyEmptyMetrics: pods younger than 2 minutes are "not available yet".
        let candidates: Vec<_> = labels.values().filter(|o| selector.matches(o.metadata().labels.as_ref())).collect();
        for o in &candidates {
            let age = now.saturating_sub(o.metadata().creation_timestamp.as_ref().map_or(0, virtual_ms));
            if age > 120_000 {
                let meta = o.metadata();
                return Err(format!(
                    "error: Metrics not available for pod {}/{}, age: {}",
                    meta.namespace.as_deref().unwrap_or(""),
                    meta.name.as_deref().unwrap_or(""),
                    crate::kubelet::pod_workers::go_duration(age)
                ));
            }
        }
        if !candidates.is_empty() {
            return Err("error: metrics not available yet".to_string());
        }
        return Ok(if args.all_namespaces {
            "No resources found".to_string()
        } else {
            format!("No resources found in {namespace} namespace.")
        });
    }
    let containers = args.value("containers").is_some_and(|v| v != "false");
    let mut header = Vec::new();
    if args.all_namespaces {
        header.push("NAMESPACE".to_string());
    }
    if containers {
        header.push("POD".to_string());
    }
    header.extend(["NAME", "CPU(cores)", "MEMORY(bytes)"].map(String::from));
    let mut rows = vec![header];
    for p in &metrics {
        let mut prefix = Vec::new();
        if args.all_namespaces {
            prefix.push(p.pod.namespace.clone());
        }
        if containers {
            let mut list = p.containers.clone();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            for c in list {
                let mut row = prefix.clone();
                row.extend([p.pod.name.clone(), c.name.clone(), cpu(c.cpu_milli), memory(c.memory)]);
                rows.push(row);
            }
        } else {
            let cpu_total = p.containers.iter().map(|c| c.cpu_milli).sum();
            let memory_total = p.containers.iter().map(|c| c.memory).sum();
            prefix.extend([p.pod.name.clone(), cpu(cpu_total), memory(memory_total)]);
            rows.push(prefix);
        }
    }
    Ok(render(&rows))
}

fn nodes(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let now = cluster.now_ms();
    let name = args.positional.get(1);
    let selector = match &args.selector {
        Some(s) => Selector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => Selector::default(),
    };
    let nodes = cluster.request(Component::Kubectl, |c| c.list(info("Node"), None));
    let usage: BTreeMap<String, Vec<PodUsage>> = cluster.resource_usage().into_iter().collect();
    let mut rows = vec![["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"].map(String::from).to_vec()];
    for o in &nodes {
        let Object::Node(node) = &**o else { continue };
        let node_name = node.metadata.name.clone().unwrap_or_default();
        let registered = node.metadata.creation_timestamp.as_ref().map_or(0, virtual_ms);
        if name.is_some_and(|n| *n != node_name) || !selector.matches(node.metadata.labels.as_ref()) || !has_metrics(registered, now) {
            continue;
        }
        let control_plane = node.metadata.labels.as_ref().is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane"));
        let (mut cpu_used, mut memory_used) = crate::kubelet::system_usage(control_plane);
        for c in usage.get(&node_name).into_iter().flatten().flat_map(|p| &p.containers) {
            cpu_used = cpu_used.saturating_add(c.cpu_milli);
            memory_used = memory_used.saturating_add(c.memory);
        }
        let allocatable = |r: &str| {
            let q = node.status.as_ref().and_then(|s| s.allocatable.as_ref()).and_then(|a| a.get(r));
            q.and_then(|q| parse_milli(&q.0).ok()).unwrap_or(0).max(0) as u128
        };
        let percent = |used: u64, capacity: u128| format!("{}%", (u128::from(used) * 100).checked_div(capacity).unwrap_or(0));
        rows.push(vec![
            node_name,
            cpu(cpu_used),
            percent(cpu_used, allocatable("cpu")),
            memory(memory_used),
            percent(memory_used, allocatable("memory") / 1000),
        ]);
    }
    if rows.len() == 1 {
        return Err(match name {
            Some(n) if nodes.iter().all(|o| o.metadata().name.as_deref() != Some(n)) => {
                format!("Error from server (NotFound): nodemetrics.metrics.k8s.io {n:?} not found")
            }
            _ => "error: metrics not available yet".to_string(),
        });
    }
    Ok(render(&rows))
}

fn cpu(milli: u64) -> String {
    format!("{milli}m")
}

fn memory(bytes: u64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

/// A tabwriter table whose every cell, the last included, is padded (TopCmdPrinter ends each
/// cell with a tab).
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        for (cell, width) in row.iter().zip(&widths) {
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', width + 3 - cell.chars().count()));
        }
        out.push('\n');
    }
    out
}
