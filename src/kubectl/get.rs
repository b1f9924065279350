//! `kubectl get`: tables (with `-o wide`, `--show-labels`, `-L`, `--no-headers`, `--sort-by`),
//! `-o json|yaml|name|jsonpath=|custom-columns=`, for one or more resource types or the `all`
//! category, by name, by label and field selector, in one namespace or all; `-w` hands over to
//! [`super::watch`].
use serde_json::Value;

use super::jsonpath::{self, JsonPath};
use super::printers::{cells, columns, format_labels};
use super::table::Tabwriter;
use super::{resource, watch, Args};
use crate::api::labels::Selector;
use crate::api::{Key, KindInfo, Object, ObjectRef};
use crate::apiserver::Component;
use crate::Cluster;

/// The kinds of kubectl's `all` category that kubeglass serves, in discovery order.
pub const ALL: &[&str] =
    &["pods", "services", "daemonsets", "deployments", "replicasets", "statefulsets", "horizontalpodautoscalers", "cronjobs", "jobs"];

/// kubectl's error for `TYPE/` or `/NAME`.
pub const RESOURCE_NAME_FORM: &str = "error: arguments in resource/name form must have a single resource and name";

/// How `-o` asked for the objects to be printed.
pub enum Output {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
    JsonPath(String),
    CustomColumns(Vec<(String, JsonPath)>),
}

impl Output {
    pub fn parse(format: Option<&str>) -> Result<Output, String> {
        let format = format.unwrap_or("");
        let (name, value) = format.split_once('=').unwrap_or((format, ""));
        Ok(match name {
            "" => Output::Table,
            "wide" => Output::Wide,
            "json" => Output::Json,
            "yaml" => Output::Yaml,
            "name" => Output::Name,
            "jsonpath" => {
                if value.is_empty() {
                    return Err("error: template format specified but no template given".to_string());
                }
                Output::JsonPath(value.to_string())
            }
            "custom-columns" => Output::CustomColumns(custom_columns(value)?),
            _ => {
                return Err(format!(
                    "error: unable to match a printer suitable for the output format {format:?}, allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
                ))
            }
        })
    }
}

/// `-o custom-columns=HEADER:PATH,...`.
fn custom_columns(spec: &str) -> Result<Vec<(String, JsonPath)>, String> {
    if spec.is_empty() {
        return Err("error: custom-columns format specified but no custom columns given".to_string());
    }
    let mut columns = Vec::new();
    for part in spec.split(',') {
        let Some((header, path)) = part.split_once(':') else {
            return Err(format!("error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"));
        };
        let template = jsonpath::relaxed(path).map_err(|e| format!("error: {e}"))?;
        let parsed = JsonPath::parse(&template).map_err(|e| format!("error: error parsing jsonpath {template}, {e}"))?;
        columns.push((header.to_string(), parsed));
    }
    Ok(columns)
}

/// What the table printer adds to a kind's own columns.
#[derive(Clone, Debug, Default)]
pub struct TableOptions {
    pub wide: bool,
    pub no_headers: bool,
    pub show_labels: bool,
    pub label_columns: Vec<String>,
    /// Prefix names with `kind/` (several kinds at once, or `--show-kind`).
    pub show_kind: bool,
    pub with_namespace: bool,
}

impl TableOptions {
    pub fn from_args(args: &Args, wide: bool) -> TableOptions {
        TableOptions {
            wide,
            no_headers: args.flag("no-headers"),
            show_labels: args.flag("show-labels"),
            label_columns: args.values("label-columns").flat_map(|v| v.split(',')).filter(|v| !v.is_empty()).map(String::from).collect(),
            show_kind: args.flag("show-kind"),
            with_namespace: args.all_namespaces,
        }
    }

    /// The header row for a kind (kubectl upper-cases column names; `-L` keeps the last path
    /// segment of the label key).
    pub fn header(&self, kind: &KindInfo) -> Vec<String> {
        let mut header: Vec<String> = columns(kind, self.wide).iter().map(|s| s.to_string()).collect();
        if self.with_namespace && kind.namespaced {
            header.insert(0, "NAMESPACE".to_string());
        }
        header.extend(self.label_columns.iter().map(|l| l.rsplit('/').next().unwrap_or(l).to_uppercase()));
        if self.show_labels {
            header.push("LABELS".to_string());
        }
        header
    }

