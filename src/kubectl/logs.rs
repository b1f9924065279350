//! `kubectl logs`: what a container printed, read through the API server from the kubelet of
//! the pod's node. The API server picks the container instance from the pod's status
//! (`validateContainerLogStatus` in `pkg/kubelet/kubelet_pods.go`), with its errors.
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::{parse_args, resource};
use crate::api::labels::Selector;
use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{timestamp, ApiError, Component};
use crate::Cluster;

const USAGE: &str = "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples";

pub fn logs(cluster: &mut Cluster, words: &[String]) -> Result<String, String> {
    // `-f` is --follow here, not --filename: the simulated log is printed as it stands.
    let words: Vec<String> = words.iter().filter(|w| !matches!(w.as_str(), "-f" | "--follow" | "--follow=true")).cloned().collect();
    let args = parse_args(&words)?;
    let namespace = args.namespace().to_string();
    let (target, container) = match (args.positional.as_slice(), &args.selector) {
        ([], Some(_)) => (None, args.value("container").map(str::to_string)),
        (_, Some(_)) => return Err("error: only a selector (-l) or a POD name is allowed".to_string()),
        ([], None) => return Err(USAGE.to_string()),
        ([target], None) => (Some(target.clone()), args.value("container").map(str::to_string)),
        ([target, container], None) if args.value("container").is_none() => (Some(target.clone()), Some(container.clone())),
        ([_, _], None) => return Err("error: only one of -c or an inline [CONTAINER] arg is allowed".to_string()),
        _ => return Err(USAGE.to_string()),
    };
    let tail: i64 = match args.value("tail") {
        Some(t) => t
            .parse()
            .map_err(|_| format!("Error: invalid argument {t:?} for \"--tail\" flag: strconv.ParseInt: parsing {t:?}: invalid syntax\nSee 'kubectl logs --help' for usage."))?,
        // With a selector kubectl shows the last 10 lines of each pod.
        None if args.selector.is_some() => 10,
        None => -1,
    };
    let flag = |name: &str| args.value(name).is_some_and(|v| v != "false");
    let options = Options { container, previous: flag("previous"), timestamps: flag("timestamps"), tail };
    let Some(target) = target else {
        let selector = Selector::parse(args.selector.as_deref().unwrap_or("")).map_err(|e| format!("error: {e}"))?;
        let pods = cluster.request(Component::Kubectl, |c| c.list(crate::api::info("Pod"), Some(&namespace)));
        let pods: Vec<ObjectRef> = pods.into_iter().filter(|p| selector.matches(p.metadata().labels.as_ref())).collect();
        if pods.is_empty() {
            return Ok(format!("No resources found in {namespace} namespace."));
        }
        let mut out = String::new();
        for pod in &pods {
            out.push_str(&pod_logs(cluster, pod, &options)?);
        }
        return Ok(out);
    };
    let (pod, notice) = find_pod(cluster, &namespace, &target)?;
    pod_logs(cluster, &pod, &options).map(|out| notice.clone() + &out).map_err(|e| notice + &e)
}

/// What `kubectl logs` asks of one pod.
struct Options {
    container: Option<String>,
    previous: bool,
    timestamps: bool,
    /// Lines from the end; negative for all.
    tail: i64,
}

/// One pod's log, or the API server's error for it.
fn pod_logs(cluster: &mut Cluster, pod: &ObjectRef, options: &Options) -> Result<String, String> {
    let Object::Pod(p) = &**pod else { return Err(format!("error: cannot get the logs from {}", pod.kind().kind)) };
    let pod_name = p.metadata.name.clone().unwrap_or_default();
    let namespace = p.metadata.namespace.clone().unwrap_or_default();
    let mut out = String::new();
    let container = match &options.container {
        Some(c) => c.clone(),
        None => {
            let spec = p.spec.as_ref();
            let first = spec.and_then(|s| s.containers.first()).map(|c| c.name.clone()).unwrap_or_default();
            let inits = spec.and_then(|s| s.init_containers.as_ref()).map_or(0, Vec::len);
            if spec.is_some_and(|s| s.containers.len() > 1) || inits > 0 {
                out.push_str(&format!("Defaulted container {first:?} out of: {}\n", all_container_names(p)));
            }
            first
        }
    };
    let id = container_instance(p, &container, options.previous).map_err(|m| out.clone() + &ApiError::bad_request(m).render(None))?;
    let node = p.spec.as_ref().and_then(|s| s.node_name.clone());
    let (Some(node), Some(id)) = (node, id) else { return Ok(out) };
    let lines = cluster.container_log(&node, &Key::new("Pod", &namespace, &pod_name), &container, &id);
    let skip = if options.tail < 0 { 0 } else { lines.len().saturating_sub(usize::try_from(options.tail).unwrap_or(usize::MAX)) };
    for line in &lines[skip..] {
        if options.timestamps {
            // The kubelet's fixed-width RFC 3339 with nanoseconds.
            let at = timestamp(line.at_ms).0.strftime("%Y-%m-%dT%H:%M:%S").to_string();
            out.push_str(&format!("{at}.{:03}000000Z ", line.at_ms % 1000));
        }
        out.push_str(&line.text);
        out.push('\n');
    }
    Ok(out)
}

