//! `kubectl get -w` / `--watch-only` for a session without Ctrl+C.
//!
//! kubectl prints the current table, then one row per change of a watched object (no header
//! again; columns only ever widen, as its tabwriter remembers widths) until the request times
//! out. In a script, [`run`] lets virtual time pass for `--request-timeout` (30s when the flag is
//! absent or 0) and returns everything printed. The browser console instead keeps the [`Watch`]
//! that [`start`] returns and calls [`Watch::poll`] whenever its clock has advanced.
use std::collections::BTreeMap;

use super::get::{label_selector, print_generic, FieldSelector, Output, TableOptions};
use super::table::Tabwriter;
use super::Args;
use crate::api::labels::Selector;
use crate::api::{Key, KindInfo, ObjectRef};
use crate::apiserver::Component;
use crate::Cluster;

/// How long a script's watch runs when `--request-timeout` does not say.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The longest a script's watch runs: it steps the clock a millisecond at a time.
const MAX_TIMEOUT_MS: u64 = 3_600_000;

/// A running watch on one kind: what it shows and what it has shown so far.
pub struct Watch {
    kind: &'static KindInfo,
    namespace: Option<String>,
    names: Vec<String>,
    selector: Selector,
    fields: FieldSelector,
    output: Output,
    options: TableOptions,
    /// `--output-watch-events`: an EVENT column (ADDED, MODIFIED, DELETED) first.
    event_column: bool,
    writer: Tabwriter,
    header_printed: bool,
    /// The objects as last printed, by key.
    seen: BTreeMap<Key, ObjectRef>,
    /// etcd's revision at the last poll: nothing to do while it stays put.
    revision: i64,
}

