//! `kubectl get`: tables (with `-o wide`), `-o json`, `-o yaml` and `-o name`, for one or
//! more resource types, by name, by label selector, in one namespace or all.
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::table::{human_duration, render};
use super::{resource, Args};
use crate::api::labels::Selector;
use crate::api::status::{node_roles, node_status, pod_status};
use crate::api::{Key, KindInfo, Object, ObjectRef};
use crate::apiserver::{virtual_ms, Component};
use crate::Cluster;

pub fn get(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let Some(first) = args.positional.first() else {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.".to_string());
    };
    let output = args.output.as_deref().unwrap_or("");
    if !matches!(output, "" | "wide" | "json" | "yaml" | "name") {
        return Err(format!(
            "error: unable to match a printer suitable for the output format {output:?}, allowed formats are: json,name,wide,yaml"
        ));
    }
    let selector = match &args.selector {
        Some(s) => Selector::parse(s).map_err(|e| format!("error: {e}"))?,
        None => Selector::default(),
    };
    // `TYPE NAME...`, `TYPE1,TYPE2`, or `TYPE/NAME ...`.
    let mut requests: Vec<(&'static KindInfo, Vec<String>)> = Vec::new();
    if first.contains('/') {
        for word in &args.positional {
            let Some((kind, name)) = word.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string());
            };
            requests.push((resource(kind)?, vec![name.to_string()]));
        }
    } else {
        let names: Vec<String> = args.positional[1..].to_vec();
        for kind in first.split(',').filter(|k| !k.is_empty()) {
            requests.push((resource(kind)?, names.clone()));
        }
    }
    let namespace = (!args.all_namespaces).then(|| args.namespace().to_string());
    let mut found: Vec<(&'static KindInfo, Vec<ObjectRef>)> = Vec::new();
    let mut errors = Vec::new();
    let mut named = false;
    for (kind, names) in &requests {
        let objects = if names.is_empty() {
            let ns = if kind.namespaced { namespace.as_deref() } else { None };
            let list = cluster.request(Component::Kubectl, |c| c.list(kind, ns));
            list.into_iter().filter(|o| selector.matches(o.metadata().labels.as_ref())).collect()
        } else {
            named = true;
            let mut objects = Vec::new();
            for name in names {
                let ns = if kind.namespaced { args.namespace() } else { "" };
                match cluster.request(Component::Kubectl, |c| c.get(&Key::new(kind.kind, ns, name))) {
                    Ok(o) => objects.push(o),
                    Err(e) => errors.push(e.render(None)),
                }
            }
            objects
        };
        found.push((kind, objects));
    }
    let now = cluster.now_ms();
    let mut out = String::new();
    let total: usize = found.iter().map(|(_, o)| o.len()).sum();
    match output {
        "json" | "yaml" => {
            let items: Vec<serde_json::Value> = found.iter().flat_map(|(_, objects)| objects.iter().map(|o| o.to_json())).collect();
            if total > 0 || !named {
                let value = if named && total == 1 && requests.len() == 1 {
                    items.into_iter().next().unwrap_or_default()
                } else {
                    serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
                };
                out = if output == "json" { to_json(&value) } else { super::yaml::to_yaml(&value) };
            }
        }
        "name" => {
            for (kind, objects) in &found {
                for o in objects {
                    out.push_str(&format!("{}/{}\n", kind.qualified_singular(), o.metadata().name.as_deref().unwrap_or("")));
                }
            }
        }
        _ => {
            let prefix_names = found.len() > 1;
            let mut tables = Vec::new();
            for (kind, objects) in &found {
                if objects.is_empty() {
                    continue;
                }
                let mut rows = vec![header(kind, output == "wide", args.all_namespaces && kind.namespaced)];
                for o in objects {
                    let mut row = columns(o, now, output == "wide");
                    if prefix_names {
                        row[0] = format!("{}/{}", kind.qualified_singular(), row[0]);
                    }
                    if args.all_namespaces && kind.namespaced {
                        row.insert(0, o.metadata().namespace.clone().unwrap_or_default());
                    }
                    rows.push(row);
                }
                tables.push(render(&rows));
            }
            out = tables.join("\n");
        }
    }
    if total == 0 && errors.is_empty() {
        let any_namespaced = requests.iter().any(|(k, _)| k.namespaced);
        return Ok(match &namespace {
            Some(ns) if any_namespaced => format!("No resources found in {ns} namespace."),
            _ => "No resources found".to_string(),
        });
    }
    for e in errors {
        out.push_str(&e);
        out.push('\n');
    }
    Ok(out)
}

/// JSON as kubectl prints it: keys sorted, four-space indentation.
pub fn to_json(value: &serde_json::Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    let _ = serde::Serialize::serialize(value, &mut ser);
    String::from_utf8(buf).unwrap_or_default() + "\n"
}

