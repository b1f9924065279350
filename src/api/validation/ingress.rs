//! `ValidateIngress` and `ValidateIngressClass` (pkg/apis/networking/validation): hosts are
//! DNS-1123 subdomains (or `*.` wildcards), paths are absolute with a known pathType, and
//! every backend names a Service and one port.
use k8s_openapi::api::networking::v1::{HTTPIngressPath, Ingress, IngressBackend, IngressClass};

use super::{dns1035_label, dns1123_subdomain, FieldError};

const PATH_TYPES: &[&str] = &["Exact", "ImplementationSpecific", "Prefix"];

pub fn validate(ingress: &Ingress, errs: &mut Vec<FieldError>) {
    let Some(spec) = &ingress.spec else {
        errs.push(FieldError::invalid(
            "spec",
            "[]networking.IngressRule(nil)".into(),
            "either `defaultBackend` or `rules` must be specified",
        ));
        return;
    };
    let rules = spec.rules.as_deref().unwrap_or(&[]);
    if rules.is_empty() && spec.default_backend.is_none() {
        errs.push(FieldError::invalid(
            "spec",
            "[]networking.IngressRule(nil)".into(),
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(backend) = &spec.default_backend {
        validate_backend(backend, "spec.defaultBackend", errs);
    }
    for (i, rule) in rules.iter().enumerate() {
        let path = format!("spec.rules[{i}]");
        if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
            for msg in host_errors(host) {
                errs.push(FieldError::invalid(&format!("{path}.host"), format!("{host:?}"), &msg));
            }
        }
        if let Some(http) = &rule.http {
            if http.paths.is_empty() {
                errs.push(FieldError::required(&format!("{path}.http.paths"), ""));
            }
            for (j, p) in http.paths.iter().enumerate() {
                validate_path(p, &format!("{path}.http.paths[{j}]"), errs);
            }
        }
    }
    for (i, tls) in spec.tls.iter().flatten().enumerate() {
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            for msg in host_errors(host) {
                errs.push(FieldError::invalid(&format!("spec.tls[{i}].hosts[{j}]"), format!("{host:?}"), &msg));
            }
        }
    }
    if let Some(class) = &spec.ingress_class_name {
        for msg in dns1123_subdomain(class) {
            errs.push(FieldError::invalid("spec.ingressClassName", format!("{class:?}"), &msg));
        }
    }
}

pub fn validate_class(class: &IngressClass, errs: &mut Vec<FieldError>) {
    let controller = class.spec.as_ref().and_then(|s| s.controller.as_deref()).unwrap_or("");
    if controller.is_empty() {
        errs.push(FieldError::required("spec.controller", ""));
    } else if !controller.split_once('/').is_some_and(|(domain, path)| dns1123_subdomain(domain).is_empty() && !path.is_empty()) {
        errs.push(FieldError::invalid(
            "spec.controller",
            format!("{controller:?}"),
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        ));
    }
}

/// A rule's or TLS entry's host: not an IP, a DNS-1123 subdomain or a `*.` wildcard of one.
fn host_errors(host: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if host.parse::<std::net::IpAddr>().is_ok() {
        errs.push("must be a DNS name, not an IP address".to_string());
    }
    if host.contains('*') {
        let valid = host.strip_prefix("*.").is_some_and(|rest| dns1123_subdomain(rest).is_empty());
        if !valid {
            errs.push("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string());
        }
    } else {
        errs.extend(dns1123_subdomain(host));
    }
    errs
}

fn validate_path(p: &HTTPIngressPath, path: &str, errs: &mut Vec<FieldError>) {
    let value = p.path.as_deref().unwrap_or("");
    match p.path_type.as_str() {
        "" => {
            errs.push(FieldError::required(&format!("{path}.pathType"), "pathType must be specified"));
            return;
        }
        "Exact" | "Prefix" => {
            let invalid = |detail: &str| FieldError::invalid(&format!("{path}.path"), format!("{value:?}"), detail);
            if !value.starts_with('/') {
                errs.push(invalid("must be an absolute path"));
            }
            for sequence in ["//", "/./", "/../", "%2f", "%2F"] {
                if value.contains(sequence) {
                    errs.push(invalid(&format!("must not contain '{sequence}'")));
                }
            }
            for suffix in ["/..", "/."] {
                if value.ends_with(suffix) {
                    errs.push(invalid(&format!("cannot end with '{suffix}'")));
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(&format!("{path}.path"), format!("{value:?}"), "must be an absolute path"));
            }
        }
        other => errs.push(FieldError::unsupported(&format!("{path}.pathType"), other, PATH_TYPES)),
    }
    validate_backend(&p.backend, &format!("{path}.backend"), errs);
}

fn validate_backend(backend: &IngressBackend, path: &str, errs: &mut Vec<FieldError>) {
    match (&backend.service, &backend.resource) {
        (Some(_), Some(_)) => errs.push(FieldError::invalid(path, "\"\"".into(), "cannot set both resource and service backends")),
        (None, None) => errs.push(FieldError::invalid(path, "\"\"".into(), "resource or service backend is required")),
        (None, Some(_)) => {}
        (Some(service), None) => {
            if service.name.is_empty() {
                errs.push(FieldError::required(&format!("{path}.service.name"), ""));
            }
            for msg in dns1035_label(&service.name).into_iter().filter(|_| !service.name.is_empty()) {
                errs.push(FieldError::invalid(&format!("{path}.service.name"), format!("{:?}", service.name), &msg));
            }
            let port = service.port.as_ref();
            let name = port.and_then(|p| p.name.as_deref()).filter(|n| !n.is_empty());
            let number = port.and_then(|p| p.number).filter(|n| *n != 0);
            match (name, number) {
                (Some(_), Some(_)) => errs.push(FieldError::invalid(path, "\"\"".into(), "cannot set both port name & port number")),
                (Some(name), None) => {
                    for msg in port_name_errors(name) {
                        errs.push(FieldError::invalid(&format!("{path}.service.port.name"), format!("{name:?}"), &msg));
                    }
                }
                (None, Some(n)) if !(1..=65535).contains(&n) => {
                    errs.push(FieldError::invalid(
                        &format!("{path}.service.port.number"),
                        n.to_string(),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
                (None, Some(_)) => {}
                (None, None) => errs.push(FieldError::required(path, "port name or number is required")),
            }
        }
    }
}

/// `IsValidPortName`: an IANA service name.
fn port_name_errors(name: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if name.len() > 15 {
        errs.push("must be no more than 15 characters".to_string());
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if name.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if name.starts_with('-') || name.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}
