//! `kubectl events` (the newer command, `staging/src/k8s.io/kubectl/pkg/cmd/events`): every
//! event of a namespace or all, oldest first, `--for KIND/NAME`, `--types=Warning`.
use k8s_openapi::api::core::v1::Event;

use super::printers::age;
use super::table::Tabwriter;
use super::{resource, Args};
use crate::api::{info, Object};
use crate::apiserver::{virtual_ms, Component};
use crate::Cluster;

pub fn events(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let types: Vec<String> = args.values("types").flat_map(|t| t.split(',')).filter(|t| !t.is_empty()).map(String::from).collect();
    if types.iter().any(|t| !t.eq_ignore_ascii_case("Normal") && !t.eq_ignore_ascii_case("Warning")) {
        return Err("error: valid --types are Normal or Warning".to_string());
    }
    let target = match args.value("for") {
        None => None,
        Some(text) => {
            let Some((kind, name)) = text.split_once('/') else { return Err("Error: --for must be in resource/name form".to_string()) };
            Some((resource(kind)?.kind, name.to_string()))
        }
    };
    let namespace = (!args.all_namespaces).then(|| args.namespace().to_string());
    let list = cluster.request(Component::Kubectl, |c| c.list(info("Event"), namespace.as_deref()));
    let mut events: Vec<&Event> = list
        .iter()
        .filter_map(|o| match o.as_ref() {
            Object::Event(e) => Some(e),
            _ => None,
        })
        .filter(|e| types.is_empty() || types.iter().any(|t| e.type_.as_deref().is_some_and(|et| et.eq_ignore_ascii_case(t))))
        .filter(|e| {
            target.as_ref().is_none_or(|(kind, name)| {
                e.involved_object.kind.as_deref() == Some(*kind) && e.involved_object.name.as_deref() == Some(name.as_str())
            })
        })
        .collect();
    if events.is_empty() {
        return Ok(match &namespace {
            Some(ns) => format!("No events found in {ns} namespace."),
            None => "No events found.".to_string(),
        });
    }
    // `SortableEvents`: by the time last seen.
    events.sort_by_key(|e| last_seen(e));
    let now = cluster.now_ms();
    let mut rows = Vec::new();
    if !args.flag("no-headers") {
        let mut header = vec!["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
        if namespace.is_none() {
            header.insert(0, "NAMESPACE");
        }
        rows.push(header.iter().map(|s| s.to_string()).collect());
    }
    for e in events {
        let involved = &e.involved_object;
        let mut row = vec![
            interval(e, now),
            e.type_.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            format!("{}/{}", involved.kind.as_deref().unwrap_or(""), involved.name.as_deref().unwrap_or("")),
            e.message.as_deref().unwrap_or("").trim().to_string(),
        ];
        if namespace.is_none() {
            row.insert(0, e.metadata.namespace.clone().unwrap_or_default());
        }
        rows.push(row);
    }
    Ok(Tabwriter::default().render(&rows))
}

fn last_seen(e: &Event) -> u64 {
    e.last_timestamp.as_ref().or(e.first_timestamp.as_ref()).map_or(0, virtual_ms)
}

/// `getInterval`: `5s`, or `5s (x3 over 2m)` for a repeated event.
pub fn interval(e: &Event, now: u64) -> String {
    let first = age(e.first_timestamp.as_ref(), now);
    match e.count {
        Some(count) if count > 1 => format!("{} (x{count} over {first})", age(e.last_timestamp.as_ref(), now)),
        _ => first,
    }
}