    pub fn row(&self, object: &Object, now: u64) -> Vec<String> {
        let kind = object.kind();
        let mut cells = cells(object, now, self.wide);
        // Events have no NAME column first; every other kind does.
        if self.show_kind && kind.kind != "Event" {
            if let Some(name) = cells.first_mut() {
                *name = format!("{}/{name}", kind.qualified_singular());
            }
        }
        let meta = object.metadata();
        if self.with_namespace && kind.namespaced {
            cells.insert(0, meta.namespace.clone().unwrap_or_default());
        }
        let labels = meta.labels.as_ref();
        cells.extend(self.label_columns.iter().map(|l| labels.and_then(|m| m.get(l)).cloned().unwrap_or_default()));
        if self.show_labels {
            cells.push(format_labels(labels));
        }
        cells
    }
}

/// `--field-selector`: `field=value`, `field==value` and `field!=value`, comma-separated.
#[derive(Clone, Debug, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, String> {
        let mut terms = Vec::new();
        for part in text.split(',').filter(|p| !p.is_empty()) {
            let term = if let Some((f, v)) = part.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, true, v)
            } else {
                return Err(format!("error: invalid selector: '{text}'; can't understand '{part}'"));
            };
            terms.push((term.0.to_string(), term.1, term.2.to_string()));
        }
        Ok(FieldSelector(terms))
    }

    /// The API server rejects fields a kind does not index, in its words.
    pub fn check(&self, kind: &KindInfo, selector: &str, labels: &str) -> Result<(), String> {
        for (field, _, _) in &self.0 {
            if field_value(kind, field, None).is_none() {
                let version = if kind.group.is_empty() { format!("/{}", kind.api_version) } else { kind.api_version.to_string() };
                let why = if custom_fields(kind).is_empty() {
                    format!("{field:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                } else {
                    format!("field label not supported: {field}")
                };
                return Err(format!(
                    "Error from server (BadRequest): Unable to find \"{version}, Resource={}\" that match label selector \"{labels}\", field selector \"{selector}\": {why}",
                    kind.resource
                ));
            }
        }
        Ok(())
    }

    pub fn matches(&self, object: &Object) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let actual = field_value(object.kind(), field, Some(object)).flatten().unwrap_or_default();
            (actual == *value) == *equal
        })
    }
}

/// The fields beyond `metadata.name` and `metadata.namespace` the API server indexes per kind
/// (each kind's `GetAttrs`/field label conversion).
fn custom_fields(kind: &KindInfo) -> &'static [&'static str] {
    match kind.kind {
        "Pod" => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        "Node" => &["spec.unschedulable"],
        "Event" => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        "Namespace" => &["status.phase"],
        "Secret" => &["type"],
        "ReplicaSet" => &["status.replicas"],
        "Job" => &["status.successful"],
        _ => &[],
    }
}

/// `Some(value)` of an indexed field (`Some(None)` when `object` is not given), `None` when the
/// kind does not index it.
fn field_value(kind: &KindInfo, field: &str, object: Option<&Object>) -> Option<Option<String>> {
    if !matches!(field, "metadata.name" | "metadata.namespace") && !custom_fields(kind).contains(&field) {
        return None;
    }
    let Some(object) = object else { return Some(None) };
    let json = object.to_json();
    let path: Vec<&str> = match field {
        "source" => vec!["source", "component"],
        "status.successful" => vec!["status", "succeeded"],
        "status.podIPs" => vec!["status", "podIP"],
        other => other.split('.').collect(),
    };
    let value = path.iter().try_fold(&json, |v, key| v.get(key));
    Some(Some(match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => match field {
            "spec.unschedulable" | "spec.hostNetwork" => "false".to_string(),
            "status.successful" | "status.replicas" => "0".to_string(),
            _ => String::new(),
        },
        Some(other) => other.to_string(),
    }))
}

