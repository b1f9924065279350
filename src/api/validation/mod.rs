//! Validation with Kubernetes' field paths and messages
//! (`k8s.io/apimachinery/pkg/util/validation` and `pkg/apis/*/validation`).
use std::fmt;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

mod autoscaling;
mod cron;
mod ingress;
mod network_policy;
mod update;

pub use update::validate_update;

use super::labels::Selector;
use super::quantity;
use super::{Object, ObjectMeta};

/// One field error, printed `path: Type[: badValue][: detail]` as `field.Error` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub kind: &'static str,
    /// The bad value, already formatted as Go's `%q` / `%v` / `%#v` would print it.
    pub value: Option<String>,
    pub detail: String,
}

impl FieldError {
    pub fn required(path: &str, detail: &str) -> FieldError {
        FieldError { path: path.to_string(), kind: "Required value", value: None, detail: detail.to_string() }
    }
    pub fn invalid(path: &str, value: String, detail: &str) -> FieldError {
        FieldError { path: path.to_string(), kind: "Invalid value", value: Some(value), detail: detail.to_string() }
    }
    pub fn forbidden(path: &str, detail: &str) -> FieldError {
        FieldError { path: path.to_string(), kind: "Forbidden", value: None, detail: detail.to_string() }
    }
    pub fn duplicate(path: &str, value: String) -> FieldError {
        FieldError { path: path.to_string(), kind: "Duplicate value", value: Some(value), detail: String::new() }
    }
    /// `ValidateImmutableField`; `value` is the new value as Go prints it.
    pub fn immutable(path: &str, value: String) -> FieldError {
        FieldError::invalid(path, value, "field is immutable")
    }
    pub fn unsupported(path: &str, value: &str, supported: &[&str]) -> FieldError {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        FieldError {
            path: path.to_string(),
            kind: "Unsupported value",
            value: Some(format!("{value:?}")),
            detail: format!("supported values: {}", list.join(", ")),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.kind)?;
        if let Some(v) = &self.value {
            write!(f, ": {v}")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

const DNS1035_LABEL: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-') && b[0] != b'-' && b[b.len() - 1] != b'-'
}

/// A name rule's errors: the length limit, then the pattern's message.
fn name_errors(value: &str, max: usize, valid: bool, pattern_message: String) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > max {
        errs.push(format!("must be no more than {max} characters"));
    }
    if !valid {
        errs.push(pattern_message);
    }
    errs
}

/// Errors for a DNS-1123 label (namespaces, container names), as `IsDNS1123Label` words them.
pub fn dns1123_label(value: &str) -> Vec<String> {
    name_errors(value, 63, is_label(value), format!("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL}')"))
}

/// Errors for a DNS-1035 label (Service names), as `IsDNS1035Label` words them.
pub fn dns1035_label(value: &str) -> Vec<String> {
    let valid = is_label(value) && value.starts_with(|c: char| c.is_ascii_lowercase());
    name_errors(value, 63, valid, format!("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '{DNS1035_LABEL}')"))
}

/// Errors for a DNS-1123 subdomain (most object names), as `IsDNS1123Subdomain` words them.
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    name_errors(value, 253, value.split('.').all(is_label), format!("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_SUBDOMAIN}')"))
}

const QUALIFIED_NAME: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

fn is_qualified_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Label keys and values, as `ValidateLabels` words its errors (`IsQualifiedName`, `IsValidLabelValue`).
fn validate_labels(labels: &std::collections::BTreeMap<String, String>, path: &str, errs: &mut Vec<FieldError>) {
    for (key, value) in labels {
        let (prefix, name) = match key.split_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, key.as_str()),
        };
        if !is_qualified_part(name) {
            errs.push(FieldError::invalid(path, format!("{key:?}"), &format!("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED_NAME}')")));
        }
        if let Some(e) = prefix.and_then(|p| dns1123_subdomain(p).into_iter().next()) {
            errs.push(FieldError::invalid(path, format!("{key:?}"), &format!("prefix part {e}")));
        }
        if !value.is_empty() && !is_qualified_part(value) {
            errs.push(FieldError::invalid(path, format!("{value:?}"), &format!("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '({QUALIFIED_NAME})?')")));
        }
    }
}

