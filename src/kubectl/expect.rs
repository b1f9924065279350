//! `sim expect`: an assertion about the cluster, as lessons' checks and transcripts write it.
//!
//! ```text
//! sim expect TYPE[/NAME] [NAME] [-n NS | -A] [-l SELECTOR] [--field-selector F]
//!            [--count [>=|<=]N] [--phase P] [--status S] [--condition TYPE=STATUS]
//!            [--jsonpath TEMPLATE (--equals V | --not-equals V | --contains V | --not-contains V)…]
//! sim expect output 'COMMAND' (--equals V | --not-equals V | --contains V | --not-contains V)…
//! ```
//!
//! Objects are read straight from the store, as the diagram reads them: an expectation makes
//! no API request, so checking one adds nothing to the message log. Without `--count`, at least
//! one object must match; every other condition must hold for every object that matches.
//! `output` runs a command that only reads (`kubectl get`, `logs`, `sim nslookup`, `sim proxy
//! rules`…: checking never changes the cluster) and tests what it printed. A met expectation prints `ok: …`; an unmet one is an error line,
//! `expectation failed: …`, naming what was expected and what was found.
use serde_json::Value;

use super::get::FieldSelector;
use super::jsonpath::{self, JsonPath};
use super::{parse_args, resource, words, Args};
use crate::api::labels::Selector;
use crate::api::status::{node_status, pod_status};
use crate::api::{Key, KindInfo, Object, ObjectRef};
use crate::Cluster;

pub const USAGE: &str = "  sim expect TYPE[/NAME] [NAME] [-n NS|-A] [-l SELECTOR] [--field-selector F] [--count [>=|<=]N] [--phase P] [--status S] [--condition TYPE=STATUS] [--jsonpath TEMPLATE --equals|--not-equals|--contains|--not-contains VALUE]
  sim expect output 'COMMAND' --equals|--not-equals|--contains|--not-contains VALUE
";

/// What a `sim expect` line asks of the cluster.
#[derive(Clone, Debug)]
pub struct Expectation {
    subject: Subject,
    count: Option<Count>,
    phase: Option<String>,
    status: Option<String>,
    condition: Option<(String, String)>,
    /// The template (as written) and its parse, for `--jsonpath`.
    jsonpath: Option<(String, JsonPath)>,
    tests: Vec<Test>,
}

#[derive(Clone, Debug)]
enum Subject {
    Objects {
        kind: &'static KindInfo,
        name: Option<String>,
        namespace: Option<String>,
        selector: Selector,
        fields: FieldSelector,
        shown: String,
    },
    /// A command line whose output is tested.
    Output(String),
}

/// `--count N`, `--count '>=N'`, `--count '<=N'`.
#[derive(Clone, Copy, Debug)]
enum Count {
    Exactly(usize),
    AtLeast(usize),
    AtMost(usize),
}

/// A test of a text (a jsonpath's result or a command's output).
#[derive(Clone, Debug)]
enum Test {
    Equals(String),
    NotEquals(String),
    Contains(String),
    NotContains(String),
}

/// Whether an expectation held, and the line that says so (`ok: …` or `expectation failed: …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub passed: bool,
    pub message: String,
}

/// `sim expect …` as a command: the verdict's line, as output when met and as an error when not.
pub fn run(cluster: &mut Cluster, words: &[String]) -> Result<String, String> {
    let verdict = Expectation::parse(words)?.check(cluster);
    if verdict.passed {
        Ok(verdict.message)
    } else {
        Err(verdict.message)
    }
}

impl Expectation {
    /// Parses a whole command line, which must be a `sim expect` command.
    pub fn parse_line(line: &str) -> Result<Expectation, String> {
        let words = words::split(line).map_err(|e| format!("error: {e}"))?;
        match words.as_slice() {
            [sim, expect, rest @ ..] if sim == "sim" && expect == "expect" => Expectation::parse(rest),
            _ => Err(format!("error: a check is a `sim expect …` command, not {line:?}")),
        }
    }