/// One kind to get, with the names asked for (none: list them).
struct Request {
    kind: &'static KindInfo,
    names: Vec<String>,
}

/// What `get` found: per kind, the objects (in the order printed).
pub struct Found {
    kinds: Vec<(&'static KindInfo, Vec<ObjectRef>)>,
    errors: Vec<String>,
    /// Named objects: a single one prints as itself in `-o json`, not as a List.
    named: bool,
}

/// `kubectl get ... -w` for a caller that keeps the watch: the first output and the watch.
pub fn start_watch(cluster: &mut Cluster, args: &Args) -> Result<(String, watch::Watch), String> {
    let output = Output::parse(args.output.as_deref())?;
    let requests = requests(args)?;
    watch::start(cluster, args, requests.into_iter().map(|r| (r.kind, r.names)).collect(), output)
}

pub fn get(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let output = Output::parse(args.output.as_deref())?;
    let requests = requests(args)?;
    if args.flag("watch") || args.flag("watch-only") {
        return watch::run(cluster, args, requests.iter().map(|r| (r.kind, r.names.clone())).collect(), output);
    }
    let found = fetch(cluster, args, &requests)?;
    let now = cluster.now_ms();
    let total: usize = found.kinds.iter().map(|(_, o)| o.len()).sum();
    let mut out = match &output {
        Output::Table | Output::Wide => {
            let mut options = TableOptions::from_args(args, matches!(output, Output::Wide));
            options.show_kind |= requests.len() > 1;
            let tables: Vec<String> = found
                .kinds
                .iter()
                .filter(|(_, objects)| !objects.is_empty())
                .map(|(kind, objects)| table(&options, kind, objects, now))
                .collect();
            tables.join("\n")
        }
        Output::Name => found
            .kinds
            .iter()
            .flat_map(|(kind, objects)| {
                objects.iter().map(move |o| format!("{}/{}\n", kind.qualified_singular(), o.metadata().name.as_deref().unwrap_or("")))
            })
            .collect(),
        generic => {
            if total == 0 && found.named {
                String::new()
            } else {
                print_generic(generic, &document(&found, requests.len()), args.flag("no-headers"))?
            }
        }
    };
    let human = matches!(output, Output::Table | Output::Wide);
    if total == 0 && found.named && args.flag("ignore-not-found") {
        return Ok(String::new());
    }
    if total == 0 && found.errors.is_empty() && human {
        let namespaced = requests.iter().any(|r| r.kind.namespaced);
        return Ok(match (args.all_namespaces, namespaced) {
            (false, true) => format!("No resources found in {} namespace.", args.namespace()),
            _ => "No resources found".to_string(),
        });
    }
    for e in found.errors {
        out.push_str(&e);
        out.push('\n');
    }
    Ok(out)
}

/// A kind's table: header (unless `--no-headers`) and one row per object.
pub fn table(options: &TableOptions, kind: &KindInfo, objects: &[ObjectRef], now: u64) -> String {
    let mut rows = Vec::new();
    if !options.no_headers {
        rows.push(options.header(kind));
    }
    rows.extend(objects.iter().map(|o| options.row(o, now)));
    Tabwriter::default().render(&rows)
}

/// `TYPE NAME...`, `TYPE1,TYPE2 [NAME...]`, `TYPE/NAME ...`, or `all`.
fn requests(args: &Args) -> Result<Vec<Request>, String> {
    let Some(first) = args.positional.first() else {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.".to_string());
    };
    let mut requests = Vec::new();
    if first.contains('/') {
        for word in &args.positional {
            let Some((kind, name)) = word.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string());
            };
            if kind.is_empty() || name.is_empty() {
                return Err(RESOURCE_NAME_FORM.to_string());
            }
            requests.push(Request { kind: resource(kind)?, names: vec![name.to_string()] });
        }
        return Ok(requests);
    }
    let names: Vec<String> = args.positional[1..].to_vec();
    for word in first.split(',').filter(|k| !k.is_empty()) {
        if word == "all" {
            for kind in ALL {
                requests.push(Request { kind: resource(kind)?, names: names.clone() });
            }
        } else {
            requests.push(Request { kind: resource(word)?, names: names.clone() });
        }
    }
    Ok(requests)
}