fn validate_meta(meta: &ObjectMeta, namespaced: bool, name_rule: fn(&str) -> Vec<String>, errs: &mut Vec<FieldError>) {
    if let Some(labels) = &meta.labels {
        validate_labels(labels, "metadata.labels", errs);
    }
    match (&meta.name, &meta.generate_name) {
        (Some(name), _) if !name.is_empty() => {
            for e in name_rule(name) {
                errs.push(FieldError::invalid("metadata.name", format!("{name:?}"), &e));
            }
        }
        (_, Some(g)) if !g.is_empty() => {}
        _ => errs.push(FieldError::required("metadata.name", "name or generateName is required")),
    }
    if namespaced {
        if let Some(ns) = meta.namespace.as_deref().filter(|ns| !ns.is_empty()) {
            for e in dns1123_label(ns) {
                errs.push(FieldError::invalid("metadata.namespace", format!("{ns:?}"), &e));
            }
        }
    }
}

/// Everything the API server checks before it persists an object.
/// `MaxSecretSize`: a ConfigMap's or Secret's values may hold 1 MiB in all (`ValidateConfigMap`,
/// `ValidateSecret`; the error is about the whole object).
fn validate_data_size(sizes: impl Iterator<Item = usize>, errs: &mut Vec<FieldError>) {
    const MAX_SECRET_SIZE: usize = 1024 * 1024;
    if sizes.fold(0usize, usize::saturating_add) > MAX_SECRET_SIZE {
        errs.push(FieldError {
            path: "[]".to_string(),
            kind: "Too long",
            value: None,
            detail: format!("may not be more than {MAX_SECRET_SIZE} bytes"),
        });
    }
}

