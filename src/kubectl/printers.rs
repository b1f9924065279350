//! The table columns of every kind, as the API server's table printers fill them
//! (`pkg/printers/internalversion/printers.go`, `AddHandlers` and the `print*` functions).
//! Columns of priority 1 appear only with `-o wide`.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::table::human_duration;
use crate::api::status::{node_roles, node_status, pod_status};
use crate::api::{KindInfo, Object};
use crate::apiserver::virtual_ms;

/// The column headers of a kind, with `-o wide`'s columns when `wide`.
pub fn columns(kind: &KindInfo, wide: bool) -> Vec<&'static str> {
    let (base, extra) = headers(kind);
    interleave(kind, base.to_vec(), if wide { extra.to_vec() } else { Vec::new() })
}

/// The cells of an object's row, with `-o wide`'s cells when `wide`.
pub fn cells(object: &Object, now: u64, wide: bool) -> Vec<String> {
    let (base, extra) = row(object, now);
    interleave(object.kind(), base, if wide { extra } else { Vec::new() })
}

/// Wide columns follow the default ones, except an event's SUBOBJECT and SOURCE, which come
/// before MESSAGE (their place in `eventColumnDefinitions`).
fn interleave<T>(kind: &KindInfo, mut base: Vec<T>, mut extra: Vec<T>) -> Vec<T> {
    if kind.kind == "Event" && extra.len() >= 2 && base.len() == 5 {
        let message = base.split_off(4);
        base.extend(extra.drain(..2));
        base.extend(message);
    }
    base.extend(extra);
    base
}