/// `POD`, `pod/NAME`, or a workload (`deploy/NAME`, `rs/`, `job/`, `sts/`, `ds/`) whose pods
/// kubectl chooses from as `GetFirstPod` does; the notice says which when there are several.
fn find_pod(cluster: &mut Cluster, namespace: &str, target: &str) -> Result<(ObjectRef, String), String> {
    let (kind, name) = match target.split_once('/') {
        Some((kind, name)) if kind.is_empty() || name.is_empty() || name.contains('/') => {
            return Err("error: arguments in resource/name form must have a single resource and name".to_string());
        }
        Some((kind, name)) => (resource(kind)?, name),
        None => (crate::api::info("Pod"), target),
    };
    let object = cluster.request(Component::Kubectl, |c| c.get(&Key::new(kind.kind, namespace, name))).map_err(|e| e.render(None))?;
    let selector = match &*object {
        Object::Pod(_) => return Ok((object, String::new())),
        Object::Deployment(d) => d.spec.as_ref().map(|s| s.selector.clone()),
        Object::ReplicaSet(r) => r.spec.as_ref().map(|s| s.selector.clone()),
        Object::StatefulSet(s) => s.spec.as_ref().map(|s| s.selector.clone()),
        Object::DaemonSet(d) => d.spec.as_ref().map(|s| s.selector.clone()),
        Object::Job(j) => j.spec.as_ref().and_then(|s| s.selector.clone()),
        _ => None,
    };
    let Some(selector) = selector.and_then(|s| Selector::from_api(&s).ok()) else {
        return Err(format!("error: cannot get the logs from {}", kind.qualified_resource()));
    };
    let pods = cluster.request(Component::Kubectl, |c| c.list(crate::api::info("Pod"), Some(namespace)));
    let mut pods: Vec<ObjectRef> = pods.into_iter().filter(|p| selector.matches(p.metadata().labels.as_ref())).collect();
    if pods.is_empty() {
        return Err(format!("error: timed out waiting for the condition on {}/{name}", kind.resource));
    }
    pods.sort_by_key(|o| match &**o {
        Object::Pod(p) => logging_rank(p),
        _ => Default::default(),
    });
    let count = pods.len();
    let pod = pods.swap_remove(0);
    let notice =
        if count > 1 { format!("Found {count} pods, using pod/{}\n", pod.metadata().name.as_deref().unwrap_or("")) } else { String::new() };
    Ok((pod, notice))
}

/// `podutils.ByLogging`: assigned before unassigned; Running (and any phase it does not
/// rank) before Unknown before Pending; ready before not ready, longer ready first; more
/// restarts (of one container) first; older first.
fn logging_rank(p: &Pod) -> (bool, u8, bool, i64, i32, i64) {
    let status = p.status.as_ref();
    let phase = match status.and_then(|s| s.phase.as_deref()) {
        Some("Unknown") => 1,
        Some("Pending") => 2,
        _ => 0,
    };
    let ready = status.and_then(|s| s.conditions.as_ref()).into_iter().flatten().find(|c| c.type_ == "Ready" && c.status == "True");
    let ready_since = ready.and_then(|c| c.last_transition_time.as_ref()).map_or(i64::MAX, |t| t.0.as_second());
    let restarts = status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten().map(|c| c.restart_count).max().unwrap_or(0);
    let created = p.metadata.creation_timestamp.as_ref().map_or(i64::MAX, |t| t.0.as_second());
    (p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_none(), phase, ready.is_none(), ready_since, -restarts, created)
}

/// `podcmd.AllContainerNames`: `a, b, setup (init)`.
fn all_container_names(p: &Pod) -> String {
    let spec = p.spec.as_ref();
    let mut names: Vec<String> = spec.into_iter().flat_map(|s| s.containers.iter()).map(|c| c.name.clone()).collect();
    names.extend(spec.into_iter().flat_map(|s| s.init_containers.iter().flatten()).map(|c| format!("{} (init)", c.name)));
    names.join(", ")
}

/// The container instance whose log is asked for, by its id (`None`: no node yet, nothing
/// to show); the error is the API server's BadRequest message.
fn container_instance(p: &Pod, container: &str, previous: bool) -> Result<Option<String>, String> {
    let pod = p.metadata.name.as_deref().unwrap_or("");
    let spec = p.spec.as_ref();
    let known = spec.into_iter().flat_map(|s| s.containers.iter().chain(s.init_containers.iter().flatten())).any(|c| c.name == container);
    if !known {
        return Err(format!("container {container} is not valid for pod {pod}"));
    }
    if spec.and_then(|s| s.node_name.as_ref()).is_none() {
        return Ok(None);
    }
    let status = p.status.as_ref();
    let statuses = status.into_iter().flat_map(|s| s.container_statuses.iter().flatten().chain(s.init_container_statuses.iter().flatten()));
    let found: Option<&ContainerStatus> = statuses.into_iter().find(|c| c.name == container);
    let Some(c) = found else { return Err(format!("container {container:?} in pod {pod:?} is waiting to start: ContainerCreating")) };
    let state = c.state.clone().unwrap_or_default();
    let last = c.last_state.as_ref().and_then(|s| s.terminated.as_ref()).and_then(|t| t.container_id.clone());
    let terminated = |what: &str| format!("container {container:?} in pod {pod:?} is {what}");
    if previous {
        return last.map(Some).ok_or_else(|| format!("previous terminated container {container:?} in pod {pod:?} not found"));
    }
    if state.running.is_some() {
        return Ok(c.container_id.clone());
    }
    if let Some(t) = &state.terminated {
        return t.container_id.clone().or(last).map(Some).ok_or_else(|| terminated("terminated"));
    }
    if let Some(id) = last {
        return Ok(Some(id));
    }
    let reason = state.waiting.and_then(|w| w.reason).unwrap_or_default();
    Err(format!(
        "container {container:?} in pod {pod:?} is waiting to start: {}",
        match reason.as_str() {
            "ErrImagePull" => "image can't be pulled",
            "ImagePullBackOff" => "trying and failing to pull image",
            other => other,
        }
    ))
}
