//! The one-word status kubectl shows for pods and nodes (`printPod`, `printNode` in
//! `pkg/printers/internalversion/printers.go`). The diagram uses the same words.
use k8s_openapi::api::core::v1::{ContainerStateTerminated, Node, Pod};

use super::Time;

/// A pod's STATUS, READY (`ready/total`) and restart count, as `kubectl get pods` computes them
/// (`printPod`; see [`pod_restarts`] for the RESTARTS cell with its `(5m ago)`).
pub fn pod_status(pod: &Pod) -> (String, String, i32) {
    let row = print_pod(pod);
    (row.status, format!("{}/{}", row.ready, row.total), row.restarts)
}

/// The RESTARTS cell's parts: the count, and the last termination's time when the count is
/// not 0. kubectl prints `5 (2m3s ago)` with `HumanDuration(now - last)`.
pub fn pod_restarts(pod: &Pod) -> (i32, Option<Time>) {
    let row = print_pod(pod);
    (row.restarts, row.last_finished.filter(|_| row.restarts != 0))
}

struct PodRow {
    status: String,
    ready: usize,
    total: usize,
    restarts: i32,
    last_finished: Option<Time>,
}

/// The latest of two optional times.
fn later(a: Option<Time>, b: Option<&Time>) -> Option<Time> {
    match (a, b) {
        (Some(a), Some(b)) if b.0 > a.0 => Some(b.clone()),
        (None, Some(b)) => Some(b.clone()),
        (a, _) => a,
    }
}

/// A terminated container's word: its reason, else `Signal:N` or `ExitCode:N`.
fn terminated_reason(t: &ContainerStateTerminated) -> String {
    match &t.reason {
        Some(r) if !r.is_empty() => r.clone(),
        _ => match t.signal {
            Some(s) if s != 0 => format!("Signal:{s}"),
            _ => format!("ExitCode:{}", t.exit_code),
        },
    }
}

/// `printPod` in `pkg/printers/internalversion/printers.go`.
fn print_pod(pod: &Pod) -> PodRow {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let mut reason = status.and_then(|s| s.phase.clone()).unwrap_or_default();
    if let Some(r) = status.and_then(|s| s.reason.clone()).filter(|r| !r.is_empty()) {
        reason = r;
    }
    let conditions = status.and_then(|s| s.conditions.as_ref());
    let condition = |type_: &str| conditions.into_iter().flatten().find(|c| c.type_ == type_);
    if condition("PodScheduled").and_then(|c| c.reason.as_deref()) == Some("SchedulingGated") {
        reason = "SchedulingGated".to_string();
    }
    let init_specs = spec.and_then(|s| s.init_containers.as_ref()).map(Vec::as_slice).unwrap_or_default();
    let is_sidecar = |name: &str| init_specs.iter().any(|c| c.name == name && c.restart_policy.as_deref() == Some("Always"));
    let sidecars = init_specs.iter().filter(|c| c.restart_policy.as_deref() == Some("Always")).count();
    let total = spec.map_or(0, |s| s.containers.len()) + sidecars;
    let (mut ready, mut restarts, mut sidecar_restarts) = (0, 0, 0);
    let mut last_finished: Option<Time> = None;
    let mut initializing = false;
    let init_statuses = status.and_then(|s| s.init_container_statuses.as_ref()).map(Vec::as_slice).unwrap_or_default();
    for (i, c) in init_statuses.iter().enumerate() {
        restarts += c.restart_count;
        last_finished =
            later(last_finished, c.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.finished_at.as_ref()));
        let sidecar = is_sidecar(&c.name);
        if sidecar {
            sidecar_restarts += c.restart_count;
        }
        let state = c.state.as_ref();
        let terminated = state.and_then(|s| s.terminated.as_ref());
        let waiting = state.and_then(|s| s.waiting.as_ref());
        if terminated.is_some_and(|t| t.exit_code == 0) {
            continue;
        }
        if sidecar && c.started == Some(true) {
            if c.ready {
                ready += 1;
            }
            continue;
        }
        reason = match (terminated, waiting.and_then(|w| w.reason.as_deref()).filter(|r| !r.is_empty() && *r != "PodInitializing")) {
            (Some(t), _) => format!("Init:{}", terminated_reason(t)),
            (None, Some(r)) => format!("Init:{r}"),
            (None, None) => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }
    let initialized = condition("Initialized").is_some_and(|c| c.status == "True");
    if !initializing || initialized {
        restarts = sidecar_restarts;
        let mut has_running = false;
        // Last to first, so that the first container's state wins.
        for c in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten().rev() {
            restarts += c.restart_count;
            last_finished =
                later(last_finished, c.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.finished_at.as_ref()));
            let state = c.state.as_ref();
            if let Some(r) = state.and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.clone()).filter(|r| !r.is_empty()) {
                reason = r;
            } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
                reason = terminated_reason(t);
            } else if state.and_then(|s| s.running.as_ref()).is_some() {
                has_running = true;
                if c.ready {
                    ready += 1;
                }
            }
        }
        // A pod whose first container completed while another still runs.
        if reason == "Completed" && has_running {
            reason = if condition("Ready").is_some_and(|c| c.status == "True") { "Running" } else { "NotReady" }.to_string();
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        if status.and_then(|s| s.reason.as_deref()) == Some("NodeLost") {
            reason = "Unknown".to_string();
        } else if !matches!(status.and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed")) {
            reason = "Terminating".to_string();
        }
    }
    PodRow { status: reason, ready, total, restarts, last_finished }
}

