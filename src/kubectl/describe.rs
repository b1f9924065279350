//! `kubectl describe` (`staging/src/k8s.io/kubectl/pkg/describe/describe.go`): pods, nodes,
//! deployments, replicasets, services, jobs, configmaps, secrets, namespaces and the autoscalers
//! (`describe/autoscaling.rs`) in kubectl's layout,
//! with the events about each object; other kinds get the common header and events.
mod autoscaling;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStatus, Event, Node, Pod, PodSpec, PodTemplateSpec, Toleration, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::events::interval;
use super::printers::{age, format_selector};
use super::table::{align_blocks, human_duration};
use super::{resource, Args};
use crate::api::quantity::{format_cpu, parse_milli};
use crate::api::status::node_roles;
use crate::api::{controller_of, info, Key, KindInfo, Object, ObjectRef};
use crate::apiserver::{virtual_ms, Component};
use crate::Cluster;

/// kubectl's `PrefixWriter` over a tabwriter (padding 2): lines at an indent level (two spaces
/// each), cells separated by tabs; a flush aligns what was written so far on its own.
#[derive(Default)]
struct Writer {
    pending: String,
    out: String,
}

impl Writer {
    fn line(&mut self, level: usize, text: &str) {
        self.pending.push_str(&"  ".repeat(level));
        self.pending.push_str(text);
        self.pending.push('\n');
    }
    fn flush(&mut self) {
        self.out.push_str(&align_blocks(&self.pending, 2));
        self.pending.clear();
    }
    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// What a describer can read besides the object: the cluster through kubectl's client.
struct Context<'a> {
    cluster: &'a mut Cluster,
    now: u64,
}

impl Context<'_> {
    fn list(&mut self, kind: &str, namespace: Option<&str>) -> Vec<ObjectRef> {
        self.cluster.request(Component::Kubectl, |c| c.list(info(kind), namespace))
    }

    /// The events about an object (kubectl asks with an `involvedObject` field selector).
    fn events(&mut self, meta: &ObjectMeta, kind: &str) -> Vec<Event> {
        let namespace = meta.namespace.clone().unwrap_or_else(|| "default".to_string());
        let mut events: Vec<Event> = self
            .list("Event", Some(&namespace))
            .iter()
            .filter_map(|o| match o.as_ref() {
                Object::Event(e) => Some(e.clone()),
                _ => None,
            })
            .filter(|e| {
                let o = &e.involved_object;
                o.kind.as_deref() == Some(kind) && o.name == meta.name && (o.uid.is_none() || o.uid == meta.uid)
            })
            .collect();
        events.sort_by_key(|e| e.last_timestamp.as_ref().or(e.first_timestamp.as_ref()).map_or(0, virtual_ms));
        events
    }
}

pub fn describe(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let Some(first) = args.positional.first() else {
        return Err("error: You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.".to_string());
    };
    let (kind, names): (&KindInfo, Vec<String>) = match first.split_once('/') {
        Some((kind, name)) if !kind.is_empty() && !name.is_empty() => (resource(kind)?, vec![name.to_string()]),
        Some(_) => return Err(super::get::RESOURCE_NAME_FORM.to_string()),
        None => (resource(first)?, args.positional[1..].to_vec()),
    };
    let namespace = if kind.namespaced { args.namespace().to_string() } else { String::new() };
    let selector = super::get::label_selector(args)?;
    let scope = (kind.namespaced && !args.all_namespaces).then_some(namespace.as_str());
    let listed = cluster.request(Component::Kubectl, |c| c.list(kind, scope));
    let mut objects: Vec<ObjectRef> = Vec::new();
    let mut errors = Vec::new();
    if names.is_empty() {
        objects = listed.iter().filter(|o| selector.matches(o.metadata().labels.as_ref())).cloned().collect();
        if objects.is_empty() {
            return Ok(match (kind.namespaced && !args.all_namespaces, namespace.as_str()) {
                (true, ns) => format!("No resources found in {ns} namespace."),
                _ => "No resources found".to_string(),
            });
        }
    }
    for name in &names {
        match cluster.request(Component::Kubectl, |c| c.get(&Key::new(kind.kind, &namespace, name))) {
            Ok(o) => objects.push(o),
            Err(e) => {
                // kubectl describe falls back to every object whose name starts with the word.
                let prefixed: Vec<ObjectRef> =
                    listed.iter().filter(|o| o.metadata().name.as_deref().is_some_and(|n| n.starts_with(name.as_str()))).cloned().collect();
                if prefixed.is_empty() {
                    errors.push(e.render(None));
                }
                objects.extend(prefixed);
            }
        }
    }
    let now = cluster.now_ms();
    let mut context = Context { cluster, now };
    let texts: Vec<String> = objects.iter().map(|o| describe_one(&mut context, o)).collect();
    let mut out = texts.join("\n\n");
    for e in errors {
        out.push_str(&e);
        out.push('\n');
    }
    Ok(out)
}

fn describe_one(context: &mut Context, object: &Object) -> String {
    let mut w = Writer::default();
    match object {
        Object::Pod(pod) => describe_pod(context, &mut w, pod),
        Object::Node(node) => describe_node(context, &mut w, node),
        Object::Deployment(d) => describe_deployment(context, &mut w, d),
        Object::ReplicaSet(rs) => describe_replica_set(context, &mut w, rs),
        Object::Service(svc) => describe_service(context, &mut w, svc),
        Object::Ingress(ingress) => describe_ingress(context, &mut w, ingress),
        Object::IngressClass(class) => describe_ingress_class(context, &mut w, class),
        Object::Job(job) => describe_job(context, &mut w, job),
        Object::ConfigMap(cm) => describe_config_map(context, &mut w, cm),
        Object::Secret(secret) => describe_secret(&mut w, secret),
        Object::Namespace(ns) => describe_namespace(context, &mut w, ns),
        Object::HorizontalPodAutoscaler(hpa) => autoscaling::describe_hpa(context, &mut w, hpa),
        other => {
            let meta = other.metadata();
            if other.kind().namespaced {
                name_and_namespace(&mut w, meta);
            } else {
                w.line(0, &format!("Name:\t{}", meta.name.as_deref().unwrap_or("")));
            }
            labels_multiline(&mut w, 0, "Labels", meta.labels.as_ref());
            annotations_multiline(&mut w, 0, "Annotations", meta.annotations.as_ref());
            events(context, &mut w, meta, other.kind().kind);
        }
    }
    w.finish()
}

