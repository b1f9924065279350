//! Validation with Kubernetes' field paths and messages
//! (`k8s.io/apimachinery/pkg/util/validation` and `pkg/apis/*/validation`).
use std::fmt;

use k8s_openapi::api::core::v1::PodTemplateSpec;

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

const DNS1123_LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-') && b[0] != b'-' && b[b.len() - 1] != b'-'
}

/// Errors for a DNS-1123 label (namespaces, container names), as `IsDNS1123Label` words them.
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !is_label(value) {
        errs.push(format!("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{DNS1123_LABEL}')"));
    }
    errs
}

/// Errors for a DNS-1123 subdomain (most object names), as `IsDNS1123Subdomain` words them.
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if !value.split('.').all(is_label) {
        errs.push(format!("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{DNS1123_SUBDOMAIN}')"));
    }
    errs
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
pub fn validate(object: &Object) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let info = object.kind();
    let name_rule: fn(&str) -> Vec<String> = if matches!(object, Object::Namespace(_)) { dns1123_label } else { dns1123_subdomain };
    validate_meta(object.metadata(), info.namespaced, name_rule, &mut errs);
    match object {
        Object::Pod(pod) => match &pod.spec {
            Some(spec) => validate_pod_spec(spec, "spec", &["Always", "OnFailure", "Never"], &mut errs),
            None => errs.push(FieldError::required("spec.containers", "")),
        },
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            if let Some(spec) = spec {
                validate_replicas(spec.replicas, &mut errs);
                validate_workload(&spec.selector, &spec.template, &mut errs);
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
        _ => {}
    }
    errs
}

fn validate_replicas(replicas: Option<i32>, errs: &mut Vec<FieldError>) {
    if let Some(r) = replicas.filter(|r| *r < 0) {
        errs.push(FieldError::invalid("spec.replicas", r.to_string(), "must be greater than or equal to 0"));
    }
}

/// The checks shared by Deployments and ReplicaSets: a non-empty selector that selects the
/// template's labels, and a pod template that restarts `Always`.
fn validate_workload(
    selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    template: &PodTemplateSpec,
    errs: &mut Vec<FieldError>,
) {
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
                errs.push(FieldError {
                    path: format!("{p}.name"),
                    kind: "Duplicate value",
                    value: Some(format!("{:?}", c.name)),
                    detail: String::new(),
                });
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
}
