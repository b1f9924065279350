//! A container's environment (`makeEnvironmentVariables` in `pkg/kubelet/kubelet_pods.go`):
//! `env` values, `valueFrom` ConfigMap and Secret keys and pod fields, and `envFrom`. The
//! kubelet reads ConfigMaps and Secrets through the API server when the container starts; a
//! missing one is a CreateContainerConfigError with upstream's message.
use std::collections::BTreeMap;

use super::pod_workers::PodWorker;
use crate::api::{Key, Object};
use crate::apiserver::Client;

/// The environment of a container, for `echo $VAR` and `$(VAR)` in command and args.
pub type Env = BTreeMap<String, String>;

/// The environment of container `i`, or the message of its CreateContainerConfigError.
pub fn resolve(pod: &PodWorker, i: usize, client: &mut Client) -> Result<Env, String> {
    let Some(p) = pod.pod() else { return Ok(Env::new()) };
    let Some(c) = pod.containers.get(i).map(|c| &c.spec) else { return Ok(Env::new()) };
    let namespace = p.metadata.namespace.clone().unwrap_or_default();
    let mut env = Env::from([("HOSTNAME".to_string(), p.metadata.name.clone().unwrap_or_default())]);
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        let source = match (&from.config_map_ref, &from.secret_ref) {
            (Some(r), _) => Some(("ConfigMap", r.name.clone(), r.optional)),
            (_, Some(r)) => Some(("Secret", r.name.clone(), r.optional)),
            _ => None,
        };
        let Some((kind, name, optional)) = source else { continue };
        match data(client, kind, &namespace, &name) {
            Some(values) => env.extend(values.into_iter().map(|(k, v)| (format!("{prefix}{k}"), v))),
            None if optional == Some(true) => {}
            None => return Err(format!("{} {name:?} not found", kind.to_lowercase())),
        }
    }
    for var in c.env.iter().flatten() {
        let value = match &var.value_from {
            None => Some(expand(var.value.as_deref().unwrap_or(""), &env)),
            Some(from) => {
                let key_ref = match (&from.config_map_key_ref, &from.secret_key_ref) {
                    (Some(r), _) => Some(("ConfigMap", r.name.clone(), r.key.clone(), r.optional)),
                    (_, Some(r)) => Some(("Secret", r.name.clone(), r.key.clone(), r.optional)),
                    _ => None,
                };
                match (key_ref, &from.field_ref) {
                    (Some((kind, name, key, optional)), _) => match data(client, kind, &namespace, &name) {
                        Some(values) => match values.into_iter().find(|(k, _)| *k == key) {
                            Some((_, v)) => Some(v),
                            None if optional == Some(true) => None,
                            None => return Err(format!("couldn't find key {key} in {kind} {namespace}/{name}")),
                        },
                        None if optional == Some(true) => None,
                        None => return Err(format!("{} {name:?} not found", kind.to_lowercase())),
                    },
                    (None, Some(field)) => Some(pod_field(pod, &field.field_path)),
                    (None, None) => None,
                }
            }
        };
        if let Some(value) = value {
            env.insert(var.name.clone(), value);
        }
    }
    Ok(env)
}

/// The key/value pairs of a ConfigMap or Secret, read through the API server.
fn data(client: &mut Client, kind: &'static str, namespace: &str, name: &str) -> Option<Vec<(String, String)>> {
    let object = client.get(&Key::new(kind, namespace, name)).ok()?;
    Some(match &*object {
        Object::ConfigMap(cm) => cm.data.clone().unwrap_or_default().into_iter().collect(),
        Object::Secret(s) => {
            let mut values: Vec<(String, String)> =
                s.data.iter().flatten().map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned())).collect();
            values.extend(s.string_data.clone().unwrap_or_default());
            values
        }
        _ => Vec::new(),
    })
}

/// The downward API fields a `fieldRef` can name.
fn pod_field(pod: &PodWorker, path: &str) -> String {
    let Some(p) = pod.pod() else { return String::new() };
    let status = p.status.as_ref();
    match path {
        "metadata.name" => p.metadata.name.clone(),
        "metadata.namespace" => p.metadata.namespace.clone(),
        "metadata.uid" => p.metadata.uid.clone(),
        "spec.nodeName" => p.spec.as_ref().and_then(|s| s.node_name.clone()),
        "spec.serviceAccountName" => p.spec.as_ref().and_then(|s| s.service_account_name.clone()),
        "status.podIP" => pod.ip.clone(),
        "status.hostIP" => status.and_then(|s| s.host_ip.clone()),
        _ => None,
    }
    .unwrap_or_default()
}

/// Kubernetes' `$(VAR)` references in env values, command and args (`$$` escapes a `$`);
/// an unknown reference stays as written.
pub fn expand(text: &str, env: &Env) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some((name, tail)) = after.strip_prefix('(').and_then(|a| a.split_once(')')) {
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&format!("$({name})")),
            }
            rest = tail;
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

pub fn expand_all(words: &[String], env: &Env) -> Vec<String> {
    words.iter().map(|w| expand(w, env)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_expand_as_the_kubelet_expands_them() {
        let env = Env::from([("GREETING".to_string(), "hi".to_string())]);
        assert_eq!(expand("$(GREETING) there $(NOPE) $$(GREETING) $5", &env), "hi there $(NOPE) $(GREETING) $5");
    }
}