/// The first two lines of most describers.
fn name_and_namespace(w: &mut Writer, meta: &ObjectMeta) {
    w.line(0, &format!("Name:\t{}", meta.name.as_deref().unwrap_or("")));
    w.line(0, &format!("Namespace:\t{}", meta.namespace.as_deref().unwrap_or("")));
}

/// `time.RFC1123Z`: `Thu, 01 Jan 2026 00:00:00 +0000`.
fn rfc1123z(time: &Time) -> String {
    time.0.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// `printLabelsMultiline`: the first label after the title, the rest below it; `<none>`.
fn labels_multiline(w: &mut Writer, level: usize, title: &str, labels: Option<&BTreeMap<String, String>>) {
    let entries: Vec<String> = labels.into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    multiline(w, level, title, &entries);
}

/// `printAnnotationsMultiline`: `key: value`, without kubectl's last-applied-configuration.
fn annotations_multiline(w: &mut Writer, level: usize, title: &str, annotations: Option<&BTreeMap<String, String>>) {
    let entries: Vec<String> = annotations
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "kubectl.kubernetes.io/last-applied-configuration")
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    multiline(w, level, title, &entries);
}

fn multiline(w: &mut Writer, level: usize, title: &str, entries: &[String]) {
    match entries.split_first() {
        None => w.line(level, &format!("{title}:\t<none>")),
        Some((first, rest)) => {
            w.line(level, &format!("{title}:\t{first}"));
            for entry in rest {
                w.line(level, &format!("\t{entry}"));
            }
        }
    }
}

/// `printTolerationsMultiline`: `key=value:Effect op=Exists for 300s`.
fn tolerations_multiline(w: &mut Writer, level: usize, title: &str, tolerations: &[Toleration]) {
    let entries: Vec<String> = tolerations
        .iter()
        .map(|t| {
            let key = t.key.clone().unwrap_or_default();
            let value = t.value.clone().unwrap_or_default();
            let effect = t.effect.clone().unwrap_or_default();
            let mut text = key.clone();
            if !value.is_empty() {
                text.push_str(&format!("={value}"));
            }
            if !effect.is_empty() {
                text.push_str(&format!(":{effect}"));
            }
            if t.operator.as_deref() == Some("Exists") && value.is_empty() {
                text.push_str(if key.is_empty() && effect.is_empty() { "op=Exists" } else { " op=Exists" });
            }
            if let Some(seconds) = t.toleration_seconds {
                text.push_str(&format!(" for {seconds}s"));
            }
            text
        })
        .collect();
    multiline(w, level, title, &entries);
}

/// `DescribeEvents`: its own flush, so the table aligns on its own.
fn events(context: &mut Context, w: &mut Writer, meta: &ObjectMeta, kind: &str) {
    let events = context.events(meta, kind);
    if events.is_empty() {
        w.line(0, "Events:\t<none>");
        return;
    }
    w.flush();
    w.line(0, "Events:");
    w.line(1, "Type\tReason\tAge\tFrom\tMessage");
    w.line(1, "----\t------\t----\t----\t-------");
    for e in &events {
        let from = e.source.as_ref().and_then(|s| s.component.clone()).filter(|c| !c.is_empty()).or(e.reporting_component.clone());
        w.line(
            1,
            &format!(
                "{}\t{}\t{}\t{}\t{}",
                e.type_.as_deref().unwrap_or(""),
                e.reason.as_deref().unwrap_or(""),
                interval(e, context.now),
                from.unwrap_or_default(),
                e.message.as_deref().unwrap_or("").trim()
            ),
        );
    }
}

/// Resource names as `SortableResourceNames` orders them (by name).
fn resources(w: &mut Writer, level: usize, list: Option<&BTreeMap<String, Quantity>>) {
    for (name, quantity) in list.into_iter().flatten() {
        w.line(level, &format!("{name}:\t{}", quantity.0));
    }
}