pub fn validate(object: &Object) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let info = object.kind();
    let name_rule: fn(&str) -> Vec<String> = match object {
        Object::Namespace(_) => dns1123_label,
        Object::Service(_) => dns1035_label,
        _ => dns1123_subdomain,
    };
    validate_meta(object.metadata(), info.namespaced, name_rule, &mut errs);
    match object {
        Object::Pod(pod) => match &pod.spec {
            Some(spec) => validate_pod_spec(spec, "spec", &["Always", "OnFailure", "Never"], &mut errs),
            None => errs.push(FieldError::required("spec.containers", "")),
        },
        Object::Deployment(d) => {
            if let Some(spec) = d.spec.as_ref() {
                validate_replicas(spec.replicas, &mut errs);
                validate_workload(&spec.selector, &spec.template, &mut errs);
                if let Some(rolling) = spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref()) {
                    let path = "spec.strategy.rollingUpdate";
                    let (unavailable, surge) = (rolling.max_unavailable.as_ref(), rolling.max_surge.as_ref());
                    validate_surge_and_unavailable(path, unavailable, surge, &mut errs);
                    if int_or_percent(unavailable) == 0 && int_or_percent(surge) == 0 {
                        errs.push(FieldError::invalid(
                            &format!("{path}.maxUnavailable"),
                            go_int_or_string(unavailable),
                            "may not be 0 when `maxSurge` is 0",
                        ));
                    }
                }
            }
        }
        Object::ReplicaSet(rs) => {
            if let Some(spec) = rs.spec.as_ref() {
                validate_replicas(spec.replicas, &mut errs);
                match &spec.template {
                    Some(t) => validate_workload(&spec.selector, t, &mut errs),
                    None => errs.push(FieldError::required("spec.template", "")),
                }
            }
        }
        Object::StatefulSet(sts) => {
            if let Some(spec) = sts.spec.as_ref() {
                validate_replicas(spec.replicas, &mut errs);
                one_of("spec.podManagementPolicy", spec.pod_management_policy.as_deref(), &["OrderedReady", "Parallel"], &mut errs);
                let strategy = spec.update_strategy.as_ref().and_then(|s| s.type_.as_deref());
                one_of("spec.updateStrategy.type", strategy, &["OnDelete", "RollingUpdate"], &mut errs);
                validate_workload(&spec.selector, &spec.template, &mut errs);
            }
        }
        Object::DaemonSet(ds) => {
            if let Some(spec) = ds.spec.as_ref() {
                let strategy = spec.update_strategy.as_ref().and_then(|s| s.type_.as_deref());
                one_of("spec.updateStrategy.type", strategy, &["OnDelete", "RollingUpdate"], &mut errs);
                validate_workload(&spec.selector, &spec.template, &mut errs);
                if let Some(rolling) = spec.update_strategy.as_ref().and_then(|s| s.rolling_update.as_ref()) {
                    let path = "spec.updateStrategy.rollingUpdate";
                    let (unavailable, surge) = (rolling.max_unavailable.as_ref(), rolling.max_surge.as_ref());
                    validate_surge_and_unavailable(path, unavailable, surge, &mut errs);
                    // Exactly one of the two may be non-zero.
                    match (int_or_percent(unavailable) != 0, int_or_percent(surge) != 0) {
                        (true, true) => errs.push(FieldError::invalid(
                            &format!("{path}.maxSurge"),
                            go_int_or_string(surge),
                            "may not be set when maxUnavailable is non-zero",
                        )),
                        (false, false) => {
                            errs.push(FieldError::required(&format!("{path}.maxUnavailable"), "cannot be 0 when maxSurge is 0"))
                        }
                        _ => {}
                    }
                }
            }
        }
        Object::Job(job) => {
            if let Some(spec) = job.spec.as_ref() {
                validate_job_spec(spec, "spec", &mut errs);
            }
        }
        Object::CronJob(cj) => {
            if cj.metadata.name.as_ref().is_some_and(|n| n.len() > 52) {
                let name = cj.metadata.name.as_deref().unwrap_or("");
                errs.push(FieldError::invalid("metadata.name", format!("{name:?}"), "must be no more than 52 characters"));
            }
            if let Some(spec) = cj.spec.as_ref() {
                if spec.schedule.is_empty() {
                    errs.push(FieldError::required("spec.schedule", ""));
                } else if let Err(e) = cron::parse(&spec.schedule) {
                    errs.push(FieldError::invalid("spec.schedule", format!("{:?}", spec.schedule), &e));
                }
                one_of("spec.concurrencyPolicy", spec.concurrency_policy.as_deref(), &["Allow", "Forbid", "Replace"], &mut errs);
                for (field, value) in [
                    ("successfulJobsHistoryLimit", spec.successful_jobs_history_limit),
                    ("failedJobsHistoryLimit", spec.failed_jobs_history_limit),
                ] {
                    non_negative(&format!("spec.{field}"), value.map(i64::from), &mut errs);
                }
                if let Some(job) = spec.job_template.spec.as_ref() {
                    validate_job_spec(job, "spec.jobTemplate.spec", &mut errs);
                }
            }
        }
        Object::Service(svc) => {
            if let Some(spec) = svc.spec.as_ref() {
                validate_service_spec(spec, &mut errs);
            }
        }
        Object::ConfigMap(cm) => {
            let keys = cm.data.iter().flatten().map(|(k, _)| k).chain(cm.binary_data.iter().flatten().map(|(k, _)| k));
            validate_config_keys(keys, "data", &mut errs);
            let size = cm.data.iter().flatten().map(|(_, v)| v.len()).chain(cm.binary_data.iter().flatten().map(|(_, v)| v.0.len()));
            validate_data_size(size, &mut errs);
        }
        Object::Secret(secret) => {
            validate_config_keys(secret.data.iter().flatten().map(|(k, _)| k), "data", &mut errs);
            validate_data_size(secret.data.iter().flatten().map(|(_, v)| v.0.len()), &mut errs);
            // Typed secrets must carry their keys.
            let required: &[&str] = match secret.type_.as_deref() {
                Some("kubernetes.io/tls") => &["tls.crt", "tls.key"],
                Some("kubernetes.io/dockerconfigjson") => &[".dockerconfigjson"],
                Some("kubernetes.io/ssh-auth") => &["ssh-privatekey"],
                _ => &[],
            };
            for key in required.iter().filter(|k| !secret.data.as_ref().is_some_and(|d| d.contains_key(**k))) {
                errs.push(FieldError::required(&format!("data[{key}]"), ""));
            }
        }
        Object::PersistentVolumeClaim(pvc) => {
            if let Some(spec) = pvc.spec.as_ref() {
                validate_access_modes(spec.access_modes.as_deref(), &mut errs);
                match spec.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage")) {
                    None => errs.push(FieldError::required("spec.resources[storage]", "")),
                    Some(q) if quantity::parse_milli(&q.0).is_ok_and(|v| v <= 0) => errs.push(FieldError::invalid(
                        "spec.resources.requests[storage]",
                        format!("{:?}", q.0),
                        "must be greater than zero",
                    )),
                    Some(_) => {}
                }
            }
        }
        Object::PersistentVolume(pv) => {
            if let Some(spec) = pv.spec.as_ref() {
                validate_access_modes(spec.access_modes.as_deref(), &mut errs);
                if spec.capacity.as_ref().is_none_or(|c| c.is_empty()) {
                    errs.push(FieldError::required("spec.capacity", ""));
                }
                let reclaim = spec.persistent_volume_reclaim_policy.as_deref();
                one_of("spec.persistentVolumeReclaimPolicy", reclaim, &["Delete", "Recycle", "Retain"], &mut errs);
                let sources = [spec.host_path.is_some(), spec.nfs.is_some(), spec.local.is_some(), spec.csi.is_some()];
                if !sources.contains(&true) {
                    errs.push(FieldError::required("spec", "must specify a volume type"));
                }
            }
        }
        Object::HorizontalPodAutoscaler(hpa) => {
            if let Some(spec) = hpa.spec.as_ref() {
                let min = spec.min_replicas.unwrap_or(1);
                if min < 1 {
                    errs.push(FieldError::invalid("spec.minReplicas", min.to_string(), "must be greater than or equal to 1"));
                }
                if spec.max_replicas < 1 {
                    errs.push(FieldError::invalid("spec.maxReplicas", spec.max_replicas.to_string(), "must be greater than 0"));
                }
                if spec.max_replicas < min {
                    errs.push(FieldError::invalid(
                        "spec.maxReplicas",
                        spec.max_replicas.to_string(),
                        "must be greater than or equal to `minReplicas`",
                    ));
                }
                if spec.scale_target_ref.kind.is_empty() {
                    errs.push(FieldError::required("spec.scaleTargetRef.kind", ""));
                }
                if spec.scale_target_ref.name.is_empty() {
                    errs.push(FieldError::required("spec.scaleTargetRef.name", ""));
                }
                if let Some(behavior) = spec.behavior.as_ref() {
                    autoscaling::behavior(behavior, &mut errs);
                }
            }
        }
        Object::PodDisruptionBudget(pdb) => {
            if let Some(spec) = pdb.spec.as_ref() {
                for (field, value) in [("minAvailable", &spec.min_available), ("maxUnavailable", &spec.max_unavailable)] {
                    if let Some(v) = value {
                        validate_int_or_percent(&format!("spec.{field}"), v, true, &mut errs);
                    }
                }
            }
        }
        Object::NetworkPolicy(np) => network_policy::validate(np, &mut errs),
        Object::Ingress(ingress) => ingress::validate(ingress, &mut errs),
        Object::IngressClass(class) => ingress::validate_class(class, &mut errs),
        Object::VerticalPodAutoscaler(vpa) => autoscaling::vertical_pod_autoscaler(vpa, &mut errs),
        Object::PriorityClass(pc) => {
            let name = pc.metadata.name.as_deref().unwrap_or("");
            let system = matches!(name, "system-node-critical" | "system-cluster-critical");
            if name.starts_with("system-") && !system {
                errs.push(FieldError::invalid(
                    "metadata.name",
                    format!("{name:?}"),
                    "priority class names with 'system-' prefix are reserved for system use only",
                ));
            }
            if pc.value > 1_000_000_000 && !system {
                errs.push(FieldError::forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
            }
        }
        Object::LimitRange(lr) => {
            for (i, item) in lr.spec.iter().flat_map(|s| s.limits.iter()).enumerate() {
                validate_limit_range_item(item, &format!("spec.limits[{i}]"), &mut errs);
            }
        }
        Object::ResourceQuota(rq) => {
            for (name, q) in rq.spec.iter().flat_map(|s| s.hard.iter().flatten()) {
                if quantity::parse_milli(&q.0).is_ok_and(|v| v < 0) {
                    errs.push(FieldError::invalid(
                        &format!("spec.hard[{name}]"),
                        format!("{:?}", q.0),
                        "must be greater than or equal to 0",
                    ));
                }
            }
        }
        _ => {}
    }
    errs
}