    /// Parses the words after `sim expect`.
    pub fn parse(words: &[String]) -> Result<Expectation, String> {
        let usage = || format!("error: usage:\n{USAGE}");
        let args = parse_args(words)?;
        let tests = tests(&args);
        let jsonpath = match args.value("jsonpath") {
            Some(template) => Some((template.to_string(), parse_template(template)?)),
            None => None,
        };
        let subject = match args.positional.first().map(String::as_str) {
            None => return Err(usage()),
            Some("output") => {
                let [_, command] = args.positional.as_slice() else {
                    return Err(
                        "error: usage: sim expect output 'COMMAND' --equals|--not-equals|--contains|--not-contains VALUE".to_string()
                    );
                };
                let object_flags = ["count", "phase", "status", "condition", "jsonpath", "field-selector"];
                if let Some(flag) = object_flags.iter().find(|f| args.value(f).is_some()) {
                    return Err(format!("error: --{flag} tests objects; sim expect output tests what a command prints"));
                }
                if args.selector.is_some() || args.namespace.is_some() || args.all_namespaces {
                    return Err("error: -l, -n and -A belong inside the command of sim expect output".to_string());
                }
                if tests.is_empty() {
                    return Err("error: sim expect output needs --equals, --not-equals, --contains or --not-contains".to_string());
                }
                let program = words::split(command).map_err(|e| format!("error: {e}"))?;
                if !super::only_reads(&program.iter().map(String::as_str).collect::<Vec<_>>()) {
                    return Err(format!("error: sim expect output runs a command that only reads (kubectl get|describe|logs|top|events|explain, sim nslookup|proxy rules|explain|etcd members|control-plane), not {command:?}"));
                }
                Subject::Output(command.clone())
            }
            Some(_) => {
                if !tests.is_empty() && jsonpath.is_none() {
                    return Err(
                        "error: --equals, --not-equals, --contains and --not-contains test the text of --jsonpath (or of sim expect output)".to_string()
                    );
                }
                if jsonpath.is_some() && tests.is_empty() {
                    return Err("error: --jsonpath needs --equals, --not-equals, --contains or --not-contains".to_string());
                }
                objects(&args)?
            }
        };
        let condition = match args.value("condition") {
            None => None,
            Some(text) => match text.split_once('=') {
                Some((kind, status)) if !kind.is_empty() && !status.is_empty() => Some((kind.to_string(), status.to_string())),
                _ => return Err(format!("error: invalid condition {text:?}: expected TYPE=STATUS, e.g. Ready=True")),
            },
        };
        Ok(Expectation {
            subject,
            count: args.value("count").map(parse_count).transpose()?,
            phase: args.value("phase").map(String::from),
            status: args.value("status").map(String::from),
            condition,
            jsonpath,
            tests,
        })
    }

    /// Checks the expectation against the cluster as it is now.
    pub fn check(&self, cluster: &mut Cluster) -> Verdict {
        let outcome = match &self.subject {
            Subject::Output(command) => {
                let output = super::execute(cluster, command, None);
                self.check_text(&output).map(|met| format!("output of {command:?} {met}")).map_err(|why| {
                    let shown: Vec<&str> = output.lines().take(10).collect();
                    format!("output of {command:?}: expected it to {why}; it printed:\n  {}", shown.join("\n  "))
                })
            }
            Subject::Objects { shown, .. } => {
                let objects = self.matching(cluster);
                self.check_objects(&objects).map(|met| format!("{shown}: {met}")).map_err(|why| format!("{shown}: {why}"))
            }
        };
        match outcome {
            Ok(message) => Verdict { passed: true, message: format!("ok: {message}") },
            Err(message) => Verdict { passed: false, message: format!("expectation failed: {message}") },
        }
    }

    /// The objects the subject names, read without a request.
    fn matching(&self, cluster: &Cluster) -> Vec<ObjectRef> {
        let Subject::Objects { kind, name, namespace, selector, fields, .. } = &self.subject else { return Vec::new() };
        let namespace = namespace.as_deref().filter(|_| kind.namespaced);
        let api = cluster.api();
        match name {
            Some(name) => api.peek(&Key::new(kind.kind, namespace.unwrap_or(""), name)).into_iter().collect(),
            None => api
                .peek_list(kind, namespace)
                .into_iter()
                .filter(|o| selector.matches(o.metadata().labels.as_ref()) && fields.matches(o))
                .collect(),
        }
    }