fn header(kind: &KindInfo, wide: bool, with_namespace: bool) -> Vec<String> {
    let (base, extra): (&[&str], &[&str]) = match kind.kind {
        "Pod" => (&["NAME", "READY", "STATUS", "RESTARTS", "AGE"], &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]),
        "Node" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
        ),
        "Deployment" => (&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        "ReplicaSet" => (&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        "Namespace" => (&["NAME", "STATUS", "AGE"], &[]),
        "Event" => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[]),
        _ => (&["NAME", "AGE"], &[]),
    };
    let mut h: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    if wide {
        h.extend(extra.iter().map(|s| s.to_string()));
    }
    if with_namespace {
        h.insert(0, "NAMESPACE".to_string());
    }
    h
}

fn or_none(value: Option<String>) -> String {
    value.filter(|v| !v.is_empty()).unwrap_or_else(|| "<none>".to_string())
}

/// `metav1.FormatLabelSelector`: `app=web,tier in (a,b)`.
fn format_selector(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in selector.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "Exists" => e.key.clone(),
            "DoesNotExist" => format!("!{}", e.key),
            op => format!("{} {} ({values})", e.key, op.to_lowercase()),
        });
    }
    if parts.is_empty() {
        "<none>".to_string()
    } else {
        parts.join(",")
    }
}

fn containers_and_images(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> (String, String) {
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
    let images: Vec<&str> = containers.iter().map(|c| c.image.as_deref().unwrap_or("")).collect();
    (names.join(","), images.join(","))
}

fn columns(object: &Object, now: u64, wide: bool) -> Vec<String> {
    let meta = object.metadata();
    let name = meta.name.clone().unwrap_or_default();
    let age = meta.creation_timestamp.as_ref().map_or("<unknown>".to_string(), |t| human_duration(now as i64 - virtual_ms(t) as i64));
    match object {
        Object::Pod(pod) => {
            let (status, ready, restarts) = pod_status(pod);
            let mut row = vec![name, ready, status, restarts.to_string(), age];
            if wide {
                let s = pod.status.as_ref();
                row.push(or_none(s.and_then(|s| s.pod_ip.clone())));
                row.push(or_none(pod.spec.as_ref().and_then(|s| s.node_name.clone())));
                row.push(or_none(s.and_then(|s| s.nominated_node_name.clone())));
                row.push("<none>".to_string());
            }
            row
        }
        Object::Node(node) => {
            let info = node.status.as_ref().and_then(|s| s.node_info.clone()).unwrap_or_default();
            let mut row = vec![name, node_status(node), node_roles(node), age, info.kubelet_version.clone()];
            if wide {
                let addresses = node.status.as_ref().and_then(|s| s.addresses.clone()).unwrap_or_default();
                let address = |t: &str| or_none(addresses.iter().find(|a| a.type_ == t).map(|a| a.address.clone()));
                row.extend([
                    address("InternalIP"),
                    address("ExternalIP"),
                    info.os_image,
                    info.kernel_version,
                    info.container_runtime_version,
                ]);
            }
            row
        }
        Object::Deployment(d) => {
            let spec = d.spec.as_ref();
            let s = d.status.clone().unwrap_or_default();
            let replicas = spec.and_then(|s| s.replicas).unwrap_or(0);
            let mut row = vec![
                name,
                format!("{}/{replicas}", s.ready_replicas.unwrap_or(0)),
                s.updated_replicas.unwrap_or(0).to_string(),
                s.available_replicas.unwrap_or(0).to_string(),
                age,
            ];
            if wide {
                let (containers, images) = containers_and_images(spec.and_then(|s| s.template.spec.as_ref()));
                row.extend([containers, images, spec.map_or("<none>".to_string(), |s| format_selector(&s.selector))]);
            }
            row
        }
        Object::ReplicaSet(rs) => {
            let spec = rs.spec.as_ref();
            let s = rs.status.clone().unwrap_or_default();
            let mut row = vec![
                name,
                spec.and_then(|s| s.replicas).unwrap_or(0).to_string(),
                s.replicas.to_string(),
                s.ready_replicas.unwrap_or(0).to_string(),
                age,
            ];
            if wide {
                let (containers, images) = containers_and_images(spec.and_then(|s| s.template.as_ref()).and_then(|t| t.spec.as_ref()));
                row.extend([containers, images, spec.map_or("<none>".to_string(), |s| format_selector(&s.selector))]);
            }
            row
        }
        Object::Namespace(ns) => vec![name, or_none(ns.status.as_ref().and_then(|s| s.phase.clone())), age],
        Object::Event(e) => {
            let last = e.last_timestamp.as_ref().or(e.first_timestamp.as_ref());
            let seen = last.map_or("<unknown>".to_string(), |t| human_duration(now as i64 - virtual_ms(t) as i64));
            let involved = &e.involved_object;
            let object = format!("{}/{}", involved.kind.as_deref().unwrap_or("").to_lowercase(), involved.name.as_deref().unwrap_or(""));
            vec![
                seen,
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                object,
                e.message.clone().unwrap_or_default(),
            ]
        }
        _ => vec![name, age],
    }
}