/// `describeContainers`: each container's image, ports, state, resources, environment and
/// mounts; `statuses` is empty for a pod template.
fn containers(w: &mut Writer, title: &str, containers: &[Container], statuses: &[ContainerStatus], space: &str) {
    w.line(0, &format!("{space}{title}:"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in containers {
        let status = statuses.iter().find(|s| s.name == c.name);
        w.line(1, &format!("{name_indent}{}:", c.name));
        if let Some(s) = status {
            w.line(2, &format!("Container ID:\t{}", s.container_id.as_deref().unwrap_or("")));
        }
        w.line(2, &format!("Image:\t{}", c.image.as_deref().unwrap_or("")));
        if let Some(s) = status {
            w.line(2, &format!("Image ID:\t{}", s.image_id));
        }
        let ports: Vec<String> =
            c.ports.iter().flatten().map(|p| format!("{}/{}", p.container_port, p.protocol.as_deref().unwrap_or("TCP"))).collect();
        let host_ports: Vec<String> =
            c.ports.iter().flatten().map(|p| format!("{}/{}", p.host_port.unwrap_or(0), p.protocol.as_deref().unwrap_or("TCP"))).collect();
        for (one, many, list) in [("Port", "Ports", &ports), ("Host Port", "Host Ports", &host_ports)] {
            match list.len() {
                0 => w.line(2, &format!("{one}:\t<none>")),
                1 => w.line(2, &format!("{one}:\t{}", list[0])),
                _ => w.line(2, &format!("{many}:\t{}", list.join(", "))),
            }
        }
        for (title, words) in [("Command", &c.command), ("Args", &c.args)] {
            if let Some(words) = words.as_ref().filter(|w| !w.is_empty()) {
                w.line(2, &format!("{title}:"));
                for word in words {
                    w.line(3, word);
                }
            }
        }
        if let Some(s) = status {
            container_state(w, "State", s.state.as_ref());
            if let Some(last) = s.last_state.as_ref().filter(|l| l.terminated.is_some()) {
                container_state(w, "Last State", Some(last));
            }
            w.line(2, &format!("Ready:\t{}", if s.ready { "True" } else { "False" }));
            w.line(2, &format!("Restart Count:\t{}", s.restart_count));
        }
        let requirements = c.resources.as_ref();
        for (title, list) in
            [("Limits", requirements.and_then(|r| r.limits.as_ref())), ("Requests", requirements.and_then(|r| r.requests.as_ref()))]
        {
            if list.is_some_and(|l| !l.is_empty()) {
                w.line(2, &format!("{title}:"));
                resources(w, 3, list);
            }
        }
        match c.env.as_ref().filter(|e| !e.is_empty()) {
            None => w.line(2, "Environment:\t<none>"),
            Some(env) => {
                w.line(2, "Environment:");
                for e in env {
                    w.line(3, &format!("{}:\t{}", e.name, e.value.as_deref().unwrap_or("")));
                }
            }
        }
        let mut mounts = c.volume_mounts.clone().unwrap_or_default();
        if mounts.is_empty() {
            w.line(2, "Mounts:\t<none>");
        } else {
            w.line(2, "Mounts:");
            mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
            for m in mounts {
                let mode = if m.read_only == Some(true) { "ro" } else { "rw" };
                w.line(3, &format!("{} from {} ({mode})", m.mount_path, m.name));
            }
        }
    }
}

/// `describeStatus`.
fn container_state(w: &mut Writer, title: &str, state: Option<&ContainerState>) {
    let state = state.cloned().unwrap_or_default();
    if let Some(running) = state.running {
        w.line(2, &format!("{title}:\tRunning"));
        w.line(3, &format!("Started:\t{}", running.started_at.as_ref().map(rfc1123z).unwrap_or_default()));
    } else if let Some(terminated) = state.terminated {
        w.line(2, &format!("{title}:\tTerminated"));
        if let Some(reason) = terminated.reason.filter(|r| !r.is_empty()) {
            w.line(3, &format!("Reason:\t{reason}"));
        }
        if let Some(message) = terminated.message.filter(|m| !m.is_empty()) {
            w.line(3, &format!("Message:\t{message}"));
        }
        w.line(3, &format!("Exit Code:\t{}", terminated.exit_code));
        if let Some(signal) = terminated.signal.filter(|s| *s > 0) {
            w.line(3, &format!("Signal:\t{signal}"));
        }
        w.line(3, &format!("Started:\t{}", terminated.started_at.as_ref().map(rfc1123z).unwrap_or_default()));
        w.line(3, &format!("Finished:\t{}", terminated.finished_at.as_ref().map(rfc1123z).unwrap_or_default()));
    } else {
        w.line(2, &format!("{title}:\tWaiting"));
        if let Some(reason) = state.waiting.and_then(|w| w.reason).filter(|r| !r.is_empty()) {
            w.line(3, &format!("Reason:\t{reason}"));
        }
    }
}

/// `describeVolumes`, for the volume types lessons use: each volume's type line and fields.
fn volumes(w: &mut Writer, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        w.line(0, &format!("{space}Volumes:\t<none>"));
        return;
    }
    w.line(0, &format!("{space}Volumes:"));
    for v in volumes {
        w.line(1, &format!("{space}{}:", v.name));
        let (kind, fields): (&str, Vec<(&str, String)>) = if let Some(e) = &v.empty_dir {
            (
                "EmptyDir (a temporary directory that shares a pod's lifetime)",
                vec![
                    ("Medium", e.medium.clone().unwrap_or_default()),
                    ("SizeLimit", e.size_limit.as_ref().map_or("<unset>".to_string(), |q| q.0.clone())),
                ],
            )
        } else if let Some(c) = &v.config_map {
            (
                "ConfigMap (a volume populated by a ConfigMap)",
                vec![("Name", c.name.clone()), ("Optional", c.optional.unwrap_or(false).to_string())],
            )
        } else if let Some(s) = &v.secret {
            (
                "Secret (a volume populated by a Secret)",
                vec![("SecretName", s.secret_name.clone().unwrap_or_default()), ("Optional", s.optional.unwrap_or(false).to_string())],
            )
        } else if let Some(p) = &v.persistent_volume_claim {
            (
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
                vec![("ClaimName", p.claim_name.clone()), ("ReadOnly", p.read_only.unwrap_or(false).to_string())],
            )
        } else if let Some(h) = &v.host_path {
            ("HostPath (bare host directory volume)", vec![("Path", h.path.clone()), ("HostPathType", h.type_.clone().unwrap_or_default())])
        } else {
            w.line(2, &format!("{space}<unknown>"));
            continue;
        };
        w.line(2, &format!("{space}Type:\t{kind}"));
        for (label, value) in fields {
            w.line(2, &format!("{space}{label}:\t{value}"));
        }
    }
}

fn describe_pod(context: &mut Context, w: &mut Writer, pod: &Pod) {
    let meta = &pod.metadata;
    let spec = pod.spec.clone().unwrap_or_default();
    let status = pod.status.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    if let Some(priority) = spec.priority {
        w.line(0, &format!("Priority:\t{priority}"));
    }
    if let Some(class) = spec.priority_class_name.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, &format!("Priority Class Name:\t{class}"));
    }
    if let Some(account) = spec.service_account_name.as_ref().filter(|a| !a.is_empty()) {
        w.line(0, &format!("Service Account:\t{account}"));
    }
    match spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        None => w.line(0, "Node:\t<none>"),
        Some(node) => w.line(0, &format!("Node:\t{node}/{}", status.host_ip.as_deref().unwrap_or(""))),
    }
    if let Some(start) = &status.start_time {
        w.line(0, &format!("Start Time:\t{}", rfc1123z(start)));
    }
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    let phase = status.phase.clone().unwrap_or_default();
    match &meta.deletion_timestamp {
        Some(deleted) if phase != "Failed" && phase != "Succeeded" => {
            w.line(0, &format!("Status:\tTerminating (lasts {})", age(Some(deleted), context.now)));
            w.line(0, &format!("Termination Grace Period:\t{}s", meta.deletion_grace_period_seconds.unwrap_or(0)));
        }
        _ => w.line(0, &format!("Status:\t{phase}")),
    }
    if let Some(reason) = status.reason.as_ref().filter(|r| !r.is_empty()) {
        w.line(0, &format!("Reason:\t{reason}"));
    }
    if let Some(message) = status.message.as_ref().filter(|m| !m.is_empty()) {
        w.line(0, &format!("Message:\t{message}"));
    }
    w.line(0, &format!("IP:\t{}", status.pod_ip.as_deref().unwrap_or("")));
    match status.pod_ips.as_ref().filter(|ips| !ips.is_empty()) {
        None => w.line(0, "IPs:\t<none>"),
        Some(ips) => {
            w.line(0, "IPs:");
            for ip in ips {
                w.line(1, &format!("IP:\t{}", ip.ip));
            }
        }
    }
    if let Some(owner) = controller_of(meta) {
        w.line(0, &format!("Controlled By:\t{}/{}", owner.kind, owner.name));
    }
    if let Some(nominated) = status.nominated_node_name.as_ref().filter(|n| !n.is_empty()) {
        w.line(0, &format!("NominatedNodeName:\t{nominated}"));
    }
    if let Some(init) = spec.init_containers.as_ref().filter(|c| !c.is_empty()) {
        containers(w, "Init Containers", init, status.init_container_statuses.as_deref().unwrap_or_default(), "");
    }
    containers(w, "Containers", &spec.containers, status.container_statuses.as_deref().unwrap_or_default(), "");
    if let Some(conditions) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus");
        for c in conditions {
            w.line(1, &format!("{} \t{} ", c.type_, c.status));
        }
    }
    volumes(w, spec.volumes.as_deref().unwrap_or_default(), "");
    // The API server sets status.qosClass when it admits the pod (kubectl prints it as is).
    w.line(0, &format!("QoS Class:\t{}", status.qos_class.as_deref().unwrap_or("")));
    labels_multiline(w, 0, "Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(w, 0, "Tolerations", spec.tolerations.as_deref().unwrap_or_default());
    events(context, w, meta, "Pod");
}

