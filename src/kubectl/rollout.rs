//! `kubectl rollout status|history|undo|restart|pause|resume`
//! (`staging/src/k8s.io/kubectl/pkg/cmd/rollout/`, `pkg/polymorphichelpers/`).
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::resources::{fetch, targets, Target};
use super::set::template_mut;
use super::table::align_blocks;
use super::wait::{timeout, until};
use super::{Args, Input};
use crate::api::{info, is_controlled_by, Object, ObjectRef};
use crate::apiserver::{timestamp, Component};
use crate::Cluster;

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
const TEMPLATE_HASH: &str = "pod-template-hash";

pub fn rollout(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let Some((sub, words)) = args.positional.split_first() else {
        return Err("error: Unexpected args: []\nSee 'kubectl rollout -h' for help and examples".to_string());
    };
    if words.is_empty() && args.filenames.is_empty() && args.selector.is_none() {
        return Err("error: required resource not specified".to_string());
    }
    let mut out = Vec::new();
    let found = targets(cluster, args, input, words, &mut out)?;
    for target in found {
        // The resource builder reads each object first: a missing one is a NotFound error.
        if let Err(e) = fetch(cluster, &target) {
            out.push(e);
            return Err(out.join("\n"));
        }
        let result = match sub.as_str() {
            "status" => status(cluster, args, &target),
            "history" => history(cluster, args, &target),
            "undo" => undo(cluster, args, &target),
            "restart" => restart(cluster, &target),
            "pause" => set_paused(cluster, &target, true),
            "resume" => set_paused(cluster, &target, false),
            other => return Err(format!("error: unknown command {other:?} for \"kubectl rollout\"")),
        };
        match result {
            Ok(text) => out.push(text),
            Err(e) => {
                out.push(e);
                return Err(out.join("\n"));
            }
        }
    }
    Ok(out.join("\n"))
}

/// `schema.GroupKind.String()`: `Pod`, `DaemonSet.apps`.
fn group_kind(target: &Target) -> String {
    match target.kind.group {
        "" => target.kind.kind.to_string(),
        group => format!("{}.{group}", target.kind.kind),
    }
}

fn only_deployments(target: &Target, what: &str) -> Result<(), String> {
    if target.kind.kind == "Deployment" {
        Ok(())
    } else {
        Err(format!("error: no {what} has been implemented for {:?}", group_kind(target)))
    }
}

/// The status line of a workload, and whether its rollout is done (`rollout_status.go`).
fn status_line(object: &Object) -> Result<(String, bool), String> {
    let o = object.to_json();
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let generation = o["metadata"]["generation"].as_i64().unwrap_or(0);
    let status = &o["status"];
    let int = |v: &Value| v.as_i64().unwrap_or(0);
    let observed = int(&status["observedGeneration"]);
    match object {
        Object::Deployment(_) => {
            if generation > observed {
                return Ok(("Waiting for deployment spec update to be observed...".to_string(), false));
            }
            let deadline = status["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded");
            if deadline {
                return Err(format!("error: deployment {name:?} exceeded its progress deadline"));
            }
            let wanted = o["spec"]["replicas"].as_i64().unwrap_or(1);
            let (updated, replicas, available) =
                (int(&status["updatedReplicas"]), int(&status["replicas"]), int(&status["availableReplicas"]));
            let waiting = |what: String| Ok((format!("Waiting for deployment {name:?} rollout to finish: {what}..."), false));
            if updated < wanted {
                return waiting(format!("{updated} out of {wanted} new replicas have been updated"));
            }
            if replicas > updated {
                return waiting(format!("{} old replicas are pending termination", replicas - updated));
            }
            if available < updated {
                return waiting(format!("{available} of {updated} updated replicas are available"));
            }
            Ok((format!("deployment {name:?} successfully rolled out"), true))
        }
        Object::DaemonSet(_) => {
            if o["spec"]["updateStrategy"]["type"] == "OnDelete" {
                return Err("error: rollout status is only available for RollingUpdate strategy type".to_string());
            }
            if generation > observed {
                return Ok(("Waiting for daemon set spec update to be observed...".to_string(), false));
            }
            let (desired, updated, available) =
                (int(&status["desiredNumberScheduled"]), int(&status["updatedNumberScheduled"]), int(&status["numberAvailable"]));
            if updated < desired {
                return Ok((
                    format!("Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated..."),
                    false,
                ));
            }
            if available < desired {
                return Ok((
                    format!("Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available..."),
                    false,
                ));
            }
            Ok((format!("daemon set {name:?} successfully rolled out"), true))
        }
        Object::StatefulSet(_) => {
            if o["spec"]["updateStrategy"]["type"] == "OnDelete" {
                return Err("error: rollout status is only available for RollingUpdate strategy type".to_string());
            }
            if observed == 0 || generation > observed {
                return Ok(("Waiting for statefulset spec update to be observed...".to_string(), false));
            }
            let wanted = o["spec"]["replicas"].as_i64().unwrap_or(1);
            let ready = int(&status["readyReplicas"]);
            if ready < wanted {
                return Ok((format!("Waiting for {} pods to be ready...", wanted - ready), false));
            }
            let (update_revision, current_revision) =
                (status["updateRevision"].as_str().unwrap_or(""), status["currentRevision"].as_str().unwrap_or(""));
            if update_revision != current_revision {
                let updated = int(&status["updatedReplicas"]);
                return Ok((
                    format!("waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."),
                    false,
                ));
            }
            Ok((
                format!("statefulset rolling update complete {} pods at revision {current_revision}...", int(&status["currentReplicas"])),
                true,
            ))
        }
        other => Err(format!("error: no status viewer has been implemented for {}", other.kind().kind)),
    }
}