/// A node's STATUS: `Ready`, `NotReady` (Ready is False or Unknown) or `Unknown`, plus
/// `,SchedulingDisabled` when cordoned.
pub fn node_status(node: &Node) -> String {
    let ready = node.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten().find(|c| c.type_ == "Ready");
    let mut status = match ready.map(|c| c.status.as_str()) {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false) {
        status.push_str(",SchedulingDisabled");
    }
    status
}

/// A node's ROLES from its `node-role.kubernetes.io/<role>` labels, or `<none>`.
pub fn node_roles(node: &Node) -> String {
    let mut roles: Vec<&str> = node
        .metadata
        .labels
        .iter()
        .flatten()
        .filter_map(|(k, v)| k.strip_prefix("node-role.kubernetes.io/").or_else(|| (k == "kubernetes.io/role").then_some(v.as_str())))
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).unwrap()
    }

    fn status(value: serde_json::Value) -> (String, String, i32) {
        pod_status(&pod(value))
    }

    /// The worked examples of the reference (§3.4), from `printPod`'s algorithm.
    #[test]
    fn print_pod_worked_examples() {
        let one = serde_json::json!([{"name": "a"}]);
        let waiting = |r: &str| serde_json::json!({"name": "a", "ready": false, "restartCount": 0, "image": "x", "imageID": "", "state": {"waiting": {"reason": r}}});
        assert_eq!(
            status(serde_json::json!({"spec": {"containers": one}, "status": {"phase": "Pending"}})),
            ("Pending".into(), "0/1".into(), 0)
        );
        assert_eq!(
            status(serde_json::json!({"spec": {"containers": one}, "status": {"phase": "Pending", "containerStatuses": [waiting("ContainerCreating")]}})).0,
            "ContainerCreating"
        );
        let init = serde_json::json!({"containers": one, "initContainers": [{"name": "i"}]});
        let init_status = |state: serde_json::Value| serde_json::json!({"name": "i", "ready": false, "restartCount": 2, "image": "x", "imageID": "", "state": state});
        let init_pod = |state| serde_json::json!({"spec": init, "status": {"phase": "Pending", "initContainerStatuses": [init_status(state)], "containerStatuses": [waiting("PodInitializing")]}});
        assert_eq!(status(init_pod(serde_json::json!({"running": {}}))), ("Init:0/1".into(), "0/1".into(), 2));
        assert_eq!(status(init_pod(serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}}))).0, "Init:CrashLoopBackOff");
        assert_eq!(status(init_pod(serde_json::json!({"terminated": {"exitCode": 2, "reason": "Error"}}))).0, "Init:Error");
        assert_eq!(status(init_pod(serde_json::json!({"terminated": {"exitCode": 137}}))).0, "Init:ExitCode:137");
        assert_eq!(status(init_pod(serde_json::json!({"terminated": {"exitCode": 0}}))).0, "PodInitializing");
        let terminated = |reason: serde_json::Value, code: i32| serde_json::json!({"name": "a", "ready": false, "restartCount": 0, "image": "x", "imageID": "", "state": {"terminated": {"exitCode": code, "reason": reason}}});
        let finished =
            |phase: &str, c| serde_json::json!({"spec": {"containers": one}, "status": {"phase": phase, "containerStatuses": [c]}});
        assert_eq!(status(finished("Succeeded", terminated("Completed".into(), 0))).0, "Completed");
        assert_eq!(status(finished("Failed", terminated("OOMKilled".into(), 137))).0, "OOMKilled");
        assert_eq!(status(finished("Failed", terminated(serde_json::Value::Null, 137))).0, "ExitCode:137");
        let running =
            serde_json::json!({"name": "a", "ready": true, "restartCount": 0, "image": "x", "imageID": "", "state": {"running": {}}});
        let mut deleting = finished("Running", running.clone());
        deleting["metadata"] = serde_json::json!({"deletionTimestamp": "2026-01-01T00:00:30Z"});
        assert_eq!(status(deleting), ("Terminating".into(), "1/1".into(), 0));
        assert_eq!(
            status(serde_json::json!({"spec": {"containers": one}, "status": {"phase": "Failed", "reason": "Evicted"}})).0,
            "Evicted"
        );
    }

    #[test]
    fn sidecars_count_in_ready_and_completed_with_a_runner_is_not_ready() {
        let sidecar = serde_json::json!({"name": "s", "ready": true, "started": true, "restartCount": 1, "image": "x", "imageID": "", "state": {"running": {}}});
        let app = serde_json::json!({"name": "a", "ready": true, "restartCount": 0, "image": "x", "imageID": "", "state": {"running": {}}});
        let spec = serde_json::json!({"containers": [{"name": "a"}], "initContainers": [{"name": "s", "restartPolicy": "Always"}]});
        let p = serde_json::json!({"spec": spec, "status": {"phase": "Running", "initContainerStatuses": [sidecar], "containerStatuses": [app]}});
        assert_eq!(status(p), ("Running".into(), "2/2".into(), 1));
        let done = serde_json::json!({"name": "a", "ready": false, "restartCount": 0, "image": "x", "imageID": "", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}});
        let b = serde_json::json!({"name": "b", "ready": false, "restartCount": 3, "image": "x", "imageID": "",
            "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-01-01T00:01:00Z"}}});
        let two = serde_json::json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}, "status": {"phase": "Running", "containerStatuses": [done, b]}});
        assert_eq!(status(two.clone()), ("NotReady".into(), "0/2".into(), 3));
        let (count, last) = pod_restarts(&pod(two));
        assert_eq!((count, last.map(|t| t.0.as_second())), (3, Some(1_767_225_660)));
    }
}