/// `DescribePodTemplate`.
fn pod_template(w: &mut Writer, template: Option<&PodTemplateSpec>) {
    w.line(0, "Pod Template:");
    let Some(template) = template else {
        w.line(1, "<unset>");
        return;
    };
    let meta = template.metadata.clone().unwrap_or_default();
    labels_multiline(w, 0, "  Labels", meta.labels.as_ref());
    if meta.annotations.as_ref().is_some_and(|a| !a.is_empty()) {
        annotations_multiline(w, 0, "  Annotations", meta.annotations.as_ref());
    }
    let spec: PodSpec = template.spec.clone().unwrap_or_default();
    if let Some(account) = spec.service_account_name.as_ref().filter(|a| !a.is_empty()) {
        w.line(1, &format!("Service Account:\t{account}"));
    }
    if let Some(init) = spec.init_containers.as_ref().filter(|c| !c.is_empty()) {
        containers(w, "Init Containers", init, &[], "  ");
    }
    containers(w, "Containers", &spec.containers, &[], "  ");
    volumes(w, spec.volumes.as_deref().unwrap_or_default(), "  ");
    if let Some(class) = spec.priority_class_name.as_ref().filter(|c| !c.is_empty()) {
        w.line(1, &format!("Priority Class Name:\t{class}"));
    }
    labels_multiline(w, 0, "  Node-Selectors", spec.node_selector.as_ref());
    tolerations_multiline(w, 0, "  Tolerations", spec.tolerations.as_deref().unwrap_or_default());
}

/// Sums a resource over containers, in milli-units.
fn sum_resource(pods: &[&Pod], limits: bool, name: &str) -> i128 {
    pods.iter()
        .flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter()))
        .filter_map(|c| {
            let r = c.resources.as_ref()?;
            let list = if limits { r.limits.as_ref() } else { r.requests.as_ref() }?;
            list.get(name).and_then(|q| parse_milli(&q.0).ok())
        })
        .fold(0, i128::saturating_add)
}