/// `rollout status`: prints the status at once and again on every change of the object, until
/// the rollout is done or `--timeout` passes (0, the default, waits; here at most an hour).
fn status(cluster: &mut Cluster, args: &Args, target: &Target) -> Result<String, String> {
    fetch(cluster, target)?;
    let limit = match timeout(args, 0)? {
        0 => 3_600_000,
        t => t,
    };
    let mut lines: Vec<String> = Vec::new();
    let mut failure = None;
    let mut seen: Option<String> = None;
    let done = until(cluster, limit, |c| {
        let Some(object) = c.api().peek(&target.key) else {
            failure = Some(format!("error: {} not found", target.quoted()));
            return true;
        };
        // kubectl prints on every watch event of the object: each new resourceVersion.
        if seen.as_deref() == object.metadata().resource_version.as_deref() {
            return false;
        }
        seen = object.metadata().resource_version.clone();
        match status_line(&object) {
            Ok((line, finished)) => {
                lines.push(line);
                finished
            }
            Err(e) => {
                failure = Some(e);
                true
            }
        }
    });
    if let Some(e) = failure {
        lines.push(e);
        return Err(lines.join("\n"));
    }
    if !done {
        lines.push("error: timed out waiting for the condition".to_string());
        return Err(lines.join("\n"));
    }
    Ok(lines.join("\n"))
}

/// The Deployment and its ReplicaSets with their revisions, oldest first.
fn revisions(cluster: &mut Cluster, target: &Target) -> Result<(ObjectRef, Vec<(i64, ObjectRef)>), String> {
    let deployment = fetch(cluster, target)?;
    let listed = cluster.request(Component::Kubectl, |c| c.list(info("ReplicaSet"), Some(&target.key.namespace)));
    let mut owned: Vec<(i64, ObjectRef)> = listed
        .into_iter()
        .filter(|rs| is_controlled_by(rs.metadata(), deployment.metadata()))
        .filter_map(|rs| {
            let revision = rs.metadata().annotations.as_ref()?.get(REVISION)?.parse().ok()?;
            Some((revision, rs))
        })
        .collect();
    owned.sort_by_key(|(r, _)| *r);
    Ok((deployment, owned))
}

fn template_of(object: &ObjectRef) -> Value {
    object.to_json()["spec"]["template"].clone()
}

/// `rollout history [--revision=N]`.
fn history(cluster: &mut Cluster, args: &Args, target: &Target) -> Result<String, String> {
    only_deployments(target, "history viewer")?;
    let revision = args.int("revision")?.unwrap_or(0);
    let (_, owned) = revisions(cluster, target)?;
    if owned.is_empty() {
        return Ok(format!("{} \nNo rollout history found.", target.id()));
    }
    if revision > 0 {
        let Some((_, rs)) = owned.iter().find(|(r, _)| *r == i64::from(revision)) else {
            return Err("error: unable to find the specified revision".to_string());
        };
        let mut template = template_of(rs);
        if let Some(cause) = rs.metadata().annotations.as_ref().and_then(|a| a.get(CHANGE_CAUSE)) {
            template["metadata"]["annotations"][CHANGE_CAUSE] = json!(cause);
        }
        return Ok(format!("{} with revision #{revision}\n{}\n", target.id(), describe_template(&template)));
    }
    let mut rows = vec!["REVISION\tCHANGE-CAUSE".to_string()];
    for (r, rs) in &owned {
        let cause = rs.metadata().annotations.as_ref().and_then(|a| a.get(CHANGE_CAUSE)).filter(|c| !c.is_empty());
        rows.push(format!("{r}\t{}", cause.map_or("<none>", String::as_str)));
    }
    // The name printer prints "NAME OPERATION\n", and the operation is "\n" and the tabbed
    // history: hence the space after the name and the empty line at the end.
    Ok(format!("{} \n{}\n", target.id(), tabwriter(&rows)))
}