/// Starts a watch as `kubectl get ARGS -w` would: the first output (the current objects,
/// unless `--watch-only`) and the watch to poll afterwards.
pub(crate) fn start(
    cluster: &mut Cluster,
    args: &Args,
    requests: Vec<(&'static KindInfo, Vec<String>)>,
    output: Output,
) -> Result<(String, Watch), String> {
    let [(kind, names)] = <[_; 1]>::try_from(requests).map_err(|_| "error: you may only specify a single resource type".to_string())?;
    if names.len() > 1 {
        return Err(format!(
            "error: watch is only supported on individual resources and resource collections, but {} resources were found",
            names.len()
        ));
    }
    let fields_text = args.value("field-selector").unwrap_or("");
    let fields = FieldSelector::parse(fields_text)?;
    fields.check(kind, fields_text, args.selector.as_deref().unwrap_or(""))?;
    let mut options = TableOptions::from_args(args, matches!(output, Output::Wide));
    options.with_namespace = args.all_namespaces;
    let mut watch = Watch {
        kind,
        namespace: (kind.namespaced && !args.all_namespaces).then(|| args.namespace().to_string()),
        names,
        selector: label_selector(args)?,
        fields,
        output,
        options,
        event_column: args.flag("output-watch-events"),
        writer: Tabwriter::default(),
        header_printed: false,
        seen: BTreeMap::new(),
        revision: cluster.revision(),
    };
    let current = cluster.request(Component::Kubectl, |c| c.list(kind, watch.namespace.as_deref()));
    let current: Vec<ObjectRef> = current.into_iter().filter(|o| watch.selects(o)).collect();
    let mut out = String::new();
    if !args.flag("watch-only") && !current.is_empty() {
        out = watch.print(current.iter().map(|o| ("ADDED", o.clone())).collect(), cluster.now_ms());
    } else if let Some(named) = watch.names.first().filter(|_| current.is_empty() && !args.flag("watch-only")) {
        return Err(format!("Error from server (NotFound): {} {named:?} not found", kind.qualified_resource()));
    }
    watch.seen = current.into_iter().map(|o| (Key::of(&o), o)).collect();
    Ok((out, watch))
}

/// Runs a watch in a script: prints the current objects, lets `--request-timeout` of virtual
/// time pass, and prints a row for each change on the way.
pub(crate) fn run(
    cluster: &mut Cluster,
    args: &Args,
    requests: Vec<(&'static KindInfo, Vec<String>)>,
    output: Output,
) -> Result<String, String> {
    let timeout = match args.value("request-timeout") {
        None => DEFAULT_TIMEOUT_MS,
        Some(text) => parse_timeout(text)?,
    };
    let (mut out, mut watch) = start(cluster, args, requests, output)?;
    // One millisecond at a time, so that changes in different milliseconds print separately.
    for _ in 0..timeout {
        cluster.advance(1);
        out.push_str(&watch.poll(cluster).concat());
    }
    Ok(out)
}

/// kubectl's `--request-timeout`: `0` (no timeout: a script's default), whole seconds, or a
/// duration such as `30s`, `2m`, `1h` (at most an hour in a script).
fn parse_timeout(text: &str) -> Result<u64, String> {
    let invalid = || {
        "error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)"
            .to_string()
    };
    let millis = if text.chars().all(|c| c.is_ascii_digit()) {
        text.parse::<u64>().map_err(|_| invalid())?.saturating_mul(1000)
    } else {
        super::sim::parse_duration(text).map_err(|_| invalid())?
    };
    Ok(if millis == 0 { DEFAULT_TIMEOUT_MS } else { millis.min(MAX_TIMEOUT_MS) })
}

impl Watch {
    fn selects(&self, object: &ObjectRef) -> bool {
        let meta = object.metadata();
        (self.names.is_empty() || self.names.iter().any(|n| meta.name.as_ref() == Some(n)))
            && self.selector.matches(meta.labels.as_ref())
            && self.fields.matches(object)
    }

    /// The lines printed for the changes since the last poll (one string per change), in the
    /// order the API server wrote them.
    pub fn poll(&mut self, cluster: &Cluster) -> Vec<String> {
        let revision = cluster.revision();
        if revision == self.revision {
            return Vec::new();
        }
        self.revision = revision;
        let current: BTreeMap<Key, ObjectRef> = cluster
            .api()
            .peek_list(self.kind, self.namespace.as_deref())
            .into_iter()
            .filter(|o| self.selects(o))
            .map(|o| (Key::of(&o), o))
            .collect();
        let version = |o: &ObjectRef| o.metadata().resource_version.as_deref().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let mut changes: Vec<(i64, &'static str, ObjectRef)> = Vec::new();
        for (key, object) in &current {
            match self.seen.get(key) {
                None => changes.push((version(object), "ADDED", object.clone())),
                Some(old) if old.metadata().resource_version != object.metadata().resource_version => {
                    changes.push((version(object), "MODIFIED", object.clone()))
                }
                Some(_) => {}
            }
        }
        for (key, object) in &self.seen {
            if !current.contains_key(key) {
                changes.push((revision, "DELETED", object.clone()));
            }
        }
        changes.sort_by_key(|(v, _, _)| *v);
        self.seen = current;
        let now = cluster.now_ms();
        changes.into_iter().map(|(_, event, object)| self.print(vec![(event, object)], now)).collect()
    }

    /// Prints events in one flush: table rows (the header with the first), or each object in
    /// the output format asked for.
    fn print(&mut self, events: Vec<(&'static str, ObjectRef)>, now: u64) -> String {
        match &self.output {
            Output::Table | Output::Wide => {
                let mut rows = Vec::new();
                if !self.header_printed && !self.options.no_headers {
                    let mut header = self.options.header(self.kind);
                    if self.event_column {
                        header.insert(0, "EVENT".to_string());
                    }
                    rows.push(header);
                }
                self.header_printed = true;
                for (event, object) in &events {
                    let mut row = self.options.row(object, now);
                    if self.event_column {
                        row.insert(0, event.to_string());
                    }
                    rows.push(row);
                }
                self.writer.render(&rows)
            }
            Output::Name => events
                .iter()
                .map(|(_, o)| format!("{}/{}\n", self.kind.qualified_singular(), o.metadata().name.as_deref().unwrap_or("")))
                .collect(),
            generic => {
                let mut out = String::new();
                for (_, object) in &events {
                    out.push_str(&print_generic(generic, &object.to_json(), self.header_printed).unwrap_or_else(|e| e));
                    self.header_printed = true;
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubectl::{execute, execute_watchable};
    use crate::ClusterConfig;

    /// The browser console's way: start the watch, let the clock run, poll for rows.
    #[test]
    fn a_kept_watch_prints_rows_as_the_clock_runs() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let (first, watch) = execute_watchable(&mut cluster, "kubectl get nodes -w");
        assert!(first.starts_with("NAME            STATUS   ROLES"), "{first}");
        let mut watch = watch.expect("a watch");
        assert!(watch.poll(&cluster).is_empty());
        let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n";
        let (_, none) = execute_watchable(&mut cluster, "kubectl get pods");
        assert!(none.is_none());
        let (_, pods) = execute_watchable(&mut cluster, "kubectl get pods --watch-only");
        let mut pods = pods.expect("a watch");
        execute(&mut cluster, "kubectl apply -f -", Some(manifest));
        cluster.advance(5_000);
        let rows = pods.poll(&cluster);
        assert!(rows[0].starts_with("NAME   READY   STATUS"), "{rows:?}");
        assert!(rows.iter().any(|r| r.contains("Running")), "{rows:?}");
    }

    #[test]
    fn request_timeouts_as_kubectl_reads_them() {
        assert_eq!(parse_timeout("30s"), Ok(30_000));
        assert_eq!(parse_timeout("5"), Ok(5_000));
        assert_eq!(parse_timeout("0"), Ok(DEFAULT_TIMEOUT_MS));
        assert!(parse_timeout("soon").unwrap_err().starts_with("error: Invalid timeout value."));
    }
}
