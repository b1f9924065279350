//! Tab completion for the console: commands, then kinds, then object names, as a shell's
//! completion for kubectl offers them.

use crate::api::{resolve_resource, KindInfo};

const KUBECTL: &[&str] = &[
    "annotate",
    "api-resources",
    "api-versions",
    "apply",
    "create",
    "delete",
    "describe",
    "diff",
    "edit",
    "events",
    "explain",
    "expose",
    "get",
    "label",
    "logs",
    "rollout",
    "run",
    "scale",
    "set",
    "top",
    "version",
    "wait",
];
const SIM: &[&str] = &["node", "wait"];
/// The kinds offered after a verb that takes one (plural names, as `kubectl get` lists them).
const KINDS: &[&str] = &[
    "configmaps",
    "cronjobs",
    "daemonsets",
    "deployments",
    "endpoints",
    "events",
    "jobs",
    "leases",
    "namespaces",
    "nodes",
    "persistentvolumeclaims",
    "pods",
    "replicasets",
    "secrets",
    "services",
    "statefulsets",
];
/// Verbs whose next word is a kind, then names of that kind.
const TAKES_KIND: &[&str] = &["annotate", "delete", "describe", "edit", "get", "label", "scale", "expose"];

/// The line with its last word completed as far as the candidates agree, and the candidates.
pub fn complete(line: &str, names: &dyn Fn(&KindInfo) -> Vec<String>) -> (String, Vec<String>) {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (done, partial): (&[&str], &str) = if line.ends_with(' ') || words.is_empty() {
        (&words, "")
    } else {
        match words.split_last() {
            Some((last, rest)) => (rest, last),
            None => (&[], ""),
        }
    };
    let options: Vec<String> = match done {
        [] => vec!["kubectl".into(), "sim".into()],
        ["kubectl" | "k"] => KUBECTL.iter().map(|s| s.to_string()).collect(),
        ["sim"] => SIM.iter().map(|s| s.to_string()).collect(),
        ["kubectl" | "k", "logs", ..] => resolve_resource("pods").map(names).unwrap_or_default(),
        ["kubectl" | "k", verb, ..] if TAKES_KIND.contains(verb) => {
            let args: Vec<&&str> = done.iter().skip(2).filter(|w| !w.starts_with('-')).collect();
            match args.first() {
                None => KINDS.iter().map(|s| s.to_string()).collect(),
                Some(kind) => resolve_resource(kind).map(names).unwrap_or_default(),
            }
        }
        _ => Vec::new(),
    };
    let matching: Vec<String> = options.into_iter().filter(|o| o.starts_with(partial)).collect();
    let Some(first) = matching.first() else { return (line.to_string(), Vec::new()) };
    let common =
        matching.iter().fold(first.clone(), |acc, m| acc.chars().zip(m.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect());
    let head = line.strip_suffix(partial).unwrap_or(line);
    let mut completed = format!("{head}{common}");
    if matching.len() == 1 {
        completed.push(' ');
    }
    let candidates = if matching.len() > 1 { matching } else { Vec::new() };
    (completed, candidates)
}