/// The column headers of a kind: the default ones and those `-o wide` adds.
fn headers(kind: &KindInfo) -> (&'static [&'static str], &'static [&'static str]) {
    const TEMPLATE: &[&str] = &["CONTAINERS", "IMAGES", "SELECTOR"];
    match kind.kind {
        "ConfigMap" => (&["NAME", "DATA", "AGE"], &[]),
        "Endpoints" => (&["NAME", "ENDPOINTS", "AGE"], &[]),
        "Event" => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &["SUBOBJECT", "SOURCE", "FIRST SEEN", "COUNT", "NAME"]),
        "LimitRange" => (&["NAME", "CREATED AT"], &[]),
        "Namespace" => (&["NAME", "STATUS", "AGE"], &[]),
        "Node" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
        ),
        "PersistentVolumeClaim" => {
            (&["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"], &["VOLUMEMODE"])
        }
        "PersistentVolume" => (
            &[
                "NAME",
                "CAPACITY",
                "ACCESS MODES",
                "RECLAIM POLICY",
                "STATUS",
                "CLAIM",
                "STORAGECLASS",
                "VOLUMEATTRIBUTESCLASS",
                "REASON",
                "AGE",
            ],
            &["VOLUMEMODE"],
        ),
        "Pod" => (&["NAME", "READY", "STATUS", "RESTARTS", "AGE"], &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]),
        "ResourceQuota" => (&["NAME", "REQUEST", "LIMIT", "AGE"], &[]),
        "Secret" => (&["NAME", "TYPE", "DATA", "AGE"], &[]),
        "Service" => (&["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], &["SELECTOR"]),
        "DaemonSet" => (&["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"], TEMPLATE),
        "Deployment" => (&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], TEMPLATE),
        "ReplicaSet" => (&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], TEMPLATE),
        "StatefulSet" => (&["NAME", "READY", "AGE"], &["CONTAINERS", "IMAGES"]),
        "HorizontalPodAutoscaler" => (&["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], &[]),
        "CronJob" => (&["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"], TEMPLATE),
        "Job" => (&["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], TEMPLATE),
        "Lease" => (&["NAME", "HOLDER", "AGE"], &[]),
        "EndpointSlice" => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        "NetworkPolicy" => (&["NAME", "POD-SELECTOR", "AGE"], &[]),
        "Ingress" => (&["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], &[]),
        "IngressClass" => (&["NAME", "CONTROLLER", "PARAMETERS", "AGE"], &[]),
        "PodDisruptionBudget" => (&["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], &[]),
        "PriorityClass" => (&["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"], &[]),
        // The VPA CRD's additionalPrinterColumns.
        "VerticalPodAutoscaler" => (&["NAME", "MODE", "CPU", "MEM", "PROVIDED", "AGE"], &[]),
        _ => (&["NAME", "AGE"], &[]),
    }
}

/// `translateTimestampSince`: the age of a timestamp, `<unknown>` when it is unset.
pub fn age(time: Option<&Time>, now: u64) -> String {
    time.map_or("<unknown>".to_string(), |t| human_duration(now as i64 - virtual_ms(t) as i64))
}

fn or_none(value: Option<String>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or_else(|| "<none>".to_string())
}

/// `labels.FormatLabels`: `k=v,k2=v2` in key order, or `<none>`.
pub fn format_labels(labels: Option<&BTreeMap<String, String>>) -> String {
    let text: Vec<String> = labels.into_iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    or_none(Some(text.join(",")))
}

/// `metav1.FormatLabelSelector`: `app=web,tier in (a,b)`, or `<none>`.
pub fn format_selector(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else { return "<none>".to_string() };
    let mut parts: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!("{} {} ({values})", e.key, op.to_lowercase()),
        });
    }
    or_none(Some(parts.join(",")))
}

/// `layoutContainerCells`: container names and images, comma-joined.
fn containers(spec: Option<&PodSpec>) -> [String; 2] {
    let containers: &[Container] = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers.iter().map(|c| c.image.as_deref().unwrap_or("")).collect();
    [names.join(","), images.join(",")]
}

fn int_or_string(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// `helper.GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order.
fn access_modes(modes: Option<&Vec<String>>) -> String {
    let modes = modes.cloned().unwrap_or_default();
    let known = [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")];
    known.iter().filter(|(long, _)| modes.iter().any(|m| m == long)).map(|(_, short)| *short).collect::<Vec<_>>().join(",")
}

/// `listWithMoreString`: the first three items, `+ N more...`, or `<unset>`.
fn list_with_more(items: &[String]) -> String {
    const MAX: usize = 3;
    if items.len() > MAX {
        return format!("{} + {} more...", items[..MAX].join(","), items.len() - MAX);
    }
    if items.is_empty() {
        "<unset>".to_string()
    } else {
        items.join(",")
    }
}

/// One table row of an object: the default cells, then the `-o wide` ones.
fn row(object: &Object, now: u64) -> (Vec<String>, Vec<String>) {
    let meta = object.metadata();
    let name = meta.name.clone().unwrap_or_default();
    let created = age(meta.creation_timestamp.as_ref(), now);
    match object {
        Object::ConfigMap(cm) => {
            let data = cm.data.as_ref().map_or(0, BTreeMap::len) + cm.binary_data.as_ref().map_or(0, BTreeMap::len);
            (vec![name, data.to_string(), created], vec![])
        }
        Object::Endpoints(ep) => (vec![name, endpoints(ep), created], vec![]),
        Object::Event(e) => event_row(e, now),
        Object::LimitRange(_) => {
            let at = meta.creation_timestamp.as_ref().map_or(String::new(), |t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
            (vec![name, at], vec![])
        }
        Object::Namespace(ns) => (vec![name, ns.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default(), created], vec![]),
        Object::Node(node) => {
            let info = node.status.as_ref().and_then(|s| s.node_info.clone()).unwrap_or_default();
            let addresses = node.status.as_ref().and_then(|s| s.addresses.clone()).unwrap_or_default();
            let address = |t: &str| or_none(addresses.iter().find(|a| a.type_ == t).map(|a| a.address.clone()));
            let unknown = |s: String| if s.is_empty() { "<unknown>".to_string() } else { s };
            (
                vec![name, node_status(node), node_roles(node), created, info.kubelet_version],
                vec![
                    address("InternalIP"),
                    address("ExternalIP"),
                    unknown(info.os_image),
                    unknown(info.kernel_version),
                    unknown(info.container_runtime_version),
                ],
            )
        }
        Object::PersistentVolumeClaim(pvc) => {
            let spec = pvc.spec.clone().unwrap_or_default();
            let status = pvc.status.clone().unwrap_or_default();
            let phase = if meta.deletion_timestamp.is_some() { "Terminating".to_string() } else { status.phase.unwrap_or_default() };
            let volume = spec.volume_name.clone().unwrap_or_default();
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                let storage = status.capacity.as_ref().and_then(|c| c.get("storage")).map_or("0".to_string(), |q| q.0.clone());
                (storage, access_modes(status.access_modes.as_ref()))
            };
            let class = spec.storage_class_name.unwrap_or_default();
            let attributes = spec.volume_attributes_class_name.unwrap_or_else(|| "<unset>".to_string());
            (
                vec![name, phase, volume, capacity, modes, class, attributes, created],
                vec![spec.volume_mode.unwrap_or_else(|| "<unset>".to_string())],
            )
        }
        Object::PersistentVolume(pv) => {
            let spec = pv.spec.clone().unwrap_or_default();
            let status = pv.status.clone().unwrap_or_default();
            let phase = if meta.deletion_timestamp.is_some() { "Terminating".to_string() } else { status.phase.unwrap_or_default() };
            let claim = spec
                .claim_ref
                .as_ref()
                .map_or(String::new(), |c| format!("{}/{}", c.namespace.as_deref().unwrap_or(""), c.name.as_deref().unwrap_or("")));
            let capacity = spec.capacity.as_ref().and_then(|c| c.get("storage")).map_or("0".to_string(), |q| q.0.clone());
            (
                vec![
                    name,
                    capacity,
                    access_modes(spec.access_modes.as_ref()),
                    spec.persistent_volume_reclaim_policy.unwrap_or_default(),
                    phase,
                    claim,
                    spec.storage_class_name.unwrap_or_default(),
                    spec.volume_attributes_class_name.unwrap_or_else(|| "<unset>".to_string()),
                    status.reason.unwrap_or_default(),
                    created,
                ],
                vec![spec.volume_mode.unwrap_or_else(|| "<unset>".to_string())],
            )
        }
        Object::Pod(pod) => {
            let (status, ready, restarts) = pod_status(pod);
            let s = pod.status.as_ref();
            let spec = pod.spec.as_ref();
            let ip = s.and_then(|s| s.pod_ips.as_ref()).and_then(|ips| ips.first()).map(|ip| ip.ip.clone());
            let gates = spec.and_then(|s| s.readiness_gates.as_ref()).filter(|g| !g.is_empty()).map(|gates| {
                let conditions = s.and_then(|s| s.conditions.clone()).unwrap_or_default();
                let passed = gates
                    .iter()
                    .filter(|g| conditions.iter().find(|c| c.type_ == g.condition_type).is_some_and(|c| c.status == "True"))
                    .count();
                format!("{passed}/{}", gates.len())
            });
            (
                vec![name, ready, status, restart_cell(pod, restarts, now), created],
                vec![
                    or_none(ip.or_else(|| s.and_then(|s| s.pod_ip.clone()))),
                    or_none(spec.and_then(|s| s.node_name.clone())),
                    or_none(s.and_then(|s| s.nominated_node_name.clone())),
                    or_none(gates),
                ],
            )
        }
        Object::ResourceQuota(q) => {
            let status = q.status.clone().unwrap_or_default();
            let (mut requests, mut limits) = (Vec::new(), Vec::new());
            for (resource, hard) in status.hard.iter().flatten() {
                let used = status.used.as_ref().and_then(|u| u.get(resource)).map_or("0".to_string(), |q| q.0.clone());
                let cell = format!("{resource}: {used}/{}", hard.0);
                if resource.split('.').next() == Some("limits") && resource.contains('.') {
                    limits.push(cell);
                } else {
                    requests.push(cell);
                }
            }
            (vec![name, requests.join(", "), limits.join(", "), created], vec![])
        }
        Object::Secret(secret) => {
            let data = secret.data.as_ref().map_or(0, BTreeMap::len);
            (vec![name, secret.type_.clone().unwrap_or_default(), data.to_string(), created], vec![])
        }
        Object::Service(svc) => service_row(svc, name, created),
        Object::DaemonSet(ds) => {
            let s = ds.status.clone().unwrap_or_default();
            let spec = ds.spec.as_ref();
            let pod_spec = spec.and_then(|s| s.template.spec.as_ref());
            let mut wide = containers(pod_spec).to_vec();
            wide.push(format_selector(spec.map(|s| &s.selector)));
            (
                vec![
                    name,
                    s.desired_number_scheduled.to_string(),
                    s.current_number_scheduled.to_string(),
                    s.number_ready.to_string(),
                    s.updated_number_scheduled.unwrap_or(0).to_string(),
                    s.number_available.unwrap_or(0).to_string(),
                    format_labels(pod_spec.and_then(|s| s.node_selector.as_ref())),
                    created,
                ],
                wide,
            )
        }
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            let s = d.status.clone().unwrap_or_default();
            let replicas = spec.and_then(|s| s.replicas).unwrap_or(0);
            let mut wide = containers(spec.and_then(|s| s.template.spec.as_ref())).to_vec();
            wide.push(format_selector(spec.map(|s| &s.selector)));
            (
                vec![
                    name,
                    format!("{}/{replicas}", s.ready_replicas.unwrap_or(0)),
                    s.updated_replicas.unwrap_or(0).to_string(),
                    s.available_replicas.unwrap_or(0).to_string(),
                    created,
                ],
                wide,
            )
        }
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref();
            let s = rs.status.clone().unwrap_or_default();
            let mut wide = containers(spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref())).to_vec();
            wide.push(format_selector(spec.map(|s| &s.selector)));
            (
                vec![
                    name,
                    spec.and_then(|s| s.replicas).unwrap_or(0).to_string(),
                    s.replicas.to_string(),
                    s.ready_replicas.unwrap_or(0).to_string(),
                    created,
                ],
                wide,
            )
        }
        Object::StatefulSet(sts) => {
            let spec = sts.spec.as_ref();
            let ready = sts.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
            let replicas = spec.and_then(|s| s.replicas).unwrap_or(0);
            (vec![name, format!("{ready}/{replicas}"), created], containers(spec.and_then(|s| s.template.spec.as_ref())).to_vec())
        }
        Object::HorizontalPodAutoscaler(hpa) => {
            let spec = hpa.spec.clone().unwrap_or_default();
            let status = hpa.status.clone().unwrap_or_default();
            let reference = format!("{}/{}", spec.scale_target_ref.kind, spec.scale_target_ref.name);
            let metrics = hpa_metrics(spec.metrics.as_deref().unwrap_or_default(), status.current_metrics.as_deref().unwrap_or_default());
            let min = spec.min_replicas.map_or("<unset>".to_string(), |m| m.to_string());
            (
                vec![
                    name,
                    reference,
                    metrics,
                    min,
                    spec.max_replicas.to_string(),
                    status.current_replicas.unwrap_or(0).to_string(),
                    created,
                ],
                vec![],
            )
        }
        Object::CronJob(cj) => {
            let spec = cj.spec.clone().unwrap_or_default();
            let status = cj.status.clone().unwrap_or_default();
            let last = status.last_schedule_time.as_ref().map_or("<none>".to_string(), |t| age(Some(t), now));
            let job_spec = spec.job_template.spec.as_ref();
            let mut wide = containers(job_spec.and_then(|s| s.template.spec.as_ref())).to_vec();
            wide.push(format_selector(job_spec.and_then(|s| s.selector.as_ref())));
            (
                vec![
                    name,
                    spec.schedule.clone(),
                    spec.time_zone.clone().unwrap_or_else(|| "<none>".to_string()),
                    bool_ptr(spec.suspend),
                    status.active.map_or(0, |a| a.len()).to_string(),
                    last,
                    created,
                ],
                wide,
            )
        }
        Object::Job(job) => job_row(job, name, created, now),
        Object::Lease(lease) => {
            let holder = lease.spec.as_ref().and_then(|s| s.holder_identity.clone()).unwrap_or_default();
            (vec![name, holder, created], vec![])
        }
        Object::Ingress(ingress) => (ingress_row(ingress, name, created), vec![]),
        Object::IngressClass(class) => {
            let spec = class.spec.clone().unwrap_or_default();
            let parameters = spec.parameters.map_or("<none>".to_string(), |p| match p.api_group {
                Some(group) => format!("{group}/{}/{}", p.kind, p.name),
                None => format!("{}/{}", p.kind, p.name),
            });
            (vec![name, spec.controller.unwrap_or_default(), parameters, created], vec![])
        }
        Object::NetworkPolicy(policy) => {
            let selector = policy.spec.as_ref().and_then(|s| s.pod_selector.as_ref());
            (vec![name, format_selector(Some(selector.unwrap_or(&LabelSelector::default()))), created], vec![])
        }
        Object::EndpointSlice(slice) => {
            let ports: Vec<String> = slice
                .ports
                .iter()
                .flatten()
                .map(|p| p.port.map(|n| n.to_string()).or_else(|| p.name.clone()).unwrap_or_else(|| "*".to_string()))
                .collect();
            let addresses: Vec<String> = slice.endpoints.iter().flat_map(|e| e.addresses.iter().cloned()).collect();
            (vec![name, slice.address_type.clone(), list_with_more(&ports), list_with_more(&addresses), created], vec![])
        }
        Object::PodDisruptionBudget(pdb) => {
            let spec = pdb.spec.clone().unwrap_or_default();
            let na = |v: Option<IntOrString>| v.as_ref().map_or("N/A".to_string(), int_or_string);
            let allowed = pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed);
            (vec![name, na(spec.min_available), na(spec.max_unavailable), allowed.to_string(), created], vec![])
        }
        Object::PriorityClass(pc) => {
            let global = pc.global_default.unwrap_or(false);
            (vec![name, pc.value.to_string(), global.to_string(), created, pc.preemption_policy.clone().unwrap_or_default()], vec![])
        }
        Object::VerticalPodAutoscaler(vpa) => {
            // A CRD column whose JSONPath finds nothing prints empty.
            let mode = vpa.spec.as_ref().and_then(|s| s.update_policy.as_ref()).and_then(|p| p.update_mode.clone()).unwrap_or_default();
            let status = vpa.status.as_ref();
            let first =
                status.and_then(|s| s.recommendation.as_ref()).and_then(|r| r.container_recommendations.as_ref()).and_then(|r| r.first());
            let target = |r: &str| first.and_then(|c| c.target.get(r)).map_or(String::new(), |q| q.0.clone());
            let provided = status
                .and_then(|s| s.conditions.as_ref())
                .and_then(|c| c.iter().find(|c| c.type_ == "RecommendationProvided"))
                .map_or(String::new(), |c| c.status.clone());
            (vec![name, mode, target("cpu"), target("memory"), provided, created], vec![])
        }
    }
}

/// RESTARTS: the count, and how long ago the last container restart finished (`5 (2m3s ago)`).
fn restart_cell(pod: &k8s_openapi::api::core::v1::Pod, restarts: i32, now: u64) -> String {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    let last = statuses
        .into_iter()
        .flatten()
        .filter_map(|c| c.last_state.as_ref()?.terminated.as_ref()?.finished_at.as_ref())
        .max_by_key(|t| virtual_ms(t));
    match last {
        Some(finished) if restarts != 0 => format!("{restarts} ({} ago)", age(Some(finished), now)),
        _ => restarts.to_string(),
    }
}

/// `printBoolPtr`: `True`, `False`, or `<unset>`.
fn bool_ptr(value: Option<bool>) -> String {
    match value {
        Some(true) => "True".to_string(),
        Some(false) => "False".to_string(),
        None => "<unset>".to_string(),
    }
}

/// `formatEndpoints`: `ip:port` pairs, the first three and `+ N more...`, or `<none>`.
fn endpoints(ep: &k8s_openapi::api::core::v1::Endpoints) -> String {
    let subsets = ep.subsets.as_deref().unwrap_or_default();
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list = Vec::new();
    for subset in subsets {
        let addresses = subset.addresses.as_deref().unwrap_or_default();
        match subset.ports.as_deref() {
            None | Some([]) => list.extend(addresses.iter().map(|a| a.ip.clone())),
            Some(ports) => {
                for port in ports {
                    list.extend(addresses.iter().map(|a| join_host_port(&a.ip, port.port)));
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

/// `net.JoinHostPort`: IPv6 addresses in brackets.
fn join_host_port(ip: &str, port: i32) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

fn event_row(e: &k8s_openapi::api::core::v1::Event, now: u64) -> (Vec<String>, Vec<String>) {
    let first = match &e.first_timestamp {
        Some(t) => age(Some(t), now),
        None => e.event_time.as_ref().map_or("<unknown>".to_string(), |t| age(Some(&Time(t.0)), now)),
    };
    let mut last = e.last_timestamp.as_ref().map_or(first.clone(), |t| age(Some(t), now));
    let mut count = e.count.filter(|c| *c != 0).unwrap_or(1);
    if let Some(series) = &e.series {
        last = series.last_observed_time.as_ref().map_or("<unknown>".to_string(), |t| age(Some(&Time(t.0)), now));
        count = series.count.unwrap_or(count);
    }
    let involved = &e.involved_object;
    let kind = involved.kind.as_deref().unwrap_or("").to_lowercase();
    let target = match involved.name.as_deref() {
        Some(n) if !n.is_empty() => format!("{kind}/{n}"),
        _ => kind,
    };
    let source = e.source.clone().unwrap_or_default();
    let component = source.component.filter(|c| !c.is_empty()).or(e.reporting_component.clone()).unwrap_or_default();
    let host = source.host.filter(|h| !h.is_empty()).or(e.reporting_instance.clone()).unwrap_or_default();
    let source = if host.is_empty() { component } else { format!("{component}, {host}") };
    (
        vec![
            last,
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            target,
            e.message.as_deref().unwrap_or("").trim().to_string(),
        ],
        vec![
            involved.field_path.clone().unwrap_or_default(),
            source,
            first,
            count.to_string(),
            e.metadata.name.clone().unwrap_or_default(),
        ],
    )
}

/// `printIngress`: the class (`<none>`), up to three hosts (`*` for none, then `+ N more...`),
/// the load balancer's addresses, and `80` or `80, 443` with TLS.
fn ingress_row(ingress: &k8s_openapi::api::networking::v1::Ingress, name: String, created: String) -> Vec<String> {
    let spec = ingress.spec.clone().unwrap_or_default();
    let class = spec.ingress_class_name.unwrap_or_else(|| "<none>".to_string());
    let rules = spec.rules.unwrap_or_default();
    let hosts: Vec<String> = rules.iter().filter_map(|r| r.host.clone().filter(|h| !h.is_empty())).take(3).collect();
    let hosts = match (hosts.is_empty(), rules.len() > 3) {
        (true, _) => "*".to_string(),
        (false, true) => format!("{} + {} more...", hosts.join(","), rules.len() - 3),
        (false, false) => hosts.join(","),
    };
    let ports = if spec.tls.is_some_and(|t| !t.is_empty()) { "80, 443" } else { "80" };
    vec![name, class, hosts, ingress_addresses(ingress), ports.to_string(), created]
}

/// `ingressLoadBalancerStatusStringer`: the sorted, distinct IPs (or hostnames) of an
/// Ingress's load balancer.
pub fn ingress_addresses(ingress: &k8s_openapi::api::networking::v1::Ingress) -> String {
    let points = ingress.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.clone()).unwrap_or_default();
    let set: std::collections::BTreeSet<String> =
        points.into_iter().filter_map(|i| i.ip.filter(|ip| !ip.is_empty()).or(i.hostname.filter(|h| !h.is_empty()))).collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

/// A LoadBalancer's ingress points: each one's IP, or its hostname.
pub fn load_balancer_ingress(svc: &k8s_openapi::api::core::v1::Service) -> Vec<String> {
    let ingress = svc.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.clone()).unwrap_or_default();
    ingress.into_iter().filter_map(|i| i.ip.filter(|ip| !ip.is_empty()).or(i.hostname.filter(|h| !h.is_empty()))).collect()
}

fn service_row(svc: &k8s_openapi::api::core::v1::Service, name: String, created: String) -> (Vec<String>, Vec<String>) {
    let spec = svc.spec.clone().unwrap_or_default();
    let type_ = spec.type_.clone().unwrap_or_default();
    let cluster_ip = spec.cluster_ips.as_ref().and_then(|ips| ips.first().cloned()).unwrap_or_else(|| "<none>".to_string());
    let external_ips = spec.external_ips.clone().unwrap_or_default();
    let external = match type_.as_str() {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let mut ingress = load_balancer_ingress(svc);
            ingress.sort();
            ingress.dedup();
            ingress.extend(external_ips);
            if ingress.is_empty() {
                "<pending>".to_string()
            } else {
                ingress.join(",")
            }
        }
        "ExternalName" => spec.external_name.clone().unwrap_or_default(),
        _ => "<unknown>".to_string(),
    };
    let ports: Vec<String> = spec
        .ports
        .iter()
        .flatten()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            match p.node_port.filter(|n| *n > 0) {
                Some(node_port) => format!("{}:{node_port}/{protocol}", p.port),
                None => format!("{}/{protocol}", p.port),
            }
        })
        .collect();
    (vec![name, type_, cluster_ip, external, or_none(Some(ports.join(","))), created], vec![format_labels(spec.selector.as_ref())])
}

fn job_row(job: &k8s_openapi::api::batch::v1::Job, name: String, created: String, now: u64) -> (Vec<String>, Vec<String>) {
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let succeeded = status.succeeded.unwrap_or(0);
    let completions = match (spec.completions, spec.parallelism.unwrap_or(0)) {
        (Some(c), _) => format!("{succeeded}/{c}"),
        (None, p) if p > 1 => format!("{succeeded}/1 of {p}"),
        _ => format!("{succeeded}/1"),
    };
    let duration = match (&status.start_time, &status.completion_time) {
        (None, _) => String::new(),
        (Some(start), None) => age(Some(start), now),
        (Some(start), Some(end)) => human_duration(virtual_ms(end) as i64 - virtual_ms(start) as i64),
    };
    let conditions = status.conditions.clone().unwrap_or_default();
    // `hasJobCondition`: the first condition of a type decides.
    let has = |t: &str| conditions.iter().find(|c| c.type_ == t).is_some_and(|c| c.status == "True");
    let state = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if job.metadata.deletion_timestamp.is_some() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let mut wide = containers(spec.template.spec.as_ref()).to_vec();
    wide.push(format_selector(spec.selector.as_ref()));
    (vec![name, state.to_string(), completions, duration, created], wide)
}

/// `formatHPAMetrics`: `cpu: 40%/50%`, `<unknown>` for a metric not measured yet, at most
/// two metrics and `+ N more...`; no metrics prints `<none>`.
fn hpa_metrics(
    specs: &[k8s_openapi::api::autoscaling::v2::MetricSpec],
    statuses: &[k8s_openapi::api::autoscaling::v2::MetricStatus],
) -> String {
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let quantity = |q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>| q.map_or("0".to_string(), |q| q.0.clone());
    let percent = |p: Option<i32>| p.map(|p| format!("{p}%"));
    let mut list = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i);
        let unknown = || "<unknown>".to_string();
        let cell = match spec.type_.as_str() {
            "Resource" | "ContainerResource" => {
                let (name, target, current) = match (&spec.resource, &spec.container_resource) {
                    (Some(r), _) => (r.name.clone(), r.target.clone(), status.and_then(|s| s.resource.as_ref()).map(|s| s.current.clone())),
                    (None, Some(r)) => {
                        (r.name.clone(), r.target.clone(), status.and_then(|s| s.container_resource.as_ref()).map(|s| s.current.clone()))
                    }
                    (None, None) => (String::new(), Default::default(), None),
                };
                if target.average_value.is_some() {
                    let current = current.map_or_else(unknown, |c| quantity(c.average_value.as_ref()));
                    format!("{name}: {current}/{}", quantity(target.average_value.as_ref()))
                } else {
                    let current = current.and_then(|c| percent(c.average_utilization)).unwrap_or_else(unknown);
                    let target = percent(target.average_utilization).unwrap_or_else(|| "<auto>".to_string());
                    format!("{name}: {current}/{target}")
                }
            }
            "Pods" => {
                let target = spec.pods.as_ref().map(|p| quantity(p.target.average_value.as_ref()));
                let current = status.and_then(|s| s.pods.as_ref()).map_or_else(unknown, |p| quantity(p.current.average_value.as_ref()));
                format!("{current}/{}", target.unwrap_or_default())
            }
            "Object" | "External" => {
                let (target, current) = match spec.type_.as_str() {
                    "Object" => {
                        (spec.object.as_ref().map(|o| o.target.clone()), status.and_then(|s| s.object.as_ref()).map(|o| o.current.clone()))
                    }
                    _ => (
                        spec.external.as_ref().map(|o| o.target.clone()),
                        status.and_then(|s| s.external.as_ref()).map(|o| o.current.clone()),
                    ),
                };
                let target = target.unwrap_or_default();
                if target.average_value.is_some() {
                    let current = current.and_then(|c| c.average_value).map_or_else(unknown, |q| q.0);
                    format!("{current}/{} (avg)", quantity(target.average_value.as_ref()))
                } else {
                    let current = current.map_or_else(unknown, |c| quantity(c.value.as_ref()));
                    format!("{current}/{}", quantity(target.value.as_ref()))
                }
            }
            _ => "<unknown type>".to_string(),
        };
        list.push(cell);
    }
    if list.len() > 2 {
        format!("{} + {} more...", list[..2].join(", "), list.len() - 2)
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::timestamp;
    use k8s_openapi::api::core::v1::{ContainerState, ContainerStateTerminated, ContainerStatus, Pod, PodStatus};

    #[test]
    fn restarts_say_how_long_ago_the_last_one_finished() {
        let status = ContainerStatus {
            name: "app".into(),
            restart_count: 2,
            last_state: Some(ContainerState {
                terminated: Some(ContainerStateTerminated { finished_at: Some(timestamp(10_000)), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let pod = Pod { status: Some(PodStatus { container_statuses: Some(vec![status]), ..Default::default() }), ..Default::default() };
        assert_eq!(restart_cell(&pod, 2, 70_000), "2 (60s ago)");
        assert_eq!(restart_cell(&pod, 0, 70_000), "0");
    }

    #[test]
    fn service_ports_and_external_ips() {
        let svc: k8s_openapi::api::core::v1::Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.0.10"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}
        }))
        .unwrap();
        let (cells, wide) = row(&Object::Service(svc), 0);
        assert_eq!(cells, ["web", "LoadBalancer", "10.96.0.10", "<pending>", "80:30080/TCP,53/UDP", "<unknown>"]);
        assert_eq!(wide, ["<none>"]);
    }
}