    /// What held (for `ok:`), or what was expected and found instead.
    fn check_objects(&self, objects: &[ObjectRef]) -> Result<String, String> {
        let named = matches!(&self.subject, Subject::Objects { name: Some(_), .. });
        let found = objects.len();
        let mut held = Vec::new();
        match self.count {
            Some(count) if !count.admits(found) => return Err(format!("expected {}, found {found}", count.describe())),
            Some(count) => held.push(format!("{found} found{}", count.qualifier())),
            None if found == 0 && named => return Err("expected it to exist, found none".to_string()),
            None if found == 0 => return Err("expected at least one, found none".to_string()),
            None if named => {}
            None => held.push(format!("{found} found")),
        }
        if found == 0 {
            return Ok(held.join(", "));
        }
        // For a list, the message names the object that fails.
        let which = |o: &Object| if named { String::new() } else { format!(" for {}", id(o)) };
        if let Some(phase) = &self.phase {
            for o in objects {
                let actual = o.to_json()["status"]["phase"].as_str().unwrap_or("").to_string();
                if actual != *phase {
                    return Err(format!("expected phase {phase}, found {}{}", shown_value(&actual), which(o)));
                }
            }
            held.push(format!("phase {phase}"));
        }
        if let Some(status) = &self.status {
            for o in objects {
                let actual = match &**o {
                    Object::Pod(pod) => pod_status(pod).0,
                    Object::Node(node) => node_status(node),
                    _ => String::new(),
                };
                if actual != *status {
                    return Err(format!("expected status {status}, found {actual}{}", which(o)));
                }
            }
            held.push(format!("status {status}"));
        }
        if let Some((type_, status)) = &self.condition {
            for o in objects {
                let actual = condition_status(&o.to_json(), type_);
                if !actual.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(status)) {
                    let found = actual.map_or(format!("no {type_} condition"), |a| format!("{type_}={a}"));
                    return Err(format!("expected condition {type_}={status}, found {found}{}", which(o)));
                }
            }
            held.push(format!("condition {type_}={status}"));
        }
        if let Some((template, path)) = &self.jsonpath {
            let mut met = String::new();
            for o in objects {
                let text = path.execute(&o.to_json()).unwrap_or_default();
                met = self.check_text(&text).map_err(|why| format!("expected {template} to {why}{}", which(o)))?;
            }
            let each = if named { "" } else { " for each" };
            held.push(format!("{template} {met}{each}"));
        }
        if held.is_empty() {
            held.push("exists".to_string());
        }
        Ok(held.join(", "))
    }

    /// Runs the text tests: what held (`is 3, contains "x"`), or what was wanted and found.
    fn check_text(&self, text: &str) -> Result<String, String> {
        let trimmed = text.trim_end_matches('\n');
        for test in &self.tests {
            let (met, wanted) = match test {
                Test::Equals(v) => (trimmed == v, format!("be {}, found {}", shown_value(v), shown_value(trimmed))),
                Test::NotEquals(v) => (trimmed != v, format!("not be {}", shown_value(v))),
                Test::Contains(v) => (text.contains(v.as_str()), format!("contain {v:?}")),
                Test::NotContains(v) => (!text.contains(v.as_str()), format!("not contain {v:?}")),
            };
            if !met {
                return Err(wanted);
            }
        }
        Ok(self.tests.iter().map(Test::held).collect::<Vec<_>>().join(", "))
    }
}

impl Count {
    fn admits(self, found: usize) -> bool {
        match self {
            Count::Exactly(n) => found == n,
            Count::AtLeast(n) => found >= n,
            Count::AtMost(n) => found <= n,
        }
    }
    fn describe(self) -> String {
        match self {
            Count::Exactly(n) => n.to_string(),
            Count::AtLeast(n) => format!("at least {n}"),
            Count::AtMost(n) => format!("at most {n}"),
        }
    }
    fn qualifier(self) -> String {
        match self {
            Count::Exactly(_) => String::new(),
            other => format!(" ({})", other.describe()),
        }
    }
}

impl Test {
    fn held(&self) -> String {
        match self {
            Test::Equals(v) => format!("is {}", shown_value(v)),
            Test::NotEquals(v) => format!("is not {}", shown_value(v)),
            Test::Contains(v) => format!("contains {v:?}"),
            Test::NotContains(v) => format!("does not contain {v:?}"),
        }
    }
}

