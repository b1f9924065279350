//! `sim` commands about the scheduler. `sim explain pod NAME [-n NS] [-o json]`: its latest
//! decision for a pod, as a per-node table (filter verdict, each score plugin's normalized
//! score × weight, the total, the chosen node marked) or as JSON for tools and tests.
//! `sim scheduler config -f FILE|-`: a new KubeSchedulerConfiguration.
use serde_json::{json, Map, Value};

use super::table::Tabwriter;
use super::{get::to_json, Args, Input};
use crate::api::{info, Key};
use crate::apiserver::ApiError;
use crate::scheduler::Decision;
use crate::Cluster;

pub fn explain(cluster: &Cluster, args: &Args) -> Result<String, String> {
    let [_, name] = args.positional.as_slice() else {
        return Err("error: usage: sim explain pod NAME [-n NAMESPACE] [-o json]".to_string());
    };
    let key = Key::new("Pod", args.namespace(), name);
    if cluster.api().peek(&key).is_none() {
        return Err(ApiError::not_found(info("Pod"), name).render(None));
    }
    let Some(decision) = cluster.scheduler().decision(&key) else {
        return Ok(format!("pod {}/{name} has no scheduling decision: the scheduler has not tried it (yet)", key.namespace));
    };
    match args.output.as_deref() {
        Some("json") => Ok(to_json(&as_json(decision))),
        None => Ok(as_table(decision)),
        Some(other) => Err(format!("error: unable to match a printer suitable for the output format {other:?}, allowed formats are: json")),
    }
}

/// The JSON form: `{"pod", "node", "message", "nodes": {NAME: {"filter", "scores", "total"}}}`.
fn as_json(d: &Decision) -> Value {
    let mut nodes = Map::new();
    let mut feasible = 0;
    for v in &d.nodes {
        let node = match &v.rejection {
            Some(r) => json!({"filter": {"plugin": r.plugin, "reasons": r.reasons}, "scores": {}, "total": 0}),
            None => {
                let mut scores = Map::new();
                for ((plugin, weight), s) in d.plugins.iter().zip(d.scores_of(feasible)) {
                    let weighted = s.normalized.saturating_mul(*weight);
                    scores.insert(plugin.to_string(), json!({"raw": s.raw, "normalized": s.normalized, "weighted": weighted}));
                }
                feasible += 1;
                json!({"filter": "passed", "scores": scores, "total": v.total})
            }
        };
        nodes.insert(v.name.to_string(), node);
    }
    json!({
        "pod": format!("{}/{}", d.pod.namespace, d.pod.name),
        "node": d.node,
        "message": d.message,
        "nodes": nodes,
    })
}

/// The text form: a headline, then one row per node the scheduler looked at.
fn as_table(d: &Decision) -> String {
    let mut out = match &d.node {
        Some(node) => format!("Pod {}/{} was assigned to {node}.\n", d.pod.namespace, d.pod.name),
        None => format!("Pod {}/{} could not be scheduled: {}\n", d.pod.namespace, d.pod.name, d.message.as_deref().unwrap_or("")),
    };
    if let Some((node, victims)) = &d.preemption {
        let names: Vec<String> = victims.iter().map(|k| format!("{}/{}", k.namespace, k.name)).collect();
        out.push_str(&format!("Preemption nominated it to {node}, evicting {}.\n", names.join(", ")));
    }
    if let Some(r) = &d.pre_filter {
        out.push_str(&format!("PreFilter {} rejected the pod on every node: {}\n", r.plugin, r.reasons.join(", ")));
        return out;
    }
    let mut header = vec!["".to_string(), "NODE".to_string(), "FILTER".to_string()];
    header.extend(d.plugins.iter().map(|(p, w)| format!("{p}(×{w})")));
    header.push("TOTAL".to_string());
    let mut rows = vec![header];
    let mut feasible = 0;
    for v in &d.nodes {
        let chosen = if d.node.as_deref() == Some(&*v.name) { "*" } else { "" };
        let mut row = vec![chosen.to_string(), v.name.to_string()];
        match &v.rejection {
            Some(r) => row.push(format!("{}: {}", r.plugin, r.reasons.join(", "))),
            None => {
                row.push("passed".to_string());
                for ((_, w), s) in d.plugins.iter().zip(d.scores_of(feasible)) {
                    row.push(format!("{}×{w}={}", s.normalized, s.normalized.saturating_mul(*w)));
                }
                if !d.plugins.is_empty() {
                    row.push(v.total.to_string());
                }
                feasible += 1;
            }
        }
        rows.push(row);
    }
    // Every row as wide as the header, so a long rejection widens its column like the rest;
    // the trailing padding of rejected rows is trimmed.
    let width = if d.plugins.is_empty() { 3 } else { rows[0].len() };
    for row in &mut rows {
        row.resize(width, String::new());
    }
    let table = Tabwriter::default().render(&rows);
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `sim scheduler config -f FILE|-`: restarts the scheduler with a KubeSchedulerConfiguration.
/// An invalid one is refused with kube-scheduler's validation errors, and the scheduler keeps
/// the configuration it had.
pub fn config(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let [source] = args.filenames.as_slice() else { return Err("error: usage: sim scheduler config -f FILE|-".to_string()) };
    let (text, _) = input.read(source)?;
    let config = crate::scheduler::config::Config::parse(&text).map_err(|e| format!("error: invalid KubeSchedulerConfiguration: {e}"))?;
    let names: Vec<String> = config.profiles.iter().map(|p| p.scheduler_name.clone()).collect();
    cluster.configure_scheduler(config);
    Ok(format!("scheduler configured: profiles {}", names.join(", ")))
}
