//! `kubectl wait`, and the one way every waiting command lets virtual time pass.
use serde_json::Value;

use super::resources::{targets, Target};
use super::sim::parse_duration;
use super::{Args, Input};
use crate::Cluster;

/// How often a waiting command looks again (kubectl watches; a tenth of a second of virtual time
/// is finer than any change a watch would deliver apart).
const STEP_MS: u64 = 100;

/// Lets virtual time pass until `done` holds, checking at once and then every [`STEP_MS`], for
/// at most `timeout_ms`. Returns whether it held. `kubectl wait`, `rollout status` and
/// `delete`'s wait for the objects to be gone all wait through here.
pub fn until(cluster: &mut Cluster, timeout_ms: u64, mut done: impl FnMut(&Cluster) -> bool) -> bool {
    let deadline = cluster.now_ms().saturating_add(timeout_ms);
    loop {
        if done(cluster) {
            return true;
        }
        let now = cluster.now_ms();
        if now >= deadline {
            return false;
        }
        cluster.advance(STEP_MS.min(deadline - now));
    }
}

/// A `--timeout` value as Go's `time.ParseDuration` reads it, in milliseconds.
pub fn timeout(args: &Args, default_ms: u64) -> Result<u64, String> {
    match args.value("timeout") {
        None => Ok(default_ms),
        Some(t) => {
            parse_duration(t).map_err(|_| format!("error: invalid argument {t:?} for \"--timeout\" flag: time: invalid duration {t:?}"))
        }
    }
}

/// What `--for` asks for.
enum Condition {
    Delete,
    Create,
    /// A condition type and the status wanted (`True` unless given).
    Status(String, String),
}

fn parse_for(text: &str) -> Result<Condition, String> {
    let lower = text.to_ascii_lowercase();
    if lower == "delete" {
        return Ok(Condition::Delete);
    }
    if lower == "create" {
        return Ok(Condition::Create);
    }
    if let Some(rest) = text.strip_prefix("condition=").filter(|r| !r.is_empty()) {
        let (name, value) = rest.split_once('=').unwrap_or((rest, "true"));
        return Ok(Condition::Status(name.to_string(), value.to_string()));
    }
    Err(format!("error: unrecognized condition: {text:?}"))
}

/// Whether an object's `status.conditions` has the condition with the status wanted (both
/// compared case-insensitively, as kubectl's `ConditionalWait` does).
fn has_condition(object: &Value, name: &str, value: &str) -> bool {
    let conditions = object["status"]["conditions"].as_array().into_iter().flatten();
    conditions.into_iter().any(|c| {
        c["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(name))
            && c["status"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(value))
    })
}

/// `kubectl wait --for=condition=C[=V]|delete|create TYPE/NAME…|TYPE -l SEL [--timeout=30s]`.
pub fn wait(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let condition = parse_for(args.value("for").unwrap_or(""))?;
    let timeout_ms = timeout(args, 30_000)?;
    let mut errors = Vec::new();
    let found = targets(cluster, args, input, &args.positional, &mut errors)?;
    if found.is_empty() {
        return Err("error: no matching resources found".to_string());
    }
    let mut out = errors;
    for target in found {
        // The resource builder skips what is already gone when waiting for deletion.
        match (&condition, cluster.api().peek(&target.key).is_some()) {
            (Condition::Delete, false) => continue,
            (Condition::Status(..), false) => {
                out.push(format!("Error from server (NotFound): {} not found", target.quoted()));
                continue;
            }
            _ => {}
        }
        let met = until(cluster, timeout_ms, |c| {
            let live = c.api().peek(&target.key);
            match &condition {
                Condition::Delete => live.is_none(),
                Condition::Create => live.is_some(),
                Condition::Status(name, value) => live.is_some_and(|o| has_condition(&o.to_json(), name, value)),
            }
        });
        if met {
            out.push(format!("{} condition met", target.id()));
        } else {
            out.push(timed_out(&target));
            return Err(out.join("\n"));
        }
    }
    Ok(out.join("\n"))
}

fn timed_out(target: &Target) -> String {
    // wait.go names the plain resource, without its group: `deployments/web`.
    format!("error: timed out waiting for the condition on {}/{}", target.kind.resource, target.key.name)
}
