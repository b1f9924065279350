//! How ingress-nginx's pods route an HTTP request by the Ingresses their controller serves
//! (`crate::controllers::ingress_nginx`): the rules of the request's host (an exact host
//! before a `*.` wildcard of one label, before rules without a host), then the path that
//! matches longest, an Exact path before a Prefix one of the same length. Prefix matching
//! goes by path elements, as the Ingress API defines it (`/foo` matches `/foo/bar`, not
//! `/foobar`); ImplementationSpecific paths are prefixes of the string, as nginx's
//! `location` is. Nothing matched: the oldest served Ingress's `defaultBackend`, if any.
use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};

use crate::api::{info, Key, Object};
use crate::apiserver::ApiServer;
use crate::controllers::ingress_nginx::serves;

/// The labels of ingress-nginx's controller pods.
const CONTROLLER_LABELS: [(&str, &str); 2] = [("app.kubernetes.io/name", "ingress-nginx"), ("app.kubernetes.io/component", "controller")];

/// Where a request goes: the Ingress whose rule matched, the rule as `host/path (Type)` (or
/// `default backend`), and the backend.
pub struct Route {
    pub ingress: Key,
    pub rule: String,
    pub backend: IngressBackend,
}

/// Whether `pod` is one of ingress-nginx's controller pods.
pub fn is_controller(api: &ApiServer, pod: &Key) -> bool {
    let labels = api.peek(pod).and_then(|o| o.metadata().labels.clone()).unwrap_or_default();
    CONTROLLER_LABELS.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
}

/// How well a rule's host matches the request's: 3 exact, 2 wildcard, 1 any host.
fn host_rank(rule_host: &str, host: &str) -> u8 {
    if rule_host.is_empty() {
        1
    } else if rule_host.eq_ignore_ascii_case(host) {
        3
    } else if let Some(suffix) = rule_host.strip_prefix("*.") {
        let matches = host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix));
        if matches {
            2
        } else {
            0
        }
    } else {
        0
    }
}

/// How long a match `path` is for `request` under `path_type` (None: no match).
fn path_match(path_type: &str, path: &str, request: &str) -> Option<usize> {
    match path_type {
        "Exact" => (path == request).then_some(path.len()),
        "Prefix" => {
            let elements = |p: &str| p.split('/').filter(|e| !e.is_empty()).map(str::to_string).collect::<Vec<_>>();
            let (rule, asked) = (elements(path), elements(request));
            asked.starts_with(&rule).then(|| path.trim_end_matches('/').len())
        }
        _ => request.starts_with(path).then_some(path.len()),
    }
}

/// The route of a request for `host` and `path` through the Ingresses the controller serves.
pub fn route(api: &ApiServer, host: &str, path: &str) -> Option<Route> {
    let classes: Vec<IngressClass> = api
        .peek_list(info("IngressClass"), None)
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::IngressClass(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let mut ingresses: Vec<Ingress> = api
        .peek_list(info("Ingress"), None)
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Ingress(i) if serves(i, classes.iter()) => Some(i.clone()),
            _ => None,
        })
        .collect();
    ingresses.sort_by_key(|i| (i.metadata.creation_timestamp.clone().map(|t| t.0), i.metadata.name.clone()));
    let path = path.split(['?', '#']).next().filter(|p| !p.is_empty()).unwrap_or("/");
    let host = host.split(':').next().unwrap_or(host);
    let rules = || ingresses.iter().flat_map(|i| i.spec.iter().flat_map(|s| s.rules.iter().flatten()).map(move |r| (i, r)));
    let best_host = rules().map(|(_, r)| host_rank(r.host.as_deref().unwrap_or(""), host)).max().unwrap_or(0);
    let mut best: Option<(usize, bool, Route)> = None;
    for (ingress, rule) in rules().filter(|(_, r)| best_host > 0 && host_rank(r.host.as_deref().unwrap_or(""), host) == best_host) {
        for p in rule.http.iter().flat_map(|h| &h.paths) {
            let rule_path = p.path.as_deref().unwrap_or("/");
            let Some(length) = path_match(&p.path_type, rule_path, path) else { continue };
            let exact = p.path_type == "Exact";
            if best.as_ref().is_some_and(|(l, e, _)| (*l, *e) >= (length, exact)) {
                continue;
            }
            let shown = format!("{}{rule_path} ({})", rule.host.as_deref().unwrap_or("*"), p.path_type);
            best = Some((length, exact, Route { ingress: key_of(ingress), rule: shown, backend: p.backend.clone() }));
        }
    }
    best.map(|(_, _, route)| route).or_else(|| {
        ingresses.iter().find_map(|i| {
            let backend = i.spec.as_ref()?.default_backend.clone()?;
            Some(Route { ingress: key_of(i), rule: "default backend".to_string(), backend })
        })
    })
}

fn key_of(ingress: &Ingress) -> Key {
    Key::new("Ingress", ingress.metadata.namespace.as_deref().unwrap_or(""), ingress.metadata.name.as_deref().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_paths_match_by_element() {
        assert_eq!(path_match("Prefix", "/foo", "/foo/bar"), Some(4));
        assert_eq!(path_match("Prefix", "/foo", "/foobar"), None);
        assert_eq!(path_match("Prefix", "/foo/", "/foo"), Some(4));
        assert_eq!(path_match("Prefix", "/", "/anything"), Some(0));
        assert_eq!(path_match("Exact", "/foo", "/foo/"), None);
        assert_eq!(path_match("ImplementationSpecific", "/foo", "/foobar"), Some(4));
    }

    #[test]
    fn hosts_rank_exact_then_wildcard_then_any() {
        assert_eq!(host_rank("foo.bar.com", "foo.bar.com"), 3);
        assert_eq!(host_rank("*.bar.com", "foo.bar.com"), 2);
        assert_eq!(host_rank("*.bar.com", "baz.foo.bar.com"), 0);
        assert_eq!(host_rank("*.bar.com", "bar.com"), 0);
        assert_eq!(host_rank("", "anything"), 1);
    }
}
