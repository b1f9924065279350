//! The status manager: the pod's phase, conditions and container statuses, computed from
//! the pod worker as `pkg/kubelet/kubelet_pods.go` (`getPhase`, `convertToAPIContainerStatuses`)
//! and `pkg/kubelet/status/generate.go` compute them.
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodIP, PodStatus,
};

use super::pod_workers::{ContainerWorker, Exited, PodWorker, Role, State};
use super::runtime;
use crate::apiserver::{set_pod_condition, timestamp};

/// `getPhase`: Pending while initializing or while a container waits for its first start;
/// Running while one runs (or all restart); Succeeded or Failed when none will run again.
pub fn phase(pod: &PodWorker) -> &'static str {
    if pod.evicted.is_some() {
        return "Failed";
    }
    let policy = pod.pod().and_then(|p| p.spec.as_ref()).and_then(|s| s.restart_policy.as_deref()).unwrap_or("Always");
    let mut initializing = false;
    for c in pod.containers.iter().filter(|c| c.role == Role::Init) {
        match &c.state {
            State::Terminated(e) if e.exit_code == 0 => {}
            State::Terminated(_) if policy == "Never" => return "Failed",
            State::Waiting { .. } if c.last.is_some() && policy == "Never" => return "Failed",
            _ => initializing = true,
        }
    }
    if initializing {
        return "Pending";
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in pod.containers.iter().filter(|c| c.role == Role::App) {
        match &c.state {
            State::Running { .. } => running += 1,
            State::Terminated(e) => {
                stopped += 1;
                if e.exit_code == 0 {
                    succeeded += 1;
                }
            }
            State::Waiting { .. } if c.last.is_some() => stopped += 1,
            State::Waiting { .. } => waiting += 1,
        }
    }
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped == 0 || policy == "Always" {
        if stopped == 0 {
            "Pending"
        } else {
            "Running"
        }
    } else if stopped == succeeded {
        "Succeeded"
    } else if policy == "Never" {
        "Failed"
    } else {
        "Running"
    }
}

/// Writes the worker's view into the pod's status, leaving the fields others own alone.
pub fn apply(p: &mut Pod, pod: &PodWorker, now: u64) {
    let phase = phase(pod);
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let has_init = pod.containers.iter().any(|c| c.role != Role::App);
    let status = p.status.get_or_insert_with(PodStatus::default);
    status.phase = Some(phase.to_string());
    if let Some(message) = &pod.evicted {
        // The containers' statuses stay as they were when the pod was evicted, no longer
        // ready, so kubectl shows the pod's reason: `Evicted`, 0/1.
        let evicted_before = status.reason.as_deref() == Some("Evicted");
        status.reason = Some("Evicted".to_string());
        status.message = Some(message.clone());
        set_pod_condition(status, "DisruptionTarget", "True", Some("TerminationByKubelet"), Some(message.clone()), now);
        for type_ in ["Ready", "ContainersReady"] {
            set_pod_condition(status, type_, "False", Some("PodFailed"), None, now);
        }
        if !evicted_before {
            for c in status.container_statuses.iter_mut().flatten() {
                c.ready = false;
            }
        }
        return;
    }
    if let Some(host_ip) = status.host_ip.clone().or_else(|| pod.host_ip.clone()) {
        status.host_ip = Some(host_ip.clone());
        status.host_ips = Some(vec![HostIP { ip: host_ip }]);
    }
    status.start_time = pod.started_ms.map(timestamp);
    // The pod IP is reported once the first container has been created.
    if let Some(ip) = pod.ip.clone().filter(|_| pod.containers.iter().any(|c| c.created)) {
        status.pod_ip = Some(ip.clone());
        status.pod_ips = Some(vec![PodIP { ip }]);
    }
    let names = |filter: &dyn Fn(&ContainerWorker) -> bool| {
        let list: Vec<&str> = pod.containers.iter().filter(|c| filter(c)).map(|c| c.spec.name.as_str()).collect();
        list.join(" ")
    };
    let sandbox = if terminal { "False" } else { "True" };
    set_pod_condition(status, "PodReadyToStartContainers", sandbox, None, None, now);
    let incomplete = names(&|c| match c.role {
        Role::Init => !matches!(&c.state, State::Terminated(e) if e.exit_code == 0),
        Role::Sidecar => !(c.running() && c.started),
        Role::App => false,
    });
    // A pod whose app containers have started stays initialized (`generate.go`).
    let app_started = pod.containers.iter().any(|c| c.role == Role::App && c.created);
    if terminal && phase == "Succeeded" {
        set_pod_condition(status, "Initialized", "True", Some("PodCompleted"), None, now);
    } else if incomplete.is_empty() || app_started {
        set_pod_condition(status, "Initialized", "True", None, None, now);
    } else {
        let message = format!("containers with incomplete status: [{incomplete}]");
        set_pod_condition(status, "Initialized", "False", Some("ContainersNotInitialized"), Some(message), now);
    }
    let unready = names(&|c| c.role != Role::Init && !c.ready);
    for type_ in ["Ready", "ContainersReady"] {
        if terminal {
            let reason = if phase == "Succeeded" { "PodCompleted" } else { "PodFailed" };
            set_pod_condition(status, type_, "False", Some(reason), None, now);
        } else if unready.is_empty() {
            set_pod_condition(status, type_, "True", None, None, now);
        } else {
            let message = format!("containers with unready status: [{unready}]");
            set_pod_condition(status, type_, "False", Some("ContainersNotReady"), Some(message), now);
        }
    }
    let statuses = |role: &dyn Fn(Role) -> bool| -> Vec<ContainerStatus> {
        pod.containers.iter().filter(|c| role(c.role)).map(|c| container_status(c, has_init)).collect()
    };
    status.container_statuses = Some(statuses(&|r| r == Role::App));
    if has_init {
        status.init_container_statuses = Some(statuses(&|r| r != Role::App));
    }
}

fn terminated(e: &Exited) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            container_id: Some(format!("containerd://{}", e.id)),
            exit_code: e.exit_code,
            reason: Some(e.reason.clone()),
            message: e.message.clone(),
            // A container the runtime never started reports the zero time, as containerd does.
            started_at: Some(e.started_ms.map_or(crate::api::Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH), timestamp)),
            finished_at: Some(timestamp(e.finished_ms)),
            signal: None,
        }),
        ..Default::default()
    }
}

fn container_status(c: &ContainerWorker, has_init: bool) -> ContainerStatus {
    let state = match &c.state {
        State::Waiting { reason, message } => {
            // A container never created shows the default reason while others block it.
            let reason = if !c.created && reason == "ContainerCreating" && has_init { "PodInitializing" } else { reason.as_str() };
            ContainerState {
                waiting: Some(ContainerStateWaiting { reason: Some(reason.to_string()), message: message.clone() }),
                ..Default::default()
            }
        }
        State::Running { started_ms } => {
            ContainerState { running: Some(ContainerStateRunning { started_at: Some(timestamp(*started_ms)) }), ..Default::default() }
        }
        State::Terminated(e) => terminated(e),
    };
    let image = c.image();
    ContainerStatus {
        name: c.spec.name.clone(),
        image: image.clone(),
        image_id: if c.created { runtime::normalize(&image) } else { String::new() },
        container_id: c.created.then(|| format!("containerd://{}", c.id)),
        ready: c.ready,
        started: Some(c.running() && c.started),
        restart_count: c.restarts,
        state: Some(state),
        last_state: Some(c.last.as_ref().map(terminated).unwrap_or_default()),
        ..Default::default()
    }
}