/// A quantity in milli-units as `Quantity.String()` prints it: cpu in cores or millicores,
/// bytes with the largest binary suffix that divides them.
fn format_quantity(name: &str, milli: i128) -> String {
    if name == "cpu" {
        return format_cpu(milli);
    }
    let bytes = milli / 1000;
    if bytes == 0 {
        return "0".to_string();
    }
    for (suffix, shift) in [("Ei", 60), ("Pi", 50), ("Ti", 40), ("Gi", 30), ("Mi", 20), ("Ki", 10)] {
        if bytes % (1i128 << shift) == 0 {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

fn percent(part: i128, whole: i128) -> i128 {
    if whole == 0 {
        0
    } else {
        part.saturating_mul(100) / whole
    }
}

fn describe_node(context: &mut Context, w: &mut Writer, node: &Node) {
    let meta = &node.metadata;
    let name = meta.name.clone().unwrap_or_default();
    let spec = node.spec.clone().unwrap_or_default();
    let status = node.status.clone().unwrap_or_default();
    w.line(0, &format!("Name:\t{name}"));
    w.line(0, &format!("Roles:\t{}", node_roles(node)));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, &format!("CreationTimestamp:\t{}", meta.creation_timestamp.as_ref().map(rfc1123z).unwrap_or_default()));
    let taints: Vec<String> = spec
        .taints
        .iter()
        .flatten()
        .map(|t| match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("{}={v}:{}", t.key, t.effect),
            None => format!("{}:{}", t.key, t.effect),
        })
        .collect();
    multiline(w, 0, "Taints", &taints);
    w.line(0, &format!("Unschedulable:\t{}", spec.unschedulable.unwrap_or(false)));
    let lease = context.list("Lease", Some("kube-node-lease")).into_iter().find(|l| l.metadata().name.as_deref() == Some(name.as_str()));
    match lease.as_deref() {
        Some(Object::Lease(lease)) => {
            let spec = lease.spec.clone().unwrap_or_default();
            let time = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>| {
                t.map_or("<unset>".to_string(), |t| rfc1123z(&Time(t.0)))
            };
            w.line(0, "Lease:");
            w.line(1, &format!("HolderIdentity:\t{}", spec.holder_identity.as_deref().unwrap_or("<unset>")));
            w.line(1, &format!("AcquireTime:\t{}", time(spec.acquire_time.as_ref())));
            w.line(1, &format!("RenewTime:\t{}", time(spec.renew_time.as_ref())));
        }
        _ => w.line(0, &format!("Lease:\tFailed to get lease: leases.coordination.k8s.io {name:?} not found")),
    }
    if let Some(conditions) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage");
        w.line(1, "----\t------\t-----------------\t------------------\t------\t-------");
        for c in conditions {
            let time = |t: Option<&Time>| t.map(rfc1123z).unwrap_or_else(|| "Mon, 01 Jan 0001 00:00:00 +0000".to_string());
            w.line(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}",
                    c.type_,
                    c.status,
                    time(c.last_heartbeat_time.as_ref()),
                    time(c.last_transition_time.as_ref()),
                    c.reason.as_deref().unwrap_or(""),
                    c.message.as_deref().unwrap_or("")
                ),
            );
        }
    }
    w.line(0, "Addresses:");
    for a in status.addresses.iter().flatten() {
        w.line(1, &format!("{}:\t{}", a.type_, a.address));
    }
    for (title, list) in [("Capacity", status.capacity.as_ref()), ("Allocatable", status.allocatable.as_ref())] {
        if list.is_some_and(|l| !l.is_empty()) {
            w.line(0, &format!("{title}:"));
            resources(w, 1, list);
        }
    }
    let info = status.node_info.clone().unwrap_or_default();
    w.line(0, "System Info:");
    for (title, value) in [
        ("Machine ID", &info.machine_id),
        ("System UUID", &info.system_uuid),
        ("Boot ID", &info.boot_id),
        ("Kernel Version", &info.kernel_version),
        ("OS Image", &info.os_image),
        ("Operating System", &info.operating_system),
        ("Architecture", &info.architecture),
        ("Container Runtime Version", &info.container_runtime_version),
        ("Kubelet Version", &info.kubelet_version),
    ] {
        w.line(1, &format!("{title}:\t{value}"));
    }
    if let Some(cidr) = spec.pod_cidr.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, &format!("PodCIDR:\t{cidr}"));
    }
    if let Some(cidrs) = spec.pod_cidrs.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, &format!("PodCIDRs:\t{}", cidrs.join(",")));
    }
    if let Some(provider) = spec.provider_id.as_ref().filter(|p| !p.is_empty()) {
        w.line(0, &format!("ProviderID:\t{provider}"));
    }
    // `describeNodeResource`: the node's pods that are not Succeeded or Failed.
    let all_pods = context.list("Pod", None);
    let pods: Vec<&Pod> = all_pods
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Pod(p) => Some(p),
            _ => None,
        })
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(name.as_str()))
        .filter(|p| !matches!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed")))
        .collect();
    let allocatable = status.allocatable.clone().filter(|a| !a.is_empty()).or(status.capacity.clone()).unwrap_or_default();
    let total = |name: &str| allocatable.get(name).and_then(|q| parse_milli(&q.0).ok()).unwrap_or(0);
    w.line(0, &format!("Non-terminated Pods:\t({} in total)", pods.len()));
    w.line(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge");
    w.line(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---");
    for pod in &pods {
        let one = [*pod];
        let cell = |limits: bool, resource: &str| {
            let value = sum_resource(&one, limits, resource);
            format!("{} ({}%)", format_quantity(resource, value), percent(value, total(resource)))
        };
        w.line(
            1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{}",
                pod.metadata.namespace.as_deref().unwrap_or(""),
                pod.metadata.name.as_deref().unwrap_or(""),
                cell(false, "cpu"),
                cell(true, "cpu"),
                cell(false, "memory"),
                cell(true, "memory"),
                age(pod.metadata.creation_timestamp.as_ref(), context.now)
            ),
        );
    }
    w.line(0, "Allocated resources:");
    w.line(1, "(Total limits may be over 100 percent, i.e., overcommitted.)");
    w.line(1, "Resource\tRequests\tLimits");
    w.line(1, "--------\t--------\t------");
    for resource in ["cpu", "memory", "ephemeral-storage"] {
        let (requests, limits) = (sum_resource(&pods, false, resource), sum_resource(&pods, true, resource));
        w.line(
            1,
            &format!(
                "{resource}\t{} ({}%)\t{} ({}%)",
                format_quantity(resource, requests),
                percent(requests, total(resource)),
                format_quantity(resource, limits),
                percent(limits, total(resource))
            ),
        );
    }
    for resource in allocatable.keys().filter(|k| k.starts_with("hugepages-")) {
        w.line(1, &format!("{resource}\t0 (0%)\t0 (0%)"));
    }
    events(context, w, meta, "Node");
}

fn int_or_string(value: Option<&IntOrString>, default: &str) -> String {
    match value {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => s.clone(),
        None => default.to_string(),
    }
}

fn describe_deployment(context: &mut Context, w: &mut Writer, d: &k8s_openapi::api::apps::v1::Deployment) {
    let meta = &d.metadata;
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    w.line(0, &format!("CreationTimestamp:\t{}", meta.creation_timestamp.as_ref().map(rfc1123z).unwrap_or_default()));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, &format!("Selector:\t{}", format_selector(Some(&spec.selector))));
    w.line(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable",
            spec.replicas.unwrap_or(1),
            status.updated_replicas.unwrap_or(0),
            status.replicas.unwrap_or(0),
            status.available_replicas.unwrap_or(0),
            status.unavailable_replicas.unwrap_or(0)
        ),
    );
    let strategy = spec.strategy.clone().unwrap_or_default();
    w.line(0, &format!("StrategyType:\t{}", strategy.type_.as_deref().unwrap_or("")));
    w.line(0, &format!("MinReadySeconds:\t{}", spec.min_ready_seconds.unwrap_or(0)));
    if let Some(ru) = &strategy.rolling_update {
        w.line(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge",
                int_or_string(ru.max_unavailable.as_ref(), "0"),
                int_or_string(ru.max_surge.as_ref(), "0")
            ),
        );
    }
    pod_template(w, Some(&spec.template));
    if let Some(conditions) = status.conditions.as_ref().filter(|c| !c.is_empty()) {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tReason");
        w.line(1, "----\t------\t------");
        for c in conditions {
            w.line(1, &format!("{} \t{}\t{}", c.type_, c.status, c.reason.as_deref().unwrap_or("")));
        }
    }
    // `deploymentutil.GetAllReplicaSets`: the ReplicaSets it controls; the new one has the
    // current template's hash.
    let namespace = meta.namespace.clone().unwrap_or_default();
    let sets: Vec<ObjectRef> = context
        .list("ReplicaSet", Some(&namespace))
        .into_iter()
        .filter(|o| controller_of(o.metadata()).is_some_and(|c| Some(&c.uid) == meta.uid.as_ref()))
        .collect();
    let template_labels = spec.template.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default();
    let is_new = |o: &ObjectRef| match o.as_ref() {
        Object::ReplicaSet(rs) => {
            let mut labels = rs
                .spec
                .as_ref()
                .and_then(|s| s.template.as_ref())
                .and_then(|t| t.metadata.as_ref())
                .and_then(|m| m.labels.clone())
                .unwrap_or_default();
            labels.remove("pod-template-hash");
            let same_template = rs.spec.as_ref().and_then(|s| s.template.as_ref()).map(|t| (&t.spec, labels))
                == Some((&spec.template.spec, template_labels.clone()));
            same_template
        }
        _ => false,
    };
    let describe_sets = |sets: Vec<&ObjectRef>| {
        let list: Vec<String> = sets
            .iter()
            .filter_map(|o| match o.as_ref() {
                Object::ReplicaSet(rs) => Some(format!(
                    "{} ({}/{} replicas created)",
                    rs.metadata.name.as_deref().unwrap_or(""),
                    rs.status.as_ref().map_or(0, |s| s.replicas),
                    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
                )),
                _ => None,
            })
            .collect();
        if list.is_empty() {
            "<none>".to_string()
        } else {
            list.join(", ")
        }
    };
    let (new, old): (Vec<&ObjectRef>, Vec<&ObjectRef>) = sets.iter().partition(|o| is_new(o));
    let old: Vec<&ObjectRef> = old.into_iter().filter(|o| o.metadata().name.is_some()).collect();
    w.line(0, &format!("OldReplicaSets:\t{}", describe_sets(old)));
    w.line(0, &format!("NewReplicaSet:\t{}", describe_sets(new.into_iter().take(1).collect())));
    events(context, w, meta, "Deployment");
}