/// Lists or gets the requested objects through the API server, filtered by the selectors and
/// sorted by `--sort-by`.
fn fetch(cluster: &mut Cluster, args: &Args, requests: &[Request]) -> Result<Found, String> {
    let selector = label_selector(args)?;
    let fields_text = args.value("field-selector").unwrap_or("");
    let fields = FieldSelector::parse(fields_text)?;
    let namespace = (!args.all_namespaces).then(|| args.namespace().to_string());
    let mut found = Found { kinds: Vec::new(), errors: Vec::new(), named: false };
    for request in requests {
        let kind = request.kind;
        let objects = if request.names.is_empty() {
            fields.check(kind, fields_text, args.selector.as_deref().unwrap_or(""))?;
            let ns = if kind.namespaced { namespace.as_deref() } else { None };
            let list = cluster.request(Component::Kubectl, |c| c.list(kind, ns));
            list.into_iter().filter(|o| selector.matches(o.metadata().labels.as_ref()) && fields.matches(o)).collect()
        } else {
            found.named = true;
            let mut objects = Vec::new();
            for name in &request.names {
                let ns = if kind.namespaced { args.namespace() } else { "" };
                match cluster.request(Component::Kubectl, |c| c.get(&Key::new(kind.kind, ns, name))) {
                    Ok(o) => objects.push(o),
                    Err(e) if args.flag("ignore-not-found") => drop(e),
                    Err(e) => found.errors.push(e.render(None)),
                }
            }
            objects
        };
        found.kinds.push((kind, objects));
    }
    if let Some(path) = args.value("sort-by") {
        sort_by(&mut found, path)?;
    }
    Ok(found)
}

pub fn label_selector(args: &Args) -> Result<Selector, String> {
    match &args.selector {
        Some(s) => Selector::parse(s).map_err(|e| format!("error: {e}")),
        None => Ok(Selector::default()),
    }
}

/// `--sort-by=JSONPATH`: objects without the field sort first; numbers compare as numbers.
fn sort_by(found: &mut Found, path: &str) -> Result<(), String> {
    let template = jsonpath::relaxed(path).map_err(|e| format!("error: {e}"))?;
    let parsed = JsonPath::parse(&template).map_err(|e| format!("error: error parsing jsonpath {template}, {e}"))?;
    for (_, objects) in &mut found.kinds {
        let mut keyed = Vec::new();
        for o in objects.drain(..) {
            let values = parsed.find(&o.to_json()).map_err(|e| format!("error: {e}"))?;
            keyed.push((values.into_iter().next(), o));
        }
        if !keyed.is_empty() && keyed.iter().all(|(v, _)| v.is_none()) {
            return Err(format!("error: couldn't find any field with path \"{template}\" in the list of objects"));
        }
        keyed.sort_by(|(a, _), (b, _)| compare(a.as_ref(), b.as_ref()));
        objects.extend(keyed.into_iter().map(|(_, o)| o));
    }
    Ok(())
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(std::cmp::Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => natural(x, y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// `sortorder.NaturalLess`, as kubectl sorts strings: runs of digits compare as numbers, so
/// `web-2` sorts before `web-10`.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        let (Some(x), Some(y)) = (a.chars().next(), b.chars().next()) else { return a.len().cmp(&b.len()) };
        if x.is_ascii_digit() && y.is_ascii_digit() {
            let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (da, db) = (digits(a), digits(b));
            let (na, nb) = (a[..da].trim_start_matches('0'), b[..db].trim_start_matches('0'));
            let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb)).then_with(|| da.cmp(&db));
            if order.is_ne() {
                return order;
            }
            (a, b) = (&a[da..], &b[db..]);
        } else {
            if x != y {
                return x.cmp(&y);
            }
            (a, b) = (&a[x.len_utf8()..], &b[y.len_utf8()..]);
        }
    }
}

