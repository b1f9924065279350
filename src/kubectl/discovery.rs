//! What kubectl learns from the API server's discovery endpoints: `kubectl api-resources`,
//! `kubectl api-versions` and `kubectl version`.
//!
//! Versions: the client is kubectl v1.34.0 with its bundled Kustomize v5.7.1 (built with
//! go1.24.6); the server reports `v1.34.0+kubeglass`, the release whose behaviour kubeglass
//! models (its kubelets report v1.34.0 too), with the build-metadata suffix distributions use
//! to say whose build it is. The commit hash and build date are fixed values of this
//! simulation, not a real build's.
use serde_json::Value;

use super::table::Tabwriter;
use super::Args;
use crate::api::{KindInfo, KINDS};

const GIT_VERSION: &str = "v1.34.0";
const SERVER_GIT_VERSION: &str = "v1.34.0+kubeglass";
const KUSTOMIZE_VERSION: &str = "v5.7.1";
const GIT_COMMIT: &str = "0000000000000000000000000000000000000000";
const BUILD_DATE: &str = "2025-08-27T00:00:00Z";
const GO_VERSION: &str = "go1.24.6";

/// The kinds in discovery order: the core group first, then groups by name, resources by name
/// within a group (as `kubectl api-resources` sorts them).
fn discovery_order() -> Vec<&'static KindInfo> {
    let mut kinds: Vec<&KindInfo> = KINDS.iter().collect();
    kinds.sort_by_key(|k| (k.group, k.resource));
    kinds
}

/// The verbs each resource supports (namespaces cannot be deleted as a collection).
fn verbs(kind: &KindInfo) -> &'static str {
    match kind.kind {
        "Namespace" => "[create delete get list patch update watch]",
        _ => "[create delete deletecollection get list patch update watch]",
    }
}

pub fn api_resources(args: &Args) -> Result<String, String> {
    let output = args.output.as_deref().unwrap_or("");
    if !matches!(output, "" | "wide" | "name") {
        return Err(format!("error: --output {output} is not available"));
    }
    let namespaced = match args.value("namespaced") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(format!(
                "error: invalid argument {other:?} for \"--namespaced\" flag: strconv.ParseBool: parsing {other:?}: invalid syntax"
            ))
        }
    };
    let group = args.value("api-group");
    let mut kinds: Vec<&KindInfo> = discovery_order()
        .into_iter()
        .filter(|k| namespaced.is_none_or(|n| k.namespaced == n) && group.is_none_or(|g| g == k.group))
        .collect();
    match args.value("sort-by") {
        None => {}
        Some("name") => kinds.sort_by_key(|k| k.resource),
        Some("kind") => kinds.sort_by_key(|k| k.kind),
        Some(_) => return Err("error: --sort-by accepts only name or kind".to_string()),
    }
    if output == "name" {
        return Ok(kinds.iter().map(|k| k.qualified_resource() + "\n").collect());
    }
    let wide = output == "wide";
    let mut rows = Vec::new();
    if !args.flag("no-headers") {
        let mut header = vec!["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"];
        if wide {
            header.extend(["VERBS", "CATEGORIES"]);
        }
        rows.push(header.iter().map(|s| s.to_string()).collect());
    }
    for kind in kinds {
        let mut row = vec![
            kind.resource.to_string(),
            kind.short_names.join(","),
            kind.api_version.to_string(),
            kind.namespaced.to_string(),
            kind.kind.to_string(),
        ];
        if wide {
            let all = super::get::ALL.contains(&kind.resource);
            row.extend([verbs(kind).to_string(), if all { "all" } else { "" }.to_string()]);
        }
        rows.push(row);
    }
    Ok(Tabwriter::default().render(&rows))
}

/// `kubectl api-versions`: every group/version served, sorted as kubectl sorts them.
pub fn api_versions() -> String {
    let mut versions: Vec<&str> = KINDS.iter().map(|k| k.api_version).collect();
    versions.sort();
    versions.dedup();
    versions.iter().map(|v| format!("{v}\n")).collect()
}

/// The fields of a `version.Info`, in the struct's order (Go's JSON encoder keeps it).
fn version_info(git_version: &'static str, server: bool) -> Vec<(&'static str, &'static str)> {
    let mut info = vec![("major", "1"), ("minor", "34")];
    if server {
        // Compatibility versions (KEP-4330), which a 1.34 server reports.
        info.extend([("emulationMajor", "1"), ("emulationMinor", "34"), ("minCompatibilityMajor", "1"), ("minCompatibilityMinor", "33")]);
    }
    info.extend([
        ("gitVersion", git_version),
        ("gitCommit", GIT_COMMIT),
        ("gitTreeState", "clean"),
        ("buildDate", BUILD_DATE),
        ("goVersion", GO_VERSION),
        ("compiler", "gc"),
        ("platform", "linux/amd64"),
    ]);
    info
}

/// `kubectl version [--client] [-o json|yaml]`.
pub fn version(args: &Args) -> Result<String, String> {
    let client_only = args.flag("client");
    let mut parts = vec![("clientVersion", version_info(GIT_VERSION, false))];
    if !client_only {
        parts.push(("serverVersion", version_info(SERVER_GIT_VERSION, true)));
    }
    match args.output.as_deref() {
        None | Some("") => {
            let mut out = format!("Client Version: {GIT_VERSION}\nKustomize Version: {KUSTOMIZE_VERSION}\n");
            if !client_only {
                out.push_str(&format!("Server Version: {SERVER_GIT_VERSION}\n"));
            }
            Ok(out)
        }
        Some("json") => {
            // json.MarshalIndent with two spaces; kustomizeVersion sits between the two.
            let object = |fields: &[(&str, &str)]| {
                let lines: Vec<String> = fields.iter().map(|(k, v)| format!("    {k:?}: {v:?}")).collect();
                format!("{{\n{}\n  }}", lines.join(",\n"))
            };
            let mut entries = vec![format!("  \"clientVersion\": {}", object(&parts[0].1))];
            entries.push(format!("  \"kustomizeVersion\": {KUSTOMIZE_VERSION:?}"));
            if let Some((_, server)) = parts.get(1) {
                entries.push(format!("  \"serverVersion\": {}", object(server)));
            }
            Ok(format!("{{\n{}\n}}\n", entries.join(",\n")))
        }
        Some("yaml") => {
            let mut document = serde_json::Map::new();
            for (key, fields) in parts {
                let info = fields.into_iter().map(|(k, v)| (k.to_string(), Value::from(v))).collect();
                document.insert(key.to_string(), Value::Object(info));
            }
            document.insert("kustomizeVersion".to_string(), Value::from(KUSTOMIZE_VERSION));
            Ok(super::yaml::to_yaml(&Value::Object(document)))
        }
        Some(_) => Err("error: --output must be 'yaml' or 'json'".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_group_first_then_groups_by_name() {
        let order: Vec<&str> = discovery_order().iter().map(|k| k.resource).collect();
        assert_eq!(order.first(), Some(&"configmaps"));
        let apps = order.iter().position(|r| *r == "daemonsets").unwrap();
        assert_eq!(order[apps - 1], "services");
        assert_eq!(order.last(), Some(&"priorityclasses"));
        assert_eq!(api_versions().lines().last(), Some("v1"));
    }
}