/// Pods of a controller by phase: (running, waiting, succeeded, failed).
fn pod_phases(context: &mut Context, namespace: &str, owner_uid: Option<&String>) -> (usize, usize, usize, usize) {
    let mut counts = (0, 0, 0, 0);
    for o in context.list("Pod", Some(namespace)) {
        if let Object::Pod(p) = o.as_ref() {
            if controller_of(&p.metadata).is_none_or(|c| Some(&c.uid) != owner_uid) {
                continue;
            }
            match p.status.as_ref().and_then(|s| s.phase.as_deref()) {
                Some("Running") => counts.0 += 1,
                Some("Pending") => counts.1 += 1,
                Some("Succeeded") => counts.2 += 1,
                Some("Failed") => counts.3 += 1,
                _ => {}
            }
        }
    }
    counts
}

fn describe_replica_set(context: &mut Context, w: &mut Writer, rs: &k8s_openapi::api::apps::v1::ReplicaSet) {
    let meta = &rs.metadata;
    let spec = rs.spec.clone().unwrap_or_default();
    let namespace = meta.namespace.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    w.line(0, &format!("Selector:\t{}", format_selector(Some(&spec.selector))));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    if let Some(owner) = controller_of(meta) {
        w.line(0, &format!("Controlled By:\t{}/{}", owner.kind, owner.name));
    }
    w.line(0, &format!("Replicas:\t{} current / {} desired", rs.status.as_ref().map_or(0, |s| s.replicas), spec.replicas.unwrap_or(1)));
    let (running, waiting, succeeded, failed) = pod_phases(context, &namespace, meta.uid.as_ref());
    w.line(0, &format!("Pods Status:\t{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed"));
    pod_template(w, spec.template.as_ref());
    if let Some(conditions) = rs.status.as_ref().and_then(|s| s.conditions.as_ref()).filter(|c| !c.is_empty()) {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus\tReason");
        w.line(1, "----\t------\t------");
        for c in conditions {
            w.line(1, &format!("{} \t{}\t{}", c.type_, c.status, c.reason.as_deref().unwrap_or("")));
        }
    }
    events(context, w, meta, "ReplicaSet");
}

fn describe_service(context: &mut Context, w: &mut Writer, svc: &k8s_openapi::api::core::v1::Service) {
    let meta = &svc.metadata;
    let spec = svc.spec.clone().unwrap_or_default();
    let namespace = meta.namespace.clone().unwrap_or_default();
    let name = meta.name.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, &format!("Selector:\t{}", super::printers::format_labels(spec.selector.as_ref())));
    w.line(0, &format!("Type:\t{}", spec.type_.as_deref().unwrap_or("")));
    if let Some(policy) = &spec.ip_family_policy {
        w.line(0, &format!("IP Family Policy:\t{policy}"));
    }
    let families = spec.ip_families.clone().unwrap_or_default();
    w.line(0, &format!("IP Families:\t{}", if families.is_empty() { "<none>".to_string() } else { families.join(",") }));
    w.line(0, &format!("IP:\t{}", spec.cluster_ip.as_deref().unwrap_or("")));
    let ips = spec.cluster_ips.clone().unwrap_or_default();
    w.line(0, &format!("IPs:\t{}", if ips.is_empty() { "<none>".to_string() } else { ips.join(",") }));
    if let Some(external) = spec.external_ips.as_ref().filter(|e| !e.is_empty()) {
        w.line(0, &format!("External IPs:\t{}", external.join(",")));
    }
    if let Some(ip) = spec.load_balancer_ip.as_ref().filter(|e| !e.is_empty()) {
        w.line(0, &format!("Desired LoadBalancer IP:\t{ip}"));
    }
    if let Some(external) = spec.external_name.as_ref().filter(|e| !e.is_empty()) {
        w.line(0, &format!("External Name:\t{external}"));
    }
    // `buildIngressString`: each point's IP with its ipMode, or its hostname.
    let ingress: Vec<String> = svc
        .status
        .iter()
        .flat_map(|s| s.load_balancer.iter().flat_map(|lb| lb.ingress.iter().flatten()))
        .map(|i| match (i.ip.as_deref().filter(|ip| !ip.is_empty()), &i.ip_mode) {
            (Some(ip), Some(mode)) => format!("{ip} ({mode})"),
            (Some(ip), None) => ip.to_string(),
            (None, _) => i.hostname.clone().unwrap_or_default(),
        })
        .collect();
    if !ingress.is_empty() {
        w.line(0, &format!("LoadBalancer Ingress:\t{}", ingress.join(", ")));
    }
    let slices = service_slices(context, &namespace, &name);
    for port in spec.ports.iter().flatten() {
        let port_name = port.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "<unset>".to_string());
        let protocol = port.protocol.as_deref().unwrap_or("TCP");
        w.line(0, &format!("Port:\t{port_name}\t{}/{protocol}", port.port));
        w.line(0, &format!("TargetPort:\t{}/{protocol}", int_or_string(port.target_port.as_ref(), &port.port.to_string())));
        if let Some(node_port) = port.node_port.filter(|n| *n != 0) {
            w.line(0, &format!("NodePort:\t{port_name}\t{node_port}/{protocol}"));
        }
        w.line(0, &format!("Endpoints:\t{}", slice_endpoints(&slices, port.name.as_deref().unwrap_or(""))));
    }
    w.line(0, &format!("Session Affinity:\t{}", spec.session_affinity.as_deref().unwrap_or("")));
    if let Some(policy) = spec.external_traffic_policy.as_ref().filter(|p| !p.is_empty()) {
        w.line(0, &format!("External Traffic Policy:\t{policy}"));
    }
    if let Some(policy) = &spec.internal_traffic_policy {
        w.line(0, &format!("Internal Traffic Policy:\t{policy}"));
    }
    if let Some(port) = spec.health_check_node_port.filter(|p| *p != 0) {
        w.line(0, &format!("HealthCheck NodePort:\t{port}"));
    }
    if let Some(ranges) = spec.load_balancer_source_ranges.as_ref().filter(|r| !r.is_empty()) {
        w.line(0, &format!("LoadBalancer Source Ranges:\t{}", ranges.join(",")));
    }
    events(context, w, meta, "Service");
}

