//! `kubectl apply`, `create`, `delete` and `scale`: the commands that change the cluster.
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{resource, Args, Input};
use crate::api::manifest::{self, Document, FieldValidation, ManifestError};
use crate::api::{Key, Object};
use crate::apiserver::{check_quantities, ApiError, Component, DeleteOptions, Propagation};
use crate::Cluster;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    Create,
}

/// Every document of every `-f` source, in order, each either applied or reported.
pub fn apply(cluster: &mut Cluster, args: &Args, input: &Input, mode: Mode) -> Result<String, String> {
    if args.filenames.is_empty() {
        return Err("error: must specify one of -f and -k".to_string());
    }
    FieldValidation::from_flag(args.value("validate"))?;
    let mut out = String::new();
    let mut applied = 0;
    for source in &args.filenames {
        let (text, name) = input.read(source)?;
        for doc in manifest::parse(&text) {
            let line = match doc {
                Err(e @ ManifestError::Syntax { .. }) => {
                    out.push_str(&e.render(&name));
                    out.push('\n');
                    break;
                }
                Err(e) => e.render(&name),
                Ok(doc) => {
                    applied += 1;
                    apply_one(cluster, args, doc, &name, mode).unwrap_or_else(|e| e)
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    if applied == 0 && out.is_empty() {
        return Err("error: no objects passed to apply".to_string());
    }
    Ok(out)
}

/// Applies one document: created if new, configured if changed, unchanged otherwise.
fn apply_one(cluster: &mut Cluster, args: &Args, mut doc: Document, source: &str, mode: Mode) -> Result<String, String> {
    let kind = doc.kind;
    let during = if cluster.api().peek(&Key::new(kind.kind, doc.namespace.as_deref().unwrap_or(args.namespace()), &doc.name)).is_some() {
        "applying patch"
    } else {
        "creating"
    };
    // The API server decodes before anything else: a value of the wrong type stops here,
    // before kubectl's own edits of the document below.
    let decoded = manifest::decode(&doc).map_err(|e| ApiError::bad_request(e).render(Some((during, source))))?;
    let validation = FieldValidation::from_flag(args.value("validate"))?;
    let warnings = validation.check(&doc, &decoded).map_err(|e| ApiError::bad_request(e).render(Some((during, source))))?;
    let warnings: String = warnings.iter().map(|w| format!("{w}\n")).collect();
    if kind.namespaced {
        let flag_ns = args.namespace.as_deref();
        match (&doc.namespace, flag_ns) {
            (Some(own), Some(flag)) if own != flag => {
                return Err(format!("error: the namespace from the provided object {own:?} does not match the namespace {flag:?}. You must pass '--namespace={own}' to perform this operation."));
            }
            (None, _) => {
                let ns = args.namespace().to_string();
                doc.value["metadata"]["namespace"] = json!(ns);
                doc.namespace = Some(ns);
            }
            _ => {}
        }
    }
    let id = format!("{}/{}", kind.qualified_singular(), doc.name);
    if mode == Mode::Apply {
        // kubectl keeps what was applied, to compute the next apply's changes from it.
        let mut last = doc.value.clone();
        let annotations = last["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
        last["metadata"]["annotations"] = Value::Object(annotations.into_iter().filter(|(k, _)| k != LAST_APPLIED).collect());
        let serialized = serde_json::to_string(&last).unwrap_or_default() + "\n";
        doc.value["metadata"]["annotations"][LAST_APPLIED] = json!(serialized);
    }
    let key = Key::new(kind.kind, doc.namespace.as_deref().unwrap_or(""), &doc.name);
    let live = cluster.api().peek(&key).filter(|_| !doc.name.is_empty());
    let server_error = |e: ApiError| e.render(Some((during, source)));
    match (mode, live) {
        (Mode::Create, Some(_)) | (Mode::Apply, None) | (Mode::Create, None) => {
            let object = manifest::decode(&doc).map_err(|e| server_error(ApiError::bad_request(e)))?;
            check_quantities(&object).map_err(server_error)?;
            let created = cluster.request(Component::Kubectl, |c| c.create(object)).map_err(server_error)?;
            let name = created.metadata().name.clone().unwrap_or_default();
            Ok(format!("{warnings}{}/{name} created", kind.qualified_singular()))
        }
        (Mode::Apply, Some(live)) => {
            let merged = merge(&live.to_json(), &doc.value);
            let merged_doc = Document { value: merged, ..doc };
            let object = manifest::decode(&merged_doc).map_err(|e| server_error(ApiError::bad_request(e)))?;
            check_quantities(&object).map_err(server_error)?;
            let before = live.metadata().resource_version.clone();
            let updated = cluster.request(Component::Kubectl, |c| c.update(object)).map_err(server_error)?;
            let word = if updated.metadata().resource_version == before { "unchanged" } else { "configured" };
            Ok(format!("{warnings}{id} {word}"))
        }
    }
}

/// The object apply sends for an existing one: the live object with the manifest's spec, and
/// its labels and annotations merged over the live ones (keys dropped from the manifest since
/// the last apply are removed). Server-set fields and the status stay as they are.
fn merge(live: &Value, applied: &Value) -> Value {
    let mut merged = live.clone();
    for (k, v) in applied.as_object().into_iter().flatten() {
        if k != "metadata" && k != "status" {
            merged[k] = v.clone();
        }
    }
    let last: Value = live["metadata"]["annotations"][LAST_APPLIED].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    for field in ["labels", "annotations"] {
        let mut map: BTreeMap<String, Value> = live["metadata"][field].as_object().cloned().unwrap_or_default().into_iter().collect();
        for removed in last["metadata"][field].as_object().into_iter().flatten().map(|(k, _)| k) {
            if applied["metadata"][field].get(removed).is_none() {
                map.remove(removed);
            }
        }
        for (k, v) in applied["metadata"][field].as_object().into_iter().flatten() {
            map.insert(k.clone(), v.clone());
        }
        merged["metadata"][field] = if map.is_empty() { Value::Null } else { json!(map) };
    }
    merged
}

/// `kubectl delete TYPE NAME...` or `kubectl delete -f SOURCE`. Like kubectl, it waits until
/// a deleted pod is really gone (its containers stopped and the kubelet confirmed it).
pub fn delete(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let mut targets: Vec<(Key, String)> = Vec::new();
    let mut out = Vec::new();
    for source in &args.filenames {
        let (text, name) = input.read(source)?;
        for doc in manifest::parse(&text) {
            match doc {
                Ok(d) => {
                    let ns =
                        if d.kind.namespaced { d.namespace.clone().unwrap_or_else(|| args.namespace().to_string()) } else { String::new() };
                    targets.push((Key::new(d.kind.kind, &ns, &d.name), d.kind.qualified_resource()));
                }
                Err(e) => out.push(e.render(&name)),
            }
        }
    }
    if args.filenames.is_empty() {
        let Some(first) = args.positional.first() else {
            return Err("error: resource(s) were provided, but no name was specified".to_string());
        };
        let pairs: Vec<(String, String)> = if first.contains('/') {
            args.positional.iter().filter_map(|w| w.split_once('/')).map(|(k, n)| (k.to_string(), n.to_string())).collect()
        } else {
            if args.positional.len() < 2 {
                return Err("error: resource(s) were provided, but no name was specified".to_string());
            }
            args.positional[1..].iter().map(|n| (first.clone(), n.clone())).collect()
        };
        for (kind, name) in pairs {
            let kind = resource(&kind)?;
            let ns = if kind.namespaced { args.namespace() } else { "" };
            targets.push((Key::new(kind.kind, ns, &name), kind.qualified_resource()));
        }
    }
    let grace = match args.value("grace-period") {
        Some(g) => Some(g.parse::<i64>().map_err(|_| {
            format!("error: invalid argument {g:?} for \"--grace-period\" flag: strconv.ParseInt: parsing {g:?}: invalid syntax")
        })?),
        None => None,
    };
    let propagation = match args.value("cascade").unwrap_or("background") {
        "background" | "true" => Propagation::Background,
        "foreground" => Propagation::Foreground,
        "orphan" | "false" => Propagation::Orphan,
        other => return Err(format!("error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"")),
    };
    let options = DeleteOptions { grace_period_seconds: grace, propagation_policy: Some(propagation) };
    let mut waiting = Vec::new();
    for (key, resource_name) in targets {
        match cluster.request(Component::Kubectl, |c| c.delete_with(&key, options)) {
            Ok(_) => {
                out.push(format!("{resource_name} {:?} deleted", key.name));
                waiting.push(key);
            }
            Err(e) => out.push(e.render(None)),
        }
    }
    if args.value("wait") != Some("false") {
        wait_until_gone(cluster, &waiting);
    }
    Ok(out.join("\n"))
}

/// Advances virtual time until every key is gone (at most 10 minutes), as `--wait` does.
fn wait_until_gone(cluster: &mut Cluster, keys: &[Key]) {
    for _ in 0..6_000 {
        if keys.iter().all(|k| cluster.api().peek(k).is_none()) {
            return;
        }
        cluster.advance(100);
    }
}

/// `kubectl scale TYPE NAME --replicas=N`.
pub fn scale(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let Some(replicas) = args.value("replicas") else { return Err("error: required flag(s) \"replicas\" not set".to_string()) };
    let replicas: i32 = replicas.parse().map_err(|_| {
        format!("error: invalid argument {replicas:?} for \"--replicas\" flag: strconv.ParseInt: parsing {replicas:?}: invalid syntax")
    })?;
    let (kind, name) = match args.positional.as_slice() {
        [one] if one.contains('/') => one.split_once('/').map(|(k, n)| (k.to_string(), n.to_string())).unwrap_or_default(),
        [kind, name] => (kind.clone(), name.clone()),
        _ => return Err("error: resource(s) were provided, but no name was specified".to_string()),
    };
    let kind = resource(&kind)?;
    if !matches!(kind.kind, "Deployment" | "ReplicaSet") {
        return Err(format!("error: no objects passed to scale {:?}", kind.qualified_resource()));
    }
    let key = Key::new(kind.kind, args.namespace(), &name);
    let result = cluster.request(Component::Kubectl, |c| {
        c.patch(&key, "update scale", |o| match o {
            Object::Deployment(d) => d.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
            Object::ReplicaSet(r) => r.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
            _ => {}
        })
    });
    result.map(|_| format!("{}/{name} scaled", kind.qualified_singular())).map_err(|e| e.render(None))
}