/// `describe.DescribePodTemplate`, as `rollout history --revision` prints it.
fn describe_template(template: &Value) -> String {
    let mut lines = vec!["Pod Template:".to_string()];
    let map_lines = |lines: &mut Vec<String>, title: &str, map: &Value, sep: &str| {
        let entries: Vec<(String, String)> =
            map.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string())).collect();
        match entries.split_first() {
            None => lines.push(format!("  {title}:\t<none>")),
            Some(((k, v), rest)) => {
                lines.push(format!("  {title}:\t{k}{sep}{v}"));
                lines.extend(rest.iter().map(|(k, v)| format!("  \t{k}{sep}{v}")));
            }
        }
    };
    map_lines(&mut lines, "Labels", &template["metadata"]["labels"], "=");
    if template["metadata"]["annotations"].as_object().is_some_and(|a| !a.is_empty()) {
        map_lines(&mut lines, "Annotations", &template["metadata"]["annotations"], ": ");
    }
    lines.push("  Containers:".to_string());
    for c in template["spec"]["containers"].as_array().into_iter().flatten() {
        lines.push(format!("   {}:", c["name"].as_str().unwrap_or("")));
        lines.push(format!("    Image:\t{}", c["image"].as_str().unwrap_or("")));
        let ports: Vec<String> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{}/{}", p["containerPort"], p["protocol"].as_str().unwrap_or("TCP")))
            .collect();
        let host_ports: Vec<String> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{}/{}", p["hostPort"].as_i64().unwrap_or(0), p["protocol"].as_str().unwrap_or("TCP")))
            .collect();
        // "Port" for one, "Ports" for several, as describeContainerBasicInfo words it.
        let port_line = |title: &str, v: Vec<String>| match v.len() {
            0 => format!("    {title}:\t<none>"),
            1 => format!("    {title}:\t{}", v.join("")),
            _ => format!("    {title}s:\t{}", v.join(", ")),
        };
        lines.push(port_line("Port", ports));
        lines.push(port_line("Host Port", host_ports));
        for field in ["command", "args"] {
            if let Some(words) = c[field].as_array().filter(|w| !w.is_empty()) {
                lines.push(format!("    {}{}:", field[..1].to_ascii_uppercase(), &field[1..]));
                lines.extend(words.iter().map(|w| format!("      {}", w.as_str().unwrap_or(""))));
            }
        }
        for (title, key) in [("Limits", "limits"), ("Requests", "requests")] {
            if let Some(map) = c["resources"][key].as_object().filter(|m| !m.is_empty()) {
                lines.push(format!("    {title}:"));
                lines.extend(map.iter().map(|(k, v)| format!("      {k}:\t{}", v.as_str().unwrap_or(""))));
            }
        }
        match c["env"].as_array().filter(|e| !e.is_empty()) {
            None => lines.push("    Environment:\t<none>".to_string()),
            Some(env) => {
                lines.push("    Environment:".to_string());
                lines.extend(
                    env.iter().map(|e| format!("      {}:\t{}", e["name"].as_str().unwrap_or(""), e["value"].as_str().unwrap_or(""))),
                );
            }
        }
        lines.push("    Mounts:\t<none>".to_string());
    }
    lines.push("  Volumes:\t<none>".to_string());
    map_lines(&mut lines, "Node-Selectors", &template["spec"]["nodeSelector"], "=");
    lines.push("  Tolerations:\t<none>".to_string());
    tabwriter(&lines)
}

/// Aligns kubectl's tabbed strings as Go's `text/tabwriter` with padding 2 does.
fn tabwriter(lines: &[String]) -> String {
    align_blocks(&lines.join("\n"), 2)
}