/// The EndpointSlices of a Service (label `kubernetes.io/service-name`).
fn service_slices(context: &mut Context, namespace: &str, service: &str) -> Vec<ObjectRef> {
    context
        .list("EndpointSlice", Some(namespace))
        .into_iter()
        .filter(|o| o.metadata().labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name")).map(String::as_str) == Some(service))
        .collect()
}

/// kubectl's Ingress describer (`describeIngressV1`): Name, Labels, Namespace, Address, class,
/// default backend, TLS, then the Rules table with each backend's endpoints.
fn describe_ingress(context: &mut Context, w: &mut Writer, ingress: &k8s_openapi::api::networking::v1::Ingress) {
    let meta = &ingress.metadata;
    let spec = ingress.spec.clone().unwrap_or_default();
    let namespace = meta.namespace.clone().unwrap_or_default();
    w.line(0, &format!("Name:\t{}", meta.name.as_deref().unwrap_or("")));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    w.line(0, &format!("Namespace:\t{namespace}"));
    w.line(0, &format!("Address:\t{}", super::printers::ingress_addresses(ingress)));
    w.line(0, &format!("Ingress Class:\t{}", spec.ingress_class_name.as_deref().unwrap_or("<none>")));
    let default_backend = spec.default_backend.as_ref().map_or("<default>".to_string(), |b| ingress_backend(context, &namespace, b));
    w.line(0, &format!("Default backend:\t{default_backend}"));
    if let Some(tls) = spec.tls.as_ref().filter(|t| !t.is_empty()) {
        w.line(0, "TLS:");
        for t in tls {
            let hosts = t.hosts.clone().unwrap_or_default().join(",");
            match t.secret_name.as_deref().filter(|s| !s.is_empty()) {
                Some(secret) => w.line(1, &format!("{secret} terminates {hosts}")),
                None => w.line(1, &format!("SNI routes {hosts}")),
            }
        }
    }
    w.line(0, "Rules:");
    w.line(1, "Host\tPath\tBackends");
    w.line(1, "----\t----\t--------");
    let mut count = 0;
    for rule in spec.rules.iter().flatten() {
        let Some(http) = &rule.http else { continue };
        count += 1;
        w.line(1, &format!("{}\t", rule.host.as_deref().filter(|h| !h.is_empty()).unwrap_or("*")));
        for path in &http.paths {
            let backend = ingress_backend(context, &namespace, &path.backend);
            w.line(2, &format!("\t{} \t{backend}", path.path.as_deref().unwrap_or("")));
        }
    }
    if count == 0 {
        w.line(1, &format!("*\t*\t{default_backend}"));
    }
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    events(context, w, meta, "Ingress");
}

/// `describeBackendV1`: `svc:port (endpoints)`, or the error reading the Service.
fn ingress_backend(context: &mut Context, namespace: &str, backend: &k8s_openapi::api::networking::v1::IngressBackend) -> String {
    if let Some(resource) = &backend.resource {
        let group = resource.api_group.as_deref().unwrap_or("<none>");
        return format!("APIGroup: {group}, Kind: {}, Name: {}", resource.kind, resource.name);
    }
    let Some(service) = &backend.service else { return String::new() };
    let port = service.port.clone().unwrap_or_default();
    let number = port.number.filter(|n| *n != 0);
    let name = port.name.clone().filter(|n| !n.is_empty());
    let shown = format!("{}:{}", service.name, number.map_or(name.clone().unwrap_or_default(), |n| n.to_string()));
    let key = Key::new("Service", namespace, &service.name);
    let svc = match context.cluster.request(Component::Kubectl, |c| c.get(&key)) {
        Ok(o) => o,
        Err(e) => return format!("{shown} (<error: {}>)", e.message),
    };
    let Object::Service(svc) = svc.as_ref() else { return shown };
    let port_name = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .rfind(|p| number == Some(p.port) || (name.is_some() && p.name == name))
        .and_then(|p| p.name.clone())
        .unwrap_or_default();
    let slices = service_slices(context, namespace, &service.name);
    format!("{shown} ({})", slice_endpoints(&slices, &port_name))
}

/// kubectl's IngressClass describer.
fn describe_ingress_class(context: &mut Context, w: &mut Writer, class: &k8s_openapi::api::networking::v1::IngressClass) {
    let meta = &class.metadata;
    let spec = class.spec.clone().unwrap_or_default();
    w.line(0, &format!("Name:\t{}", meta.name.as_deref().unwrap_or("")));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, &format!("Controller:\t{}", spec.controller.unwrap_or_default()));
    if let Some(parameters) = spec.parameters {
        w.line(0, "Parameters:");
        if let Some(group) = parameters.api_group {
            w.line(1, &format!("APIGroup:\t{group}"));
        }
        w.line(1, &format!("Kind:\t{}", parameters.kind));
        w.line(1, &format!("Name:\t{}", parameters.name));
    }
    events(context, w, meta, "IngressClass");
}

