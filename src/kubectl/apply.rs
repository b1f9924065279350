//! `kubectl apply`, `create`, `delete` and `scale`: the commands that change the cluster.
use serde_json::{json, Value};

use super::get::to_json;
use super::merge;
use super::resources::{fetch_all, targets};
use super::wait::until;
use super::yaml::to_yaml;
use super::{Args, Input};
use crate::api::manifest::{self, Document, FieldValidation, ManifestError};
use crate::api::validation;
use crate::api::{Key, KindInfo, Object};
use crate::apiserver::{check_quantities, ApiError, Component, DeleteOptions, Propagation, Reason};
use crate::Cluster;

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    Create,
}

/// `--dry-run`: nothing is persisted; the client alone, or the API server, decides the result.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DryRun {
    None,
    Client,
    Server,
}

impl DryRun {
    pub fn of(args: &Args) -> Result<DryRun, String> {
        match args.value("dry-run") {
            None | Some("none" | "false") => Ok(DryRun::None),
            // A bare `--dry-run` is the deprecated spelling of `--dry-run=client`.
            Some("client" | "true") => Ok(DryRun::Client),
            Some("server") => Ok(DryRun::Server),
            Some(other) => Err(format!("error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\".")),
        }
    }
    /// What kubectl appends to the operation it prints.
    fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// The `-o` formats of the commands that print the object they changed.
pub fn output_format(args: &Args) -> Result<Option<&str>, String> {
    match args.output.as_deref() {
        None => Ok(None),
        Some(f @ ("json" | "yaml" | "name")) => Ok(Some(f)),
        Some(other) => Err(format!(
            "error: unable to match a printer suitable for the output format {other:?}, allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"
        )),
    }
}

/// What a mutating command prints for one object: `deployment.apps/web created`, or with `-o`
/// the object itself (`yaml`, `json`) or its name.
pub fn report(kind: &KindInfo, object: &Value, operation: &str, args: &Args) -> String {
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    let dry_run = DryRun::of(args).unwrap_or(DryRun::None);
    match args.output.as_deref() {
        Some("yaml") => to_yaml(object).trim_end().to_string(),
        Some("json") => to_json(object).trim_end().to_string(),
        Some("name") => format!("{}/{name}", kind.qualified_singular()),
        _ => format!("{}/{name} {operation}{}", kind.qualified_singular(), dry_run.suffix()),
    }
}

/// Creates an object, or with `--dry-run` only checks it; returns the object as created.
pub fn create_object(cluster: &mut Cluster, object: Object, dry_run: DryRun) -> Result<Value, ApiError> {
    write_object(cluster, object, dry_run, true)
}

/// Replaces an object with `object` (kubectl's patch, already merged), or with `--dry-run`
/// only checks it; returns the object as stored.
pub fn update_object(cluster: &mut Cluster, object: Object, dry_run: DryRun) -> Result<Value, ApiError> {
    write_object(cluster, object, dry_run, false)
}

fn write_object(cluster: &mut Cluster, object: Object, dry_run: DryRun, create: bool) -> Result<Value, ApiError> {
    check_quantities(&object)?;
    match dry_run {
        DryRun::None if create => cluster.request(Component::Kubectl, |c| c.create(object)).map(|o| o.to_json()),
        DryRun::None => cluster.request(Component::Kubectl, |c| c.update(object)).map(|o| o.to_json()),
        DryRun::Client => Ok(object.to_json()),
        DryRun::Server => {
            // The API server's dry run validates (and for a create checks for a clash), and
            // persists nothing.
            let info = object.kind();
            let name = object.metadata().name.clone().unwrap_or_default();
            let errors = validation::validate(&object);
            if !errors.is_empty() {
                return Err(ApiError::invalid(info, &name, errors));
            }
            if create && cluster.api().peek(&Key::of(&object)).is_some() {
                return Err(ApiError::already_exists(info, &name));
            }
            Ok(object.to_json())
        }
    }
}

/// Every document of every `-f` source, in order, each either applied or reported.
pub fn apply(cluster: &mut Cluster, args: &Args, input: &Input, mode: Mode) -> Result<String, String> {
    if args.filenames.is_empty() {
        return Err("error: must specify one of -f and -k".to_string());
    }
    let dry_run = DryRun::of(args)?;
    let format = output_format(args)?;
    FieldValidation::from_flag(args.value("validate"))?;
    let mut out = String::new();
    let mut applied = 0;
    // With -o yaml|json kubectl prints the objects at the end: one alone, several as a List.
    let mut objects = Vec::new();
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
                    match apply_one(cluster, args, doc, &name, mode, dry_run) {
                        Ok((_, object)) if matches!(format, Some("yaml" | "json")) => {
                            objects.push(object);
                            continue;
                        }
                        Ok((line, _)) => line,
                        Err(e) => e,
                    }
                }
            };
            out.push_str(&line);
            out.push('\n');
        }
    }
    if applied == 0 && out.is_empty() {
        return Err("error: no objects passed to apply".to_string());
    }
    let printed = match objects.len() {
        0 => None,
        1 => objects.pop(),
        _ => Some(json!({"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}})),
    };
    if let Some(object) = printed {
        out.push_str(&if format == Some("json") { to_json(&object) } else { to_yaml(&object) });
    }
    Ok(out)
}

/// A manifest document made ready to send: decoded once (a value of the wrong type is the API
/// server's 400, before kubectl's own edits), its namespace filled in from `-n`.
pub fn prepare(args: &Args, mut doc: Document, during: &str, source: &str) -> Result<Document, String> {
    manifest::decode(&doc).map_err(|e| ApiError::bad_request(e).render(Some((during, source))))?;
    if doc.kind.namespaced {
        match (&doc.namespace, args.namespace.as_deref()) {
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
    Ok(doc)
}

/// The manifest with the `last-applied-configuration` annotation kubectl keeps on the object, to
/// compute the next apply's changes from it (`util.CreateOrUpdateAnnotation`).
pub fn with_last_applied(mut value: Value) -> Value {
    // kubectl serializes the object with its annotations minus this one: an object without
    // annotations records `"annotations":{}`, as real clusters show.
    let mut last = value.clone();
    let annotations = last["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
    last["metadata"]["annotations"] = Value::Object(annotations.into_iter().filter(|(k, _)| k != LAST_APPLIED).collect());
    let serialized = serde_json::to_string(&last).unwrap_or_default() + "\n";
    value["metadata"]["annotations"][LAST_APPLIED] = json!(serialized);
    value
}

/// The object `kubectl apply` would send for a live object: the three-way merge of the last
/// applied configuration, the live object and the new manifest (with its annotation).
pub fn merged_with_live(live: &Object, new: &Value) -> Value {
    let live = live.to_json();
    let last: Value = live["metadata"]["annotations"][LAST_APPLIED].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    merge::three_way(&last, &live, new)
}

/// Applies one document: created if new, configured if changed, unchanged otherwise.
/// Returns the line kubectl prints and the object as the API server returned it.
fn apply_one(
    cluster: &mut Cluster,
    args: &Args,
    doc: Document,
    source: &str,
    mode: Mode,
    dry_run: DryRun,
) -> Result<(String, Value), String> {
    let kind = doc.kind;
    let lookup = Key::new(kind.kind, doc.namespace.as_deref().unwrap_or(args.namespace()), &doc.name);
    let during = if cluster.api().peek(&lookup).is_some() { "applying patch" } else { "creating" };
    let mut doc = prepare(args, doc, during, source)?;
    // Server-side field validation (`--validate`): unknown fields fail the request, or warn.
    let decoded = manifest::decode(&doc).map_err(|e| ApiError::bad_request(e).render(Some((during, source))))?;
    let warnings = FieldValidation::from_flag(args.value("validate"))?
        .check(&doc, &decoded)
        .map_err(|e| ApiError::bad_request(e).render(Some((during, source))))?;
    let warned = |line: String| warnings.iter().map(|w| format!("{w}\n")).collect::<String>() + &line;
    if mode == Mode::Apply {
        doc.value = with_last_applied(doc.value);
    }
    let key = Key::new(kind.kind, doc.namespace.as_deref().unwrap_or(""), &doc.name);
    let live = cluster.api().peek(&key).filter(|_| !doc.name.is_empty());
    let server_error = |e: ApiError| e.render(Some((during, source)));
    match (mode, live) {
        (Mode::Create, _) | (Mode::Apply, None) => {
            let object = manifest::decode(&doc).map_err(|e| server_error(ApiError::bad_request(e)))?;
            let created = create_object(cluster, object, dry_run).map_err(server_error)?;
            Ok((warned(report(kind, &created, "created", args)), created))
        }
        (Mode::Apply, Some(live)) => {
            let merged = merged_with_live(&live, &doc.value);
            // kubectl sends no patch when the merge changes nothing.
            if merged == live.to_json() {
                return Ok((warned(report(kind, &merged, "unchanged", args)), merged));
            }
            let merged_doc = Document { value: merged, ..doc };
            let object = manifest::decode(&merged_doc).map_err(|e| server_error(ApiError::bad_request(e)))?;
            let updated = update_object(cluster, object, dry_run).map_err(server_error)?;
            Ok((warned(report(kind, &updated, "configured", args)), updated))
        }
    }
}

/// `kubectl delete TYPE NAME… | TYPE -l SEL | TYPE --all | -f SOURCE`, with kubectl's
/// `--grace-period`, `--now`, `--force`, `--ignore-not-found` and `--wait`
/// (`staging/src/k8s.io/kubectl/pkg/cmd/delete/delete.go`). Like kubectl, it waits until what it
/// deleted is really gone (a pod's containers stopped and its kubelet confirmed it).
pub fn delete(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    if let Some(output) = args.output.as_deref().filter(|o| *o != "name") {
        return Err(format!("error: unexpected -o output mode: {output}. We only support '-o name'"));
    }
    let mut grace = i64::from(args.int("grace-period")?.unwrap_or(-1));
    if args.flag("now") {
        if grace != -1 {
            return Err("error: --now and --grace-period cannot be specified together".to_string());
        }
        grace = 1;
    }
    let force = args.flag("force");
    if grace == 0 && !force {
        // kubectl turns --grace-period=0 into 1 unless --force says "really now".
        grace = 1;
    }
    if force && grace < 0 {
        grace = 0;
    }
    let all = args.flag("all");
    if all && args.selector.is_some() {
        return Err("error: cannot set --all and --selector at the same time".to_string());
    }
    let mut out = Vec::new();
    match (grace, force) {
        (0, true) => out.push("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".to_string()),
        (1.., true) => return Err("error: --force and --grace-period greater than 0 cannot be specified together".to_string()),
        _ => {}
    }
    let dry_run = DryRun::of(args)?;
    let ignore_not_found = match args.value("ignore-not-found") {
        Some(v) => v != "false",
        // With --all or -l, kubectl ignores what vanished between listing and deleting.
        None => all || args.selector.is_some(),
    };
    let propagation = match args.value("cascade").unwrap_or("background") {
        "background" | "true" => Propagation::Background,
        "foreground" => Propagation::Foreground,
        "orphan" | "false" => Propagation::Orphan,
        other => return Err(format!("error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"")),
    };
    let options = DeleteOptions { grace_period_seconds: (grace >= 0).then_some(grace), propagation_policy: Some(propagation) };
    let mut errors = Vec::new();
    let found = targets(cluster, args, input, &args.positional, &mut errors)?;
    let operation = if grace == 0 { "force deleted" } else { "deleted" };
    let mut deleted = Vec::new();
    for target in found {
        // delete.go prints the lower-cased kind and its group: the singular name, qualified.
        let kind_string = target.kind.qualified_singular();
        let result = match dry_run {
            DryRun::None => cluster.request(Component::Kubectl, |c| c.delete_with(&target.key, options)),
            _ => cluster.request(Component::Kubectl, |c| c.get(&target.key)),
        };
        let uid = match result {
            Ok(object) => object.metadata().uid.clone(),
            Err(e) if e.reason == Reason::NotFound && ignore_not_found => continue,
            Err(e) => {
                errors.push(e.render(None));
                continue;
            }
        };
        match args.output {
            Some(_) => out.push(format!("{kind_string}/{}", target.key.name)),
            None => out.push(format!("{kind_string} {:?} {operation}{}", target.key.name, dry_run.suffix())),
        }
        deleted.push((target.key, uid));
    }
    if deleted.is_empty() && errors.is_empty() {
        out.push("No resources found".to_string());
    }
    out.extend(errors);
    // --wait (the default) waits until the objects are gone. kubectl waits up to a week; a
    // console cannot, so this waits at most 10 minutes of virtual time. Like kubectl it waits
    // for the uid to go: a StatefulSet's replacement pod has the same name.
    if args.value("wait").is_none_or(|v| v != "false") && dry_run == DryRun::None {
        until(cluster, 600_000, |c| deleted.iter().all(|(k, uid)| c.api().peek(k).is_none_or(|o| o.metadata().uid != *uid)));
    }
    Ok(out.join("\n"))
}

/// `kubectl scale TYPE NAME… | TYPE/NAME… | -f SOURCE | TYPE -l SEL --replicas=N
/// [--current-replicas=M]`: the scale subresource of Deployments, ReplicaSets and StatefulSets.
pub fn scale(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let Some(replicas) = args.int("replicas")? else { return Err("error: required flag(s) \"replicas\" not set".to_string()) };
    let current = args.int("current-replicas")?.filter(|c| *c >= 0);
    let mut out = Vec::new();
    // kubectl prints the builder's errors (objects not found) after what it did.
    let mut errors = Vec::new();
    let found = fetch_all(cluster, args, input, &args.positional, &mut errors)?;
    if found.is_empty() && errors.is_empty() {
        return Err("error: no objects passed to scale".to_string());
    }
    for (target, live) in found {
        if !matches!(target.kind.kind, "Deployment" | "ReplicaSet" | "StatefulSet") {
            // Other kinds have no scale subresource.
            out.push("Error from server (NotFound): the server could not find the requested resource".to_string());
            continue;
        }
        let spec_replicas = live.to_json()["spec"]["replicas"].as_i64().unwrap_or(1);
        if let Some(expected) = current.filter(|c| i64::from(*c) != spec_replicas) {
            // scale.go's precondition error.
            out.push(format!("error: Expected replicas to be {expected}, was {spec_replicas}"));
            continue;
        }
        let result = cluster.request(Component::Kubectl, |c| {
            c.patch(&target.key, "update scale", |o| match o {
                Object::Deployment(d) => d.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
                Object::ReplicaSet(r) => r.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
                Object::StatefulSet(s) => s.spec.get_or_insert_with(Default::default).replicas = Some(replicas),
                _ => {}
            })
        });
        out.push(result.map(|_| format!("{} scaled", target.id())).unwrap_or_else(|e| e.render(None)));
    }
    out.extend(errors);
    Ok(out.join("\n"))
}
