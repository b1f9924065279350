//! `kubectl cordon`, `uncordon` and `drain` (`staging/src/k8s.io/kubectl/pkg/cmd/drain` and
//! `pkg/drain`): cordon sets spec.unschedulable; drain cordons, filters the node's pods
//! (DaemonSet-managed, local storage, unreplicated), evicts the rest through the Eviction API
//! (retrying every 5 s while a PodDisruptionBudget refuses), and waits until they are gone.
use std::fmt::Write;

use super::Args;
use crate::api::{controller_of, info, Key, Object, ObjectRef};
use crate::apiserver::{ApiError, Reason};
use crate::cluster::Component;
use crate::Cluster;

/// kubectl polls for a pod's deletion every second and retries a refused eviction every 5 s.
const POLL_MS: u64 = 1_000;
const RETRY_MS: u64 = 5_000;
/// A drain without --timeout would wait forever on a budget that never allows; the simulation
/// gives up after an hour of virtual time instead of wedging.
const LONGEST_DRAIN_MS: u64 = 3_600_000;

/// `kubectl cordon NODE` / `kubectl uncordon NODE`.
pub fn cordon(cluster: &mut Cluster, args: &Args, unschedulable: bool) -> Result<String, String> {
    let verb = if unschedulable { "cordon" } else { "uncordon" };
    let [node] = args.positional.as_slice() else {
        return Err(format!("error: USAGE: {verb} NODE [flags]\nSee 'kubectl {verb} -h' for help and examples"));
    };
    set_unschedulable(cluster, node, unschedulable)
}

fn set_unschedulable(cluster: &mut Cluster, node: &str, unschedulable: bool) -> Result<String, String> {
    let verb = if unschedulable { "cordoned" } else { "uncordoned" };
    let key = Key::new("Node", "", node);
    let current = cluster.request(Component::Kubectl, |c| c.get(&key)).map_err(|e| e.render(None))?;
    let Object::Node(n) = &*current else { return Err(ApiError::missing(&key).render(None)) };
    if n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) == unschedulable {
        return Ok(format!("node/{node} already {verb}"));
    }
    cluster
        .request(Component::Kubectl, |c| {
            c.patch(&key, "patch", |o| {
                if let Object::Node(n) = o {
                    n.spec.get_or_insert_with(Default::default).unschedulable = Some(unschedulable).filter(|u| *u);
                }
            })
        })
        .map_err(|e| e.render(None))?;
    Ok(format!("node/{node} {verb}"))
}