/// A value in a message: bare when it is one plain word, quoted otherwise (so that an empty
/// value is visible).
fn shown_value(value: &str) -> String {
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c)) {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

/// `kind/name` of an object, as messages name it.
fn id(object: &Object) -> String {
    format!("{}/{}", object.kind().singular, object.metadata().name.as_deref().unwrap_or(""))
}

/// The status of the condition of that type in `status.conditions`, if there is one.
fn condition_status(object: &Value, type_: &str) -> Option<String> {
    let conditions = object["status"]["conditions"].as_array()?;
    let condition = conditions.iter().find(|c| c["type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case(type_)))?;
    condition["status"].as_str().map(String::from)
}

/// A `-o jsonpath` template, or a relaxed path such as `.status.readyReplicas`.
fn parse_template(template: &str) -> Result<JsonPath, String> {
    let full =
        if template.contains('{') { template.to_string() } else { jsonpath::relaxed(template).map_err(|e| format!("error: {e}"))? };
    JsonPath::parse(&full).map_err(|e| format!("error: error parsing jsonpath {full}, {e}"))
}

fn parse_count(text: &str) -> Result<Count, String> {
    let (make, digits): (fn(usize) -> Count, &str) = if let Some(n) = text.strip_prefix(">=") {
        (Count::AtLeast, n)
    } else if let Some(n) = text.strip_prefix("<=") {
        (Count::AtMost, n)
    } else {
        (Count::Exactly, text)
    };
    digits
        .trim()
        .parse()
        .map(make)
        .map_err(|_| format!("error: invalid argument {text:?} for \"--count\" flag: expected a whole number, >=N or <=N"))
}

fn tests(args: &Args) -> Vec<Test> {
    let mut tests = Vec::new();
    for (flag, value) in &args.other {
        tests.push(match flag.as_str() {
            "equals" => Test::Equals(value.clone()),
            "not-equals" => Test::NotEquals(value.clone()),
            "contains" => Test::Contains(value.clone()),
            "not-contains" => Test::NotContains(value.clone()),
            _ => continue,
        });
    }
    tests
}

/// `TYPE`, `TYPE NAME` or `TYPE/NAME`, with the namespace and selectors.
fn objects(args: &Args) -> Result<Subject, String> {
    let (kind, name) = match args.positional.as_slice() {
        [one] => match one.split_once('/') {
            Some((kind, name)) if !kind.is_empty() && !name.is_empty() => (kind, Some(name.to_string())),
            Some(_) => return Err(super::get::RESOURCE_NAME_FORM.to_string()),
            None => (one.as_str(), None),
        },
        [kind, name] if !kind.contains('/') => (kind.as_str(), Some(name.clone())),
        _ => return Err(format!("error: usage:\n{USAGE}")),
    };
    let kind = resource(kind)?;
    if args.value("status").is_some() && !matches!(kind.kind, "Pod" | "Node") {
        return Err(format!(
            "error: --status is the STATUS column of pods and nodes, not of {}; try --condition or --jsonpath",
            kind.resource
        ));
    }
    if name.is_some() && (args.selector.is_some() || args.value("field-selector").is_some()) {
        return Err("error: a name and a selector cannot both be given".to_string());
    }
    if name.is_some() && args.all_namespaces {
        return Err("error: a resource cannot be retrieved by name across all namespaces".to_string());
    }
    let selector = super::get::label_selector(args)?;
    let fields_text = args.value("field-selector").unwrap_or("");
    let fields = FieldSelector::parse(fields_text)?;
    fields.check(kind, fields_text, args.selector.as_deref().unwrap_or(""))?;
    let namespace = (!args.all_namespaces).then(|| args.namespace().to_string());
    let mut shown = match &name {
        Some(name) => format!("{}/{name}", kind.singular),
        None => kind.resource.to_string(),
    };
    if let Some(selector) = &args.selector {
        shown.push_str(&format!(" -l {selector}"));
    }
    if !fields_text.is_empty() {
        shown.push_str(&format!(" --field-selector {fields_text}"));
    }
    match (&namespace, kind.namespaced) {
        (None, true) => shown.push_str(" -A"),
        (Some(ns), true) if ns != "default" => shown.push_str(&format!(" -n {ns}")),
        _ => {}
    }
    Ok(Subject::Objects { kind, name, namespace, selector, fields, shown })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClusterConfig;

    fn expect(cluster: &mut Cluster, line: &str) -> String {
        super::super::execute(cluster, line, None)
    }

    #[test]
    fn objects_met_and_unmet() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        expect_all(
            &mut cluster,
            &[
                ("sim expect nodes --count 4", "ok: nodes: 4 found"),
                ("sim expect nodes --count '>=2' --status Ready", "ok: nodes: 4 found (at least 2), status Ready"),
                ("sim expect node worker-2 --condition Ready=True", "ok: node/worker-2: condition Ready=True"),
                (
                    "sim expect node worker-2 --condition Ready=Unknown",
                    "expectation failed: node/worker-2: expected condition Ready=Unknown, found Ready=True",
                ),
                ("sim expect deployment/web", "expectation failed: deployment/web: expected it to exist, found none"),
                ("sim expect deployment/web --count 0", "ok: deployment/web: 0 found"),
                ("kubectl create deployment web --image=nginx --replicas=3", "deployment.apps/web created"),
                ("sim expect pods -l app=web --count 3 --phase Running", "expectation failed: pods -l app=web: expected 3, found 0"),
            ],
        );
        cluster.advance(50);
        let out = expect(&mut cluster, "sim expect pods -l app=web --count 3 --phase Running");
        assert!(out.starts_with("expectation failed: pods -l app=web: expected phase Running, found Pending for pod/web-"), "{out}");
        let out = expect(&mut cluster, "sim expect deployment/web --jsonpath '{.status.readyReplicas}' --equals 3");
        assert_eq!(out, "expectation failed: deployment/web: expected {.status.readyReplicas} to be 3, found \"\"\n");
        cluster.advance(30_000);
        expect_all(
            &mut cluster,
            &[
                ("sim expect pods -l app=web --count 3 --phase Running", "ok: pods -l app=web: 3 found, phase Running"),
                ("sim expect deployment/web --jsonpath .status.readyReplicas --equals 3", "ok: deployment/web: .status.readyReplicas is 3"),
                (
                    "sim expect pods -l app=web --jsonpath '{.spec.containers[0].image}' --equals nginx --not-contains httpd",
                    "ok: pods -l app=web: 3 found, {.spec.containers[0].image} is nginx, does not contain \"httpd\" for each",
                ),
                ("sim expect pods -n kube-system --count 0", "ok: pods -n kube-system: 0 found"),
            ],
        );
    }

    /// Runs each line and compares what it printed (without the final newline).
    fn expect_all(cluster: &mut Cluster, cases: &[(&str, &str)]) {
        for (line, printed) in cases {
            assert_eq!(expect(cluster, line), format!("{printed}\n"), "{line}");
        }
    }

    #[test]
    fn output_of_a_command() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        assert_eq!(
            expect(&mut cluster, "sim expect output 'kubectl get nodes' --contains worker-3"),
            "ok: output of \"kubectl get nodes\" contains \"worker-3\"\n"
        );
        let out = expect(&mut cluster, "sim expect output 'kubectl get svc' --contains LoadBalancer");
        assert!(
            out.starts_with(
                "expectation failed: output of \"kubectl get svc\": expected it to contain \"LoadBalancer\"; it printed:\n  NAME "
            ),
            "{out}"
        );
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        for (line, error) in [
            ("sim expect", "error: usage:"),
            ("sim expect widgets", "error: the server doesn't have a resource type \"widgets\""),
            ("sim expect pods --count many", "error: invalid argument \"many\" for \"--count\" flag"),
            ("sim expect pods --equals 3", "error: --equals, --not-equals, --contains and --not-contains test the text of --jsonpath"),
            ("sim expect pods --jsonpath '{.x'", "error: error parsing jsonpath {.x, unclosed action"),
            ("sim expect pods --jsonpath .x", "error: --jsonpath needs --equals"),
            ("sim expect node worker-1 --condition Ready", "error: invalid condition \"Ready\""),
            ("sim expect pod/ ", "error: arguments in resource/name form"),
            ("sim expect pod web -l app=web", "error: a name and a selector cannot both be given"),
            ("sim expect output 'ls -l' --contains x", "error: sim expect output runs a command that only reads"),
            ("sim expect output 'sim curl web' --contains x", "error: sim expect output runs a command that only reads"),
            ("sim expect output 'kubectl get pods -w' --contains x", "error: sim expect output runs a command that only reads"),
            ("sim expect output 'kubectl delete pods --all' --contains x", "error: sim expect output runs a command that only reads"),
            ("sim expect output 'kubectl get pods'", "error: sim expect output needs --equals"),
            ("sim expect output 'kubectl get pods' --count 3 --contains x", "error: --count tests objects"),
            ("sim expect pods --field-selector spec.bogus=1", "Error from server (BadRequest)"),
            (
                "sim expect deployments --status Running",
                "error: --status is the STATUS column of pods and nodes, not of deployments; try --condition or --jsonpath",
            ),
        ] {
            let out = expect(&mut cluster, line);
            assert!(out.starts_with(error), "{line}: {out}");
        }
    }

    #[test]
    fn checking_makes_no_request() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let before = cluster.messages().len();
        let expectation = Expectation::parse_line("sim expect pods -A --count '>=0'").unwrap();
        assert!(expectation.check(&mut cluster).passed);
        assert_eq!(cluster.messages().len(), before);
        assert!(Expectation::parse_line("kubectl get pods").unwrap_err().contains("a check is a `sim expect …` command"));
    }
}
