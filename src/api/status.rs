//! The one-word status kubectl shows for pods and nodes (`printPod`, `printNode` in
//! `pkg/printers/internalversion/printers.go`). The diagram uses the same words.
use k8s_openapi::api::core::v1::{Node, Pod};

/// A pod's STATUS, READY (`ready/total`) and restart count, as `kubectl get pods` computes them.
pub fn pod_status(pod: &Pod) -> (String, String, i32) {
    let status = pod.status.as_ref();
    let mut reason = status.and_then(|s| s.reason.clone()).or_else(|| status.and_then(|s| s.phase.clone())).unwrap_or_default();
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let mut ready = 0;
    let mut restarts = 0;
    // Containers are scanned last to first so the first container's state wins.
    for c in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten().rev() {
        restarts += c.restart_count;
        let state = c.state.as_ref();
        if let Some(r) = state.and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.clone()).filter(|r| !r.is_empty()) {
            reason = r;
        } else if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            reason = match &t.reason {
                Some(r) if !r.is_empty() => r.clone(),
                _ if t.signal.is_some_and(|s| s != 0) => format!("Signal:{}", t.signal.unwrap_or(0)),
                _ => format!("ExitCode:{}", t.exit_code),
            };
        } else if c.ready && state.and_then(|s| s.running.as_ref()).is_some() {
            ready += 1;
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        let terminal = matches!(status.and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed"));
        if status.and_then(|s| s.reason.as_deref()) == Some("NodeLost") {
            reason = "Unknown".to_string();
        } else if !terminal {
            reason = "Terminating".to_string();
        }
    }
    (reason, format!("{ready}/{total}"), restarts)
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