/// What drain's filters decided about the node's pods.
#[derive(Default)]
struct Plan {
    evict: Vec<Key>,
    /// (message, pods) in the filters' order, as `podDeleteList.errors()`/`warnings()` group them.
    errors: Vec<(&'static str, Vec<String>)>,
    warnings: Vec<(&'static str, Vec<String>)>,
}

impl Plan {
    fn note(list: &mut Vec<(&'static str, Vec<String>)>, message: &'static str, pod: &Key) {
        let name = format!("{}/{}", pod.namespace, pod.name);
        match list.iter_mut().find(|(m, _)| *m == message) {
            Some((_, pods)) => pods.push(name),
            None => list.push((message, vec![name])),
        }
    }
}

/// `kubectl drain NODE`.
pub fn drain(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let [node] = args.positional.as_slice() else {
        return Err("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples".to_string());
    };
    let timeout = Some(super::wait::timeout(args, 0)?).filter(|t| *t > 0);
    let grace = args.int("grace-period")?.filter(|g| *g >= 0).map(i64::from);
    let mut out = set_unschedulable(cluster, node, true)?;
    out.push('\n');
    let pods = cluster.request(Component::Kubectl, |c| c.list(info("Pod"), None));
    let plan = filter(&pods, node, args);
    if !plan.errors.is_empty() {
        let errors: Vec<String> = plan.errors.iter().map(|(m, pods)| format!("{m}: {}", pods.join(", "))).collect();
        let joined = if errors.len() == 1 { errors.join("") } else { format!("[{}]", errors.join(", ")) };
        let _ = writeln!(out, "error: unable to drain node {node:?} due to error: {joined}, continuing command...");
        let _ = write!(out, "There are pending nodes to be drained:\n {node}\n{}", errors.join("\n"));
        return Err(out);
    }
    if !plan.warnings.is_empty() {
        let warnings: Vec<String> = plan.warnings.iter().map(|(m, pods)| format!("{m}: {}", pods.join(", "))).collect();
        let _ = writeln!(out, "Warning: {}", warnings.join("; "));
    }
    match evict_all(cluster, &plan.evict, grace, timeout, &mut out) {
        Ok(()) => {
            let _ = write!(out, "node/{node} drained");
            Ok(out)
        }
        Err(e) => {
            let _ = write!(out, "error: unable to drain node {node:?} due to error: {e}, continuing command...\nThere are pending nodes to be drained:\n {node}\n{e}");
            Err(out)
        }
    }
}

/// What one filter decided about a pod (`PodDeleteStatus`).
enum Status {
    Okay,
    Skip,
    /// Deleted, with a warning.
    Warning(&'static str),
    /// Not deleted, with a warning (DaemonSet-managed pods with --ignore-daemonsets).
    Keep(&'static str),
    Error(&'static str),
}

/// drain's filters, in upstream's order: DaemonSet-managed pods are never deleted (an error
/// without --ignore-daemonsets), mirror pods are skipped, pods with emptyDir need
/// --delete-emptydir-data and pods without a controller need --force; finished pods always go.
/// As upstream, the filters run until one says not to delete, and the last one's status is
/// the pod's (so a later filter's "okay" hides an earlier warning).
fn filter(pods: &[ObjectRef], node: &str, args: &Args) -> Plan {
    let mut plan = Plan::default();
    for object in pods {
        let Object::Pod(p) = &**object else { continue };
        if p.spec.as_ref().and_then(|s| s.node_name.as_deref()) != Some(node) {
            continue;
        }
        let controller = controller_of(&p.metadata);
        let finished = matches!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
        let daemon = || match controller.is_some_and(|c| c.kind == "DaemonSet") {
            false => Status::Okay,
            true if args.flag("ignore-daemonsets") => Status::Keep("ignoring DaemonSet-managed Pods"),
            true => Status::Error("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"),
        };
        let mirror = || match p.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror")) {
            true => Status::Skip,
            false => Status::Okay,
        };
        let empty_dir = p.spec.iter().flat_map(|s| s.volumes.iter().flatten()).any(|v| v.empty_dir.is_some());
        let local_storage = || match empty_dir && !finished {
            false => Status::Okay,
            true if args.flag("delete-emptydir-data") => Status::Warning("deleting Pods with local storage"),
            true => Status::Error("cannot delete Pods with local storage (use --delete-emptydir-data to override)"),
        };
        let unreplicated = || match controller.is_none() && !finished {
            false => Status::Okay,
            true if args.flag("force") => Status::Warning("deleting Pods that declare no controller"),
            true => Status::Error("cannot delete Pods that declare no controller (use --force to override)"),
        };
        let filters: [&dyn Fn() -> Status; 4] = [&daemon, &mirror, &local_storage, &unreplicated];
        let mut status = Status::Okay;
        for f in filters {
            status = f();
            if matches!(status, Status::Skip | Status::Keep(_) | Status::Error(_)) {
                break;
            }
        }
        let key = Key::of(object);
        match status {
            Status::Skip => {}
            Status::Error(m) => Plan::note(&mut plan.errors, m, &key),
            Status::Keep(m) => Plan::note(&mut plan.warnings, m, &key),
            Status::Warning(m) => {
                Plan::note(&mut plan.warnings, m, &key);
                plan.evict.push(key);
            }
            Status::Okay => plan.evict.push(key),
        }
    }
    plan
}

/// Evicts every pod (kubectl does it in parallel), retrying refused evictions every 5 s, and
/// waits for each pod to be gone, letting virtual time pass.
fn evict_all(cluster: &mut Cluster, pods: &[Key], grace: Option<i64>, timeout: Option<u64>, out: &mut String) -> Result<(), String> {
    let started = cluster.now_ms();
    let deadline = started.saturating_add(timeout.unwrap_or(LONGEST_DRAIN_MS));
    let uid = |cluster: &Cluster, key: &Key| cluster.api().peek(key).and_then(|o| o.metadata().uid.clone());
    // (pod, uid, evicted yet, next retry)
    let mut pending: Vec<(Key, Option<String>, bool, u64)> = pods.iter().map(|k| (k.clone(), uid(cluster, k), false, started)).collect();
    for (key, _, _, _) in &pending {
        let _ = writeln!(out, "evicting pod {}/{}", key.namespace, key.name);
    }
    loop {
        let now = cluster.now_ms();
        for (key, _, evicted, retry_at) in pending.iter_mut().filter(|p| !p.2 && p.3 <= now) {
            match cluster.request(Component::Kubectl, |c| c.evict(key, grace)) {
                Ok(()) => *evicted = true,
                Err(e) if e.reason == Reason::NotFound => *evicted = true,
                Err(e) if e.reason == Reason::TooManyRequests => {
                    let _ = writeln!(
                        out,
                        "error when evicting pods/{:?} -n {:?} (will retry after 5s): {}",
                        key.name, key.namespace, e.message
                    );
                    *retry_at = now + RETRY_MS;
                }
                Err(e) => return Err(format!("error when evicting pods/{:?} -n {:?}: {}", key.name, key.namespace, e.render(None))),
            }
        }
        pending.retain(|(key, old_uid, evicted, _)| {
            let gone = *evicted && uid(cluster, key) != *old_uid;
            if gone {
                let _ = writeln!(out, "pod/{} evicted", key.name);
            }
            !gone
        });
        if pending.is_empty() {
            return Ok(());
        }
        if let Some((key, ..)) = pending.first().filter(|_| cluster.now_ms() >= deadline) {
            let waited = go_duration(deadline.saturating_sub(started));
            return Err(format!("error when evicting pods/{:?} -n {:?}: global timeout reached: {waited}", key.name, key.namespace));
        }
        cluster.advance(POLL_MS);
    }
}

/// A duration as Go's `time.Duration.String` writes whole seconds: `30s`, `1m0s`, `1h0m0s`.
fn go_duration(millis: u64) -> String {
    let seconds = millis / 1000;
    match (seconds / 3600, seconds / 60 % 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, s) => format!("{h}h{m}m{s}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(super::go_duration(30_000), "30s");
        assert_eq!(super::go_duration(60_000), "1m0s");
        assert_eq!(super::go_duration(3_600_000), "1h0m0s");
    }
}