/// An optional enum field that is set must be one of its values.
fn one_of(path: &str, value: Option<&str>, supported: &[&str], errs: &mut Vec<FieldError>) {
    if let Some(v) = value.filter(|v| !supported.contains(v)) {
        errs.push(FieldError::unsupported(path, v, supported));
    }
}

fn non_negative(path: &str, value: Option<i64>, errs: &mut Vec<FieldError>) {
    if let Some(v) = value.filter(|v| *v < 0) {
        errs.push(FieldError::invalid(path, v.to_string(), "must be greater than or equal to 0"));
    }
}

/// `ValidateJobSpec`: counts are non-negative, pods restart `OnFailure` or `Never`, and the
/// (usually generated) selector selects the template.
fn validate_job_spec(spec: &k8s_openapi::api::batch::v1::JobSpec, path: &str, errs: &mut Vec<FieldError>) {
    for (field, value) in [("parallelism", spec.parallelism), ("completions", spec.completions), ("backoffLimit", spec.backoff_limit)] {
        non_negative(&format!("{path}.{field}"), value.map(i64::from), errs);
    }
    if let Some(d) = spec.active_deadline_seconds.filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(&format!("{path}.activeDeadlineSeconds"), d.to_string(), "must be greater than 0"));
    }
    one_of(&format!("{path}.completionMode"), spec.completion_mode.as_deref(), &["Indexed", "NonIndexed"], errs);
    if let Some(selector) = &spec.selector {
        let labels = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref());
        if Selector::from_api(selector).is_ok_and(|s| !s.matches(labels)) {
            errs.push(FieldError::invalid(
                &format!("{path}.template.metadata.labels"),
                go_map(labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    if let Some(labels) = spec.template.metadata.as_ref().and_then(|m| m.labels.as_ref()) {
        validate_labels(labels, &format!("{path}.template.metadata.labels"), errs);
    }
    match &spec.template.spec {
        Some(pod) => validate_pod_spec(pod, &format!("{path}.template.spec"), &["OnFailure", "Never"], errs),
        None => errs.push(FieldError::required(&format!("{path}.template.spec.containers"), "")),
    }
}

/// `ValidateService`, in its order: ports (numbers, names, protocols, node ports), selector,
/// session affinity, type.
fn validate_service_spec(spec: &k8s_openapi::api::core::v1::ServiceSpec, errs: &mut Vec<FieldError>) {
    let type_ = spec.type_.as_deref().unwrap_or("ClusterIP");
    let ports = spec.ports.as_deref().unwrap_or_default();
    if type_ == "ExternalName" {
        if spec.external_name.as_deref().is_none_or(str::is_empty) {
            errs.push(FieldError::required("spec.externalName", ""));
        }
    } else if ports.is_empty() && spec.cluster_ip.as_deref() != Some("None") {
        errs.push(FieldError::required("spec.ports", ""));
    }
    let mut names = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = format!("spec.ports[{i}]");
        match port.name.as_deref().filter(|n| !n.is_empty()) {
            None if ports.len() > 1 => errs.push(FieldError::required(&format!("{p}.name"), "")),
            None => {}
            Some(name) => {
                for e in dns1123_label(name) {
                    errs.push(FieldError::invalid(&format!("{p}.name"), format!("{name:?}"), &e));
                }
                if names.contains(&name) {
                    errs.push(FieldError::duplicate(&format!("{p}.name"), format!("{name:?}")));
                }
                names.push(name);
            }
        }
        if !(1..=65535).contains(&port.port) {
            errs.push(FieldError::invalid(&format!("{p}.port"), port.port.to_string(), "must be between 1 and 65535, inclusive"));
        }
        one_of(&format!("{p}.protocol"), port.protocol.as_deref(), &["SCTP", "TCP", "UDP"], errs);
        if let Some(IntOrString::Int(t)) = port.target_port {
            if !(1..=65535).contains(&t) {
                errs.push(FieldError::invalid(&format!("{p}.targetPort"), t.to_string(), "must be between 1 and 65535, inclusive"));
            }
        }
        if port.node_port.is_some_and(|n| n != 0) && type_ == "ClusterIP" {
            errs.push(FieldError::forbidden(&format!("{p}.nodePort"), "may not be used when `type` is 'ClusterIP'"));
        }
    }
    if let Some(selector) = &spec.selector {
        validate_labels(selector, "spec.selector", errs);
    }
    one_of("spec.sessionAffinity", spec.session_affinity.as_deref(), &["ClientIP", "None"], errs);
    one_of("spec.type", Some(type_), &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"], errs);
}

/// ConfigMap and Secret keys, as `IsConfigMapKey` words its error.
fn validate_config_keys<'a>(keys: impl Iterator<Item = &'a String>, path: &str, errs: &mut Vec<FieldError>) {
    for key in keys {
        let valid = !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        if !valid {
            errs.push(FieldError::invalid(&format!("{path}[{key}]"), format!("{key:?}"), "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
        } else if key == "." || key == ".." || key.len() > 253 {
            errs.push(FieldError::invalid(&format!("{path}[{key}]"), format!("{key:?}"), "must not be '.' or '..'"));
        }
    }
}

fn validate_access_modes(modes: Option<&[String]>, errs: &mut Vec<FieldError>) {
    const MODES: &[&str] = &["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
    let modes = modes.unwrap_or_default();
    if modes.is_empty() {
        errs.push(FieldError::required("spec.accessModes", "at least 1 access mode is required"));
    }
    for m in modes.iter().filter(|m| !MODES.contains(&m.as_str())) {
        errs.push(FieldError::unsupported("spec.accessModes", m, MODES));
    }
}

/// The number or percentage an `IntOrString` holds (`getIntOrPercentValue`).
fn int_or_percent(value: Option<&IntOrString>) -> i64 {
    match value {
        Some(IntOrString::Int(i)) => i64::from(*i),
        Some(IntOrString::String(s)) => s.strip_suffix('%').and_then(|n| n.parse().ok()).unwrap_or(0),
        None => 0,
    }
}

/// An `IntOrString` bad value as the field error prints it.
fn go_int_or_string(value: Option<&IntOrString>) -> String {
    match value {
        Some(IntOrString::Int(i)) => i.to_string(),
        Some(IntOrString::String(s)) => format!("{s:?}"),
        None => "null".to_string(),
    }
}

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent` for a rolling update's
/// maxUnavailable and maxSurge.
fn validate_surge_and_unavailable(path: &str, unavailable: Option<&IntOrString>, surge: Option<&IntOrString>, errs: &mut Vec<FieldError>) {
    for (field, value, at_most_100) in [("maxUnavailable", unavailable, true), ("maxSurge", surge, false)] {
        if let Some(v) = value {
            validate_int_or_percent(&format!("{path}.{field}"), v, at_most_100, errs);
        }
    }
}

/// `ValidatePositiveIntOrPercent`, and `IsNotMoreThan100Percent` when asked.
fn validate_int_or_percent(path: &str, value: &IntOrString, at_most_100: bool, errs: &mut Vec<FieldError>) {
    match value {
        IntOrString::Int(i) => non_negative(path, Some(i64::from(*i)), errs),
        IntOrString::String(s) => match s.strip_suffix('%').and_then(|n| n.parse::<i64>().ok()) {
            Some(p) if p > 100 && at_most_100 => errs.push(FieldError::invalid(path, format!("{s:?}"), "must not be greater than 100%")),
            Some(p) if p < 0 => errs.push(FieldError::invalid(path, format!("{s:?}"), "must be greater than or equal to 0")),
            Some(_) => {}
            None => errs.push(FieldError::invalid(path, format!("{s:?}"), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")),
        },
    }
}

type Bound = Option<(i128, String)>;

/// The bound a LimitRange error names, by its field.
fn field_value<'a>(field: &str, min: &'a Bound, request: &'a Bound, default: &'a Bound) -> &'a Bound {
    match field {
        "min" => min,
        "defaultRequest" => request,
        _ => default,
    }
}

/// `ValidateLimitRange`: for each resource, min ≤ default request ≤ default ≤ max.
fn validate_limit_range_item(item: &k8s_openapi::api::core::v1::LimitRangeItem, path: &str, errs: &mut Vec<FieldError>) {
    one_of(&format!("{path}.type"), Some(&item.type_), &["Container", "PersistentVolumeClaim", "Pod"], errs);
    type Quantities = Option<std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>;
    let get = |m: &Quantities, k: &str| -> Bound {
        m.as_ref().and_then(|m| m.get(k)).and_then(|q| quantity::parse_milli(&q.0).ok().map(|v| (v, q.0.clone())))
    };
    let names: std::collections::BTreeSet<&String> =
        [&item.min, &item.max, &item.default, &item.default_request].into_iter().flatten().flat_map(|m| m.keys()).collect();
    for k in names {
        let (min, max, default, request) = (get(&item.min, k), get(&item.max, k), get(&item.default, k), get(&item.default_request, k));
        // (field, lower, upper, message): the value printed is the one of `field`.
        let checks = [
            ("min", &min, &max, "min value {a} is greater than max value {b}"),
            ("defaultRequest", &min, &request, "min value {a} is greater than default request value {b}"),
            ("defaultRequest", &request, &max, "default request value {a} is greater than max value {b}"),
            ("defaultRequest", &request, &default, "default request value {a} is greater than default limit value {b}"),
            ("default", &min, &default, "min value {a} is greater than default value {b}"),
            ("default", &default, &max, "default value {a} is greater than max value {b}"),
        ];
        for (field, lower, upper, message) in checks {
            if let (Some((a, a_text)), Some((b, b_text))) = (lower, upper) {
                if a > b {
                    let field_is_lower = std::ptr::eq(lower, field_value(field, &min, &request, &default));
                    let bad = if field_is_lower { a_text } else { b_text };
                    let detail = message.replace("{a}", a_text).replace("{b}", b_text);
                    errs.push(FieldError::invalid(&format!("{path}.{field}[{k}]"), format!("{bad:?}"), &detail));
                }
            }
        }
    }
}

fn validate_replicas(replicas: Option<i32>, errs: &mut Vec<FieldError>) {
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errs.push(FieldError::invalid("spec.replicas", r.to_string(), "must be greater than or equal to 0"));
    }
}

/// The checks shared by Deployments and ReplicaSets: a non-empty selector that selects the
/// template's labels, and a pod template that restarts `Always`.
fn validate_workload(selector: &LabelSelector, template: &PodTemplateSpec, errs: &mut Vec<FieldError>) {
    let empty =
        selector.match_labels.as_ref().is_none_or(|m| m.is_empty()) && selector.match_expressions.as_ref().is_none_or(|m| m.is_empty());
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    if let Some(labels) = labels {
        validate_labels(labels, "spec.template.metadata.labels", errs);
    }
    if empty {
        // A missing selector decodes to an empty one: apps/v1 requires it.
        errs.push(FieldError::required("spec.selector", ""));
        if labels.is_some_and(|l| !l.is_empty()) {
            errs.push(FieldError::invalid("spec.template.metadata.labels", go_map(labels), "`selector` does not match template `labels`"));
        }
    } else {
        match Selector::from_api(selector) {
            Ok(s) if !s.matches(labels) => errs.push(FieldError::invalid(
                "spec.template.metadata.labels",
                go_map(labels),
                "`selector` does not match template `labels`",
            )),
            Ok(_) => {}
            Err(e) => errs.push(FieldError::invalid("spec.selector.matchExpressions", String::new(), &e)),
        }
    }
    match &template.spec {
        Some(spec) => validate_pod_spec(spec, "spec.template.spec", &["Always"], errs),
        None => errs.push(FieldError::required("spec.template.spec.containers", "")),
    }
}

fn validate_pod_spec(spec: &k8s_openapi::api::core::v1::PodSpec, path: &str, restart: &[&str], errs: &mut Vec<FieldError>) {
    if spec.containers.is_empty() {
        errs.push(FieldError::required(&format!("{path}.containers"), ""));
    }
    let mut seen = Vec::new();
    for (i, c) in spec.containers.iter().enumerate() {
        let p = format!("{path}.containers[{i}]");
        if c.name.is_empty() {
            errs.push(FieldError::required(&format!("{p}.name"), ""));
        } else {
            for e in dns1123_label(&c.name) {
                errs.push(FieldError::invalid(&format!("{p}.name"), format!("{:?}", c.name), &e));
            }
            if seen.contains(&&c.name) {
                errs.push(FieldError::duplicate(&format!("{p}.name"), format!("{:?}", c.name)));
            }
            seen.push(&c.name);
        }
        if c.image.as_deref().is_none_or(|i| i.trim().is_empty()) {
            errs.push(FieldError::required(&format!("{p}.image"), ""));
        }
        let Some(res) = &c.resources else { continue };
        for (section, map) in [("requests", &res.requests), ("limits", &res.limits)] {
            for (name, q) in map.iter().flatten() {
                if quantity::parse_milli(&q.0).is_ok_and(|v| v < 0) {
                    errs.push(FieldError::invalid(
                        &format!("{p}.resources.{section}[{name}]"),
                        format!("{:?}", q.0),
                        "must be greater than or equal to 0",
                    ));
                }
            }
        }
        for (name, request) in res.requests.iter().flatten() {
            let limit = res.limits.as_ref().and_then(|l| l.get(name));
            if let (Ok(r), Some(Ok(l))) = (quantity::parse_milli(&request.0), limit.map(|l| quantity::parse_milli(&l.0))) {
                if r > l {
                    errs.push(FieldError::invalid(
                        &format!("{p}.resources.requests"),
                        format!("{:?}", request.0),
                        &format!("must be less than or equal to {name} limit of {}", limit.map_or("", |l| l.0.as_str())),
                    ));
                }
            }
        }
    }
    if let Some(policy) = spec.restart_policy.as_deref() {
        if !restart.contains(&policy) {
            errs.push(FieldError::unsupported(&format!("{path}.restartPolicy"), policy, restart));
        }
    }
}

/// Every malformed quantity in a pod spec: the API server refuses these while decoding.
pub fn malformed_quantity(object: &Object) -> Option<String> {
    let spec = match object {
        Object::Pod(p) => p.spec.as_ref(),
        Object::Deployment(d) => d.spec.as_ref().and_then(|s| s.template.spec.as_ref()),
        Object::ReplicaSet(r) => r.spec.as_ref().and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref()),
        _ => None,
    }?;
    spec.containers
        .iter()
        .filter_map(|c| c.resources.as_ref())
        .find_map(|r| [&r.requests, &r.limits].into_iter().flatten().flatten().find_map(|(_, q)| quantity::parse_milli(&q.0).err()))
        .map(str::to_string)
}

/// `%#v` of a `map[string]string`, as the Invalid value of a labels field prints.
fn go_map(labels: Option<&std::collections::BTreeMap<String, String>>) -> String {
    let pairs: Vec<String> = labels.into_iter().flatten().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    if labels.is_none() {
        "map[string]string(nil)".to_string()
    } else {
        format!("map[string]string{{{}}}", pairs.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules_use_kubernetes_words() {
        assert!(dns1123_subdomain("web-1.example").is_empty());
        assert!(dns1123_subdomain("Web")[0].starts_with("a lowercase RFC 1123 subdomain must consist of"));
        assert_eq!(dns1123_label(&"a".repeat(64))[0], "must be no more than 63 characters");
        let mut errs = Vec::new();
        let labels = [("app.kubernetes.io/name", "web"), ("tier", ""), ("bad key", "x"), ("ok", "-bad-")];
        validate_labels(&labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), "metadata.labels", &mut errs);
        let values: Vec<_> = errs.iter().map(|e| e.value.clone().unwrap_or_default()).collect();
        assert_eq!(values, ["\"bad key\"", "\"-bad-\""]);
    }

    #[test]
    fn field_errors_print_as_field_error_does() {
        let e = FieldError::invalid("spec.replicas", "-1".into(), "must be greater than or equal to 0");
        assert_eq!(e.to_string(), "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
        let deployment: Object = serde_json::from_str::<crate::api::Deployment>(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web"}]}}}}"#,
        )
        .map(Object::Deployment)
        .unwrap();
        let errors: Vec<String> = validate(&deployment).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
                "spec.template.spec.containers[0].image: Required value",
            ]
        );
        let e = FieldError::unsupported("spec.template.spec.restartPolicy", "Never", &["Always"]);
        assert_eq!(e.to_string(), "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"");
    }

    #[test]
    fn cron_schedules_are_read_as_robfig_cron_reads_them() {
        for good in ["*/5 * * * *", "0 9-17 * JAN-mar mon-fri", "@hourly", "30 2 1,15 * *"] {
            assert_eq!(cron::parse(good), Ok(()), "{good}");
        }
        assert_eq!(cron::parse("x"), Err("expected exactly 5 fields, found 1: [x]".to_string()));
        assert_eq!(cron::parse("61 * * * *"), Err("end of range (61) above maximum (59): 61".to_string()));
        assert_eq!(cron::parse("5-1 * * * *"), Err("beginning of range (5) beyond end of range (1): 5-1".to_string()));
        assert_eq!(cron::parse("* * 0 * *"), Err("beginning of range (0) below minimum (1): 0".to_string()));
        assert_eq!(cron::parse("a * * * *"), Err("failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax".to_string()));
        assert_eq!(cron::parse("@sometimes"), Err("unrecognized descriptor: @sometimes".to_string()));
    }

    #[test]
    fn selectors_cannot_change_on_update() {
        let deployment = |label: &str| -> Object {
            let json = format!(
                r#"{{"metadata":{{"name":"web"}},"spec":{{"selector":{{"matchLabels":{{"app":"{label}"}}}},"template":{{"metadata":{{"labels":{{"app":"{label}"}}}}}}}}}}"#
            );
            Object::Deployment(serde_json::from_str(&json).unwrap())
        };
        assert!(validate_update(&deployment("web"), &deployment("web")).is_empty());
        let errors: Vec<String> = validate_update(&deployment("web"), &deployment("api")).iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"api\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"]
        );
    }

    #[test]
    fn service_names_are_dns_1035_labels() {
        assert!(dns1035_label("web-1").is_empty());
        assert_eq!(dns1035_label("1web").len(), 1, "must start with a letter");
        assert!(dns1035_label("Web")[0]
            .starts_with("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character"));
    }
}
