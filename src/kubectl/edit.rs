//! `kubectl edit TYPE NAME`: the object opens in an editor as YAML; what is saved is merged
//! into the live object as kubectl does it (`staging/src/k8s.io/kubectl/pkg/cmd/util/editor/`).
//!
//! The command language has no terminal editor. Without standard input, `edit` answers with the
//! text the editor would show (the browser opens it in its editor, see [`super::Reply`]); with
//! standard input (a script's heredoc, or the browser's saved text) that text is the edited
//! object.
use serde_json::Value;

use super::merge;
use super::resources::{fetch, targets, Target};
use super::yaml::to_yaml;
use super::{Args, Input};
use crate::api::manifest;
use crate::apiserver::Component;
use crate::Cluster;

/// The comment kubectl puts above the object in the editor.
const HEADER: &str = "# Please edit the object below. Lines beginning with a '#' will be ignored,\n# and an empty file will abort the edit. If an error occurs while saving this file will be\n# reopened with the relevant failures.\n#\n";

/// The one object `edit` names.
fn target(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<Target, String> {
    let no_stdin = Input { stdin: None, files: input.files };
    let mut errors = Vec::new();
    let found = targets(cluster, args, &no_stdin, &args.positional, &mut errors)?;
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    found.into_iter().next().ok_or_else(|| "error: no objects passed to edit".to_string())
}

/// What the editor shows for the object the command names.
pub fn open(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let target = target(cluster, args, input)?;
    let live = fetch(cluster, &target)?;
    Ok(format!("{HEADER}{}", to_yaml(&live.to_json())))
}

/// What the API server owns (identity, versions, timestamps, status) stays as it is when the
/// edited text leaves it out: a script's heredoc need not copy a uid or a resourceVersion. A
/// value the text does give is kept (a stale resourceVersion is a conflict, as in kubectl).
fn keep_server_fields(original: &Value, edited: &mut Value) {
    for field in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "deletionTimestamp", "ownerReferences"] {
        if edited["metadata"].get(field).is_none() {
            if let Some(v) = original["metadata"].get(field) {
                edited["metadata"][field] = v.clone();
            }
        }
    }
    if edited.get("status").is_none() {
        if let Some(status) = original.get("status") {
            edited["status"] = status.clone();
        }
    }
}

pub fn edit(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let Some(edited) = input.stdin else { return open(cluster, args, input) };
    let target = target(cluster, args, input)?;
    let live = fetch(cluster, &target)?;
    let original = live.to_json();
    let text: String = edited.lines().filter(|l| !l.trim_start().starts_with('#')).map(|l| format!("{l}\n")).collect();
    if text.trim().is_empty() {
        return Ok("Edit cancelled, saved file was empty.".to_string());
    }
    let mut doc = match manifest::parse(&text).into_iter().next() {
        Some(Ok(doc)) => doc,
        Some(Err(e)) => return Err(e.render("edited file")),
        None => return Ok("Edit cancelled, saved file was empty.".to_string()),
    };
    keep_server_fields(&original, &mut doc.value);
    if doc.value == original {
        return Ok("Edit cancelled, no changes made.".to_string());
    }
    if doc.kind.kind != target.kind.kind || doc.name != target.key.name {
        return Err("error: At least one of apiVersion, kind and name was changed".to_string());
    }
    // The edit is a patch from the object as it was opened to the saved text, applied to the
    // live object (here the two are the same: nothing runs while the editor is open).
    let merged: Value = merge::three_way(&original, &original, &doc.value);
    let object = manifest::decode(&manifest::Document { value: merged, ..doc }).map_err(|e| format!("error: {e}"))?;
    cluster.request(Component::Kubectl, |c| c.update(object)).map_err(|e| e.render(None))?;
    Ok(format!("{} edited", target.id()))
}