/// The object printed by non-table formats: the object itself when one was named, or a List.
fn document(found: &Found, requested: usize) -> Value {
    let mut items: Vec<Value> = found.kinds.iter().flat_map(|(_, objects)| objects.iter().map(|o| o.to_json())).collect();
    if found.named && items.len() == 1 && requested == 1 && found.errors.is_empty() {
        return items.pop().unwrap_or_default();
    }
    serde_json::json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

pub fn print_generic(output: &Output, document: &Value, no_headers: bool) -> Result<String, String> {
    Ok(match output {
        Output::Json => to_json(document),
        Output::Yaml => super::yaml::to_yaml(document),
        Output::JsonPath(template) => jsonpath::print(template, document)?,
        Output::CustomColumns(columns) => {
            let items = match document.get("items") {
                Some(Value::Array(items)) if document.get("kind") == Some(&Value::from("List")) => items.clone(),
                _ => vec![document.clone()],
            };
            let mut rows = Vec::new();
            if !no_headers {
                rows.push(columns.iter().map(|(h, _)| h.clone()).collect());
            }
            for item in &items {
                let mut row = Vec::new();
                for (_, path) in columns {
                    let values = path.find(item).map_err(|e| format!("error: {e}"))?;
                    let cell: Vec<String> = values.iter().map(jsonpath::go_value).collect();
                    row.push(if cell.is_empty() { "<none>".to_string() } else { cell.join(",") });
                }
                rows.push(row);
            }
            Tabwriter::default().render(&rows)
        }
        Output::Table | Output::Wide | Output::Name => String::new(),
    })
}

/// JSON as kubectl prints it: keys sorted, four-space indentation.
pub fn to_json(value: &Value) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    let _ = serde::Serialize::serialize(value, &mut ser);
    String::from_utf8(buf).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use crate::{Cluster, ClusterConfig};

    #[test]
    fn strings_sort_naturally() {
        let mut names = vec!["web-10", "web-2", "db", "web-1"];
        names.sort_by(|a, b| super::natural(a, b));
        assert_eq!(names, ["db", "web-1", "web-2", "web-10"]);
    }

    /// Odd input to the read commands prints kubectl's errors and never panics.
    #[test]
    fn odd_input_never_panics() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let lines = [
            "kubectl get pods -o jsonpath={.items[-99999999999999999999]}",
            "kubectl get nodes -o jsonpath={.items[-9223372036854775808:-9223372036854775808]}",
            "kubectl get nodes -o jsonpath={.items[0:-9223372036854775808]}",
            "kubectl get nodes -o jsonpath={.items[::0]}",
            "kubectl get nodes -o jsonpath={.items[?(@.a[?(@.b[?()]",
            "kubectl get nodes -o jsonpath={[?()]}{range}{range .items[*]}{end}{end}{end}",
            "kubectl get nodes -o jsonpath={\"\\q\"}{-}{..}{.}{@}{$}{[]}{[,]}{['']}",
            "kubectl get nodes -o custom-columns=A:{},B:.x",
            "kubectl get nodes -o custom-columns=:",
            "kubectl get nodes --sort-by={",
            "kubectl get nodes --sort-by=.status.capacity",
            "kubectl get nodes --field-selector =,==,!=",
            "kubectl get nodes -L / -L a/ --show-labels -o wide",
            "kubectl get all,nodes -A --show-kind --no-headers",
            "kubectl get / ",
            "kubectl describe nodes/",
            "kubectl describe no",
            "kubectl describe ns",
            "kubectl explain .",
            "kubectl explain nodes..",
            "kubectl explain pods.spec.containers.resources.limits.cpu",
            "kubectl events --for=/",
            "kubectl events --for=pod/",
            "kubectl get nodes -w --request-timeout=1ms",
            "kubectl get nodes -w --request-timeout=99999999999999999999h",
            "kubectl api-resources --namespaced=maybe",
            "kubectl version -o",
        ];
        for line in lines {
            let _ = super::super::execute(&mut cluster, line, None);
        }
    }
}