/// Annotations `rollout undo` keeps from the Deployment rather than copying from the ReplicaSet.
const SKIPPED_ANNOTATIONS: &[&str] = &[
    super::apply::LAST_APPLIED,
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// `rollout undo [--to-revision=N]`: kubectl copies the ReplicaSet's template (without its
/// pod-template-hash label) and annotations back into the Deployment (`rollback.go`).
fn undo(cluster: &mut Cluster, args: &Args, target: &Target) -> Result<String, String> {
    only_deployments(target, "rollbacker")?;
    let to = args.int("to-revision")?.map_or(0, i64::from);
    let not_found = |r: i64| format!("error: unable to find specified revision {r} in history");
    if to < 0 {
        return Err(not_found(to));
    }
    let (deployment, owned) = revisions(cluster, target)?;
    let chosen = if to > 0 {
        owned.iter().find(|(r, _)| *r == to).map(|(_, rs)| rs.clone()).ok_or_else(|| not_found(to))?
    } else {
        match owned.len().checked_sub(2).and_then(|i| owned.get(i)) {
            Some((_, rs)) => rs.clone(),
            None => return Err(format!("error: no rollout history found for deployment {:?}", target.key.name)),
        }
    };
    let d = deployment.to_json();
    if d["spec"]["paused"] == json!(true) {
        return Err(
            "error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".to_string()
        );
    }
    let mut template = template_of(&chosen);
    if let Some(labels) = template["metadata"]["labels"].as_object_mut() {
        labels.remove(TEMPLATE_HASH);
    }
    if template == d["spec"]["template"] {
        return Ok(format!("{} skipped rollback (current template already matches revision {to})", target.id()));
    }
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    let live = deployment.metadata().annotations.clone().unwrap_or_default();
    for key in SKIPPED_ANNOTATIONS {
        if let Some(v) = live.get(*key) {
            annotations.insert(key.to_string(), v.clone());
        }
    }
    for (k, v) in chosen.metadata().annotations.clone().unwrap_or_default() {
        if !SKIPPED_ANNOTATIONS.contains(&k.as_str()) {
            annotations.insert(k, v);
        }
    }
    let template: k8s_openapi::api::core::v1::PodTemplateSpec =
        serde_json::from_value(template).map_err(|e| format!("error: failed restoring revision {to}: {e}"))?;
    cluster
        .request(Component::Kubectl, |c| {
            c.patch(&target.key, "patch", |o| {
                if let Object::Deployment(d) = o {
                    d.metadata.annotations = Some(annotations);
                    d.spec.get_or_insert_with(Default::default).template = template;
                }
            })
        })
        .map_err(|e| format!("error: failed restoring revision {to}: {}", e.render(None)))?;
    Ok(format!("{} rolled back", target.id()))
}

/// `rollout restart`: a new `restartedAt` annotation on the pod template starts a rollout.
fn restart(cluster: &mut Cluster, target: &Target) -> Result<String, String> {
    let live = fetch(cluster, target)?;
    if !matches!(&*live, Object::Deployment(_) | Object::DaemonSet(_) | Object::StatefulSet(_)) {
        return Err(format!("error: {} {:?} restarting is not supported", target.kind.qualified_resource(), target.key.name));
    }
    if live.to_json()["spec"]["paused"] == json!(true) {
        return Err("error: can't restart paused deployment (run rollout resume first)".to_string());
    }
    let now = timestamp(cluster.now_ms()).0.to_string();
    let updated = cluster
        .request(Component::Kubectl, |c| {
            c.patch(&target.key, "patch", |o| {
                if let Some(template) = template_mut(o) {
                    let meta = template.metadata.get_or_insert_with(Default::default);
                    meta.annotations.get_or_insert_with(BTreeMap::new).insert(RESTARTED_AT.to_string(), now);
                }
            })
        })
        .map_err(|e| e.render(None))?;
    // The annotation has second precision: a second restart within the same second is no patch.
    if updated.metadata().resource_version == live.metadata().resource_version {
        return Err(format!(
            "error: failed to create patch for {}: if restart has already been triggered within the past second, please wait before attempting to trigger another",
            target.key.name
        ));
    }
    Ok(format!("{} restarted", target.id()))
}

/// `rollout pause` and `rollout resume`: `spec.paused`, with kubectl's error when it already is.
fn set_paused(cluster: &mut Cluster, target: &Target, paused: bool) -> Result<String, String> {
    if target.kind.kind != "Deployment" {
        let verb = if paused { "pausing" } else { "resuming" };
        return Err(format!("error: {} {:?} {verb} is not supported", target.kind.qualified_resource(), target.key.name));
    }
    let live = fetch(cluster, target)?;
    let is_paused = live.to_json()["spec"]["paused"] == json!(true);
    if is_paused == paused {
        let state = if paused { "already paused" } else { "not paused" };
        return Err(format!("error: {} is {state}", target.quoted()));
    }
    cluster
        .request(Component::Kubectl, |c| {
            c.patch(&target.key, "patch", |o| {
                if let Object::Deployment(d) = o {
                    d.spec.get_or_insert_with(Default::default).paused = paused.then_some(true);
                }
            })
        })
        .map_err(|e| e.render(None))?;
    Ok(format!("{} {}", target.id(), if paused { "paused" } else { "resumed" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_aligns_runs_of_lines_as_go_does() {
        let lines: Vec<String> = ["REVISION\tCHANGE-CAUSE", "1\t<none>", "12\tkubectl set image"].iter().map(|s| s.to_string()).collect();
        assert_eq!(tabwriter(&lines), "REVISION  CHANGE-CAUSE\n1         <none>\n12        kubectl set image\n");
        let lines: Vec<String> =
            ["  Labels:\tapp=web", "  \tx=y", "  Containers:", "    Image:\tnginx"].iter().map(|s| s.to_string()).collect();
        assert_eq!(tabwriter(&lines), "  Labels:  app=web\n           x=y\n  Containers:\n    Image:  nginx\n");
    }
}