/// `formatEndpointSlices`: the ready `ip:port`s of a service port, the first three and
/// `+ N more...`; `<none>` without slices.
fn slice_endpoints(slices: &[ObjectRef], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".to_string();
    }
    let mut list = Vec::new();
    for o in slices {
        let Object::EndpointSlice(slice) = o.as_ref() else { continue };
        for port in slice.ports.iter().flatten().filter(|p| p.name.as_deref().unwrap_or("") == port_name) {
            for endpoint in slice.endpoints.iter().filter(|e| e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true)) {
                for address in &endpoint.addresses {
                    list.push(format!("{address}:{}", port.port.unwrap_or(0)));
                }
            }
        }
    }
    if list.len() > 3 {
        format!("{} + {} more...", list[..3].join(","), list.len() - 3)
    } else {
        list.join(",")
    }
}

fn describe_job(context: &mut Context, w: &mut Writer, job: &k8s_openapi::api::batch::v1::Job) {
    let meta = &job.metadata;
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    name_and_namespace(w, meta);
    w.line(0, &format!("Selector:\t{}", format_selector(spec.selector.as_ref())));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    if let Some(owner) = controller_of(meta) {
        w.line(0, &format!("Controlled By:\t{}/{}", owner.kind, owner.name));
    }
    if let Some(p) = spec.parallelism {
        w.line(0, &format!("Parallelism:\t{p}"));
    }
    w.line(0, &format!("Completions:\t{}", spec.completions.map_or("<unset>".to_string(), |c| c.to_string())));
    if let Some(mode) = &spec.completion_mode {
        w.line(0, &format!("Completion Mode:\t{mode}"));
    }
    if let Some(suspend) = spec.suspend {
        w.line(0, &format!("Suspend:\t{suspend}"));
    }
    if let Some(limit) = spec.backoff_limit {
        w.line(0, &format!("Backoff Limit:\t{limit}"));
    }
    if let Some(ttl) = spec.ttl_seconds_after_finished {
        w.line(0, &format!("TTL Seconds After Finished:\t{ttl}"));
    }
    if let Some(start) = &status.start_time {
        w.line(0, &format!("Start Time:\t{}", rfc1123z(start)));
    }
    if let Some(done) = &status.completion_time {
        w.line(0, &format!("Completed At:\t{}", rfc1123z(done)));
        let started = status.start_time.as_ref().map_or(0, virtual_ms);
        w.line(0, &format!("Duration:\t{}", human_duration(virtual_ms(done) as i64 - started as i64)));
    }
    if let Some(deadline) = spec.active_deadline_seconds {
        w.line(0, &format!("Active Deadline Seconds:\t{deadline}s"));
    }
    let (active, succeeded, failed) = (status.active.unwrap_or(0), status.succeeded.unwrap_or(0), status.failed.unwrap_or(0));
    match status.ready {
        None => w.line(0, &format!("Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed")),
        Some(ready) => w.line(0, &format!("Pods Statuses:\t{active} Active ({ready} Ready) / {succeeded} Succeeded / {failed} Failed")),
    }
    pod_template(w, Some(&spec.template));
    events(context, w, meta, "Job");
}

fn describe_config_map(context: &mut Context, w: &mut Writer, cm: &k8s_openapi::api::core::v1::ConfigMap) {
    let meta = &cm.metadata;
    name_and_namespace(w, meta);
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, "");
    w.line(0, "Data");
    w.line(0, "====");
    for (key, value) in cm.data.iter().flatten() {
        w.line(0, &format!("{key}:"));
        w.line(0, "----");
        w.line(0, value);
    }
    w.line(0, "");
    w.line(0, "BinaryData");
    w.line(0, "====");
    for (key, value) in cm.binary_data.iter().flatten() {
        w.line(0, &format!("{key}: {} bytes", value.0.len()));
    }
    w.line(0, "");
    events(context, w, meta, "ConfigMap");
}

/// `describeSecret`: sizes of the values, never the values (no events).
fn describe_secret(w: &mut Writer, secret: &k8s_openapi::api::core::v1::Secret) {
    let meta = &secret.metadata;
    name_and_namespace(w, meta);
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, "");
    let type_ = secret.type_.as_deref().unwrap_or("");
    w.line(0, &format!("Type:\t{type_}"));
    w.line(0, "");
    w.line(0, "Data");
    w.line(0, "====");
    for (key, value) in secret.data.iter().flatten() {
        if key == "token" && type_ == "kubernetes.io/service-account-token" {
            w.line(0, &format!("{key}:\t{}", String::from_utf8_lossy(&value.0)));
        } else {
            w.line(0, &format!("{key}:\t{} bytes", value.0.len()));
        }
    }
}

fn describe_namespace(context: &mut Context, w: &mut Writer, ns: &k8s_openapi::api::core::v1::Namespace) {
    let meta = &ns.metadata;
    let name = meta.name.clone().unwrap_or_default();
    w.line(0, &format!("Name:\t{name}"));
    labels_multiline(w, 0, "Labels", meta.labels.as_ref());
    annotations_multiline(w, 0, "Annotations", meta.annotations.as_ref());
    w.line(0, &format!("Status:\t{}", ns.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")));
    w.line(0, "");
    if context.list("ResourceQuota", Some(&name)).is_empty() {
        w.line(0, "No resource quota.");
    } else {
        w.line(0, "Resource Quotas");
    }
    w.line(0, "");
    if context.list("LimitRange", Some(&name)).is_empty() {
        w.line(0, "No LimitRange resource.");
    } else {
        w.line(0, "Resource Limits");
    }
}
