//! The command language: kubectl commands and `sim` commands, one line at a time.
//!
//! Tests, session scripts, lessons and the browser console all go through [`execute`]; what it
//! returns is what a terminal would show (kubectl's errors included, in kubectl's words).
mod apply;
mod autoscale;
mod create;
mod describe;
mod diff;
mod discovery;
mod drain;
mod edit;
mod events;
pub mod expect;
mod explain;
mod get;
mod jsonpath;
mod label;
mod logs;
mod merge;
mod printers;
mod resources;
mod rollout;
mod scheduler;
pub mod script;
mod set;
mod sim;
mod sim_faults;
mod table;
mod top;
mod traffic;
mod wait;
pub mod watch;
mod words;

#[cfg(target_arch = "wasm32")]
pub use explain::set_table_source;
mod yaml;

pub use sim::parse_duration;

/// `-w`, `--watch`, `--watch-only` or `--watch=…`.
pub fn is_watch_flag(word: &str) -> bool {
    matches!(word, "-w" | "--watch" | "--watch-only") || word.starts_with("--watch=")
}

/// Whether a command line only reads the cluster, and neither watches, waits nor sends
/// traffic: `sim expect output` runs only these (a lesson checks again after every change),
/// and a read-only link allows them among others.
pub fn only_reads(words: &[&str]) -> bool {
    match words {
        ["kubectl" | "k", "get" | "describe" | "logs" | "top" | "events" | "explain" | "api-resources" | "api-versions" | "version", ..] => {
            !words.iter().any(|w| is_watch_flag(w))
        }
        ["sim", "nslookup" | "explain", ..] | ["sim", "proxy", "rules", ..] | ["sim", "etcd", "members"] | ["sim", "control-plane"] => true,
        _ => false,
    }
}

use crate::api::{resolve_resource, KindInfo};
use crate::Cluster;

/// Where `-f FILE` reads from: the native CLI reads the file system, the browser has none.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Option<String>;

/// What a command line asks of the console.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Text, as a terminal shows it.
    Text(String),
    /// `kubectl edit` without an edited object: open `yaml` in the editor; when it is saved, run
    /// `command` again with the saved text as its standard input. [`Reply::text`] is what the
    /// editor would show.
    Edit { command: String, yaml: String },
}

impl Reply {
    /// The reply as terminal text.
    pub fn text(self) -> String {
        match self {
            Reply::Text(text) => text,
            Reply::Edit { yaml, .. } => yaml,
        }
    }
}

/// Runs one command line like [`execute_with_files`], but tells the caller when the command
/// wants the editor (`kubectl edit` without standard input).
pub fn respond(cluster: &mut Cluster, line: &str, stdin: Option<&str>, files: ReadFile) -> Reply {
    let words = words::split(line).unwrap_or_default();
    if let (Some(program), Some(command), None) = (words.first(), words.get(1), stdin) {
        if matches!(program.as_str(), "kubectl" | "k") && command == "edit" && sim_faults::unreachable(cluster).is_none() {
            let opened = parse_args(&words[2..]).and_then(|args| edit::open(cluster, &args, &Input { stdin, files }));
            return match opened {
                Ok(yaml) => Reply::Edit { command: line.to_string(), yaml },
                Err(e) => Reply::Text(ensure_newline(e)),
            };
        }
    }
    Reply::Text(execute_with_files(cluster, line, stdin, files))
}

/// Runs one command line (with its standard input, if any) and returns what a terminal shows.
pub fn execute(cluster: &mut Cluster, line: &str, stdin: Option<&str>) -> String {
    execute_with_files(cluster, line, stdin, &|_| None)
}

/// [`execute`] with a way to read the files that `-f FILE` names.
pub fn execute_with_files(cluster: &mut Cluster, line: &str, stdin: Option<&str>, files: ReadFile) -> String {
    let words = match words::split(line) {
        Ok(words) => words,
        Err(e) => return format!("error: {e}\n"),
    };
    let Some((program, rest)) = words.split_first() else { return String::new() };
    let output = match program.as_str() {
        "kubectl" | "k" => match sim_faults::unreachable(cluster) {
            Some(error) => Err(error),
            None => kubectl(cluster, rest, &Input { stdin, files }),
        },
        "sim" => sim::run(cluster, rest, &Input { stdin, files }),
        other => Err(format!("{other}: command not found (commands start with kubectl or sim)")),
    };
    // Errors arrive already worded as kubectl words them; a terminal shows both streams.
    let text = output.unwrap_or_else(|e| e);
    if text.is_empty() {
        text
    } else {
        ensure_newline(text)
    }
}

/// Runs a command as [`execute`] does, except that `kubectl get ... -w` returns at once: the
/// current table and a [`watch::Watch`] whose [`watch::Watch::poll`] prints the rows of later
/// changes while the caller (the browser console) lets the clock run. Other commands return no
/// watch.
pub fn execute_watchable(cluster: &mut Cluster, line: &str) -> (String, Option<watch::Watch>) {
    let watching = words::split(line).ok().and_then(|words| match words.as_slice() {
        [program, command, rest @ ..]
            if matches!(program.as_str(), "kubectl" | "k") && command == "get" && sim_faults::unreachable(cluster).is_none() =>
        {
            parse_args(rest).ok().filter(|a| a.flag("watch") || a.flag("watch-only"))
        }
        _ => None,
    });
    match watching {
        Some(args) => match get::start_watch(cluster, &args) {
            Ok((text, watch)) => (text, Some(watch)),
            Err(e) => (ensure_newline(e), None),
        },
        None => (execute(cluster, line, None), None),
    }
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A command's standard input and file reader.
pub(crate) struct Input<'a> {
    pub stdin: Option<&'a str>,
    pub files: ReadFile<'a>,
}

impl Input<'_> {
    /// The text `-f SOURCE` names, and the name kubectl uses for it in messages.
    fn read(&self, source: &str) -> Result<(String, String), String> {
        if source == "-" {
            return Ok((self.stdin.unwrap_or("").to_string(), "STDIN".to_string()));
        }
        match (self.files)(source) {
            Some(text) => Ok((text, source.to_string())),
            None => Err(format!("error: the path {source:?} does not exist")),
        }
    }
}

/// Parsed flags and arguments of a kubectl or sim command.
#[derive(Debug, Default)]
pub(crate) struct Args {
    pub positional: Vec<String>,
    pub namespace: Option<String>,
    pub all_namespaces: bool,
    pub output: Option<String>,
    pub filenames: Vec<String>,
    pub selector: Option<String>,
    /// Every other `--flag value`, by long name, in order.
    pub other: Vec<(String, String)>,
    /// The words after `--`: the command of `kubectl run` and `create job`.
    pub command: Vec<String>,
}

impl Args {
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.other.iter().rev().find(|(f, _)| f == flag).map(|(_, v)| v.as_str())
    }
    pub fn values<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.other.iter().filter(move |(f, _)| f == flag).map(|(_, v)| v.as_str())
    }
    /// An integer flag, with pflag's error for a value that is not one.
    pub fn int(&self, flag: &str) -> Result<Option<i32>, String> {
        self.value(flag)
            .map(|v| {
                v.parse().map_err(|_| {
                    format!("error: invalid argument {v:?} for \"--{flag}\" flag: strconv.ParseInt: parsing {v:?}: invalid syntax")
                })
            })
            .transpose()
    }
    /// Whether a boolean flag is on.
    pub fn flag(&self, name: &str) -> bool {
        self.value(name).is_some_and(|v| v != "false")
    }
    /// The namespace a namespaced command acts in.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

/// Flags that take a value: (long name, short name).
const VALUE_FLAGS: &[(&str, Option<char>)] = &[
    ("namespace", Some('n')),
    ("output", Some('o')),
    ("filename", Some('f')),
    ("selector", Some('l')),
    ("replicas", None),
    ("cpu", None),
    ("memory", None),
    ("pods", None),
    ("label", None),
    ("taint", None),
    ("grace-period", None),
    ("image", None),
    ("port", None),
    ("target-port", None),
    ("protocol", None),
    ("tcp", None),
    ("node-port", None),
    ("type", None),
    ("name", None),
    ("from", None),
    ("from-literal", None),
    ("from-file", None),
    ("labels", None),
    ("env", None),
    ("restart", None),
    ("image-pull-policy", None),
    ("value", None),
    ("description", None),
    ("preemption-policy", None),
    ("hard", None),
    ("revision", None),
    ("to-revision", None),
    ("timeout", None),
    ("for", None),
    ("count", None),
    ("rps", None),
    ("current-replicas", None),
    ("limits", None),
    ("requests", None),
    ("containers", None),
    ("container", Some('c')),
    ("tail", None),
    ("field-selector", None),
    ("label-columns", Some('L')),
    ("sort-by", None),
    ("request-timeout", None),
    ("types", None),
    ("namespaced", None),
    ("api-group", None),
    ("show-events", None),
    ("chunk-size", None),
    ("cascade", None),
    ("validate", None),
    ("min", None),
    ("max", None),
    ("cpu-percent", None),
    ("external-name", None),
    ("clusterip", None),
    ("rule", None),
    ("class", None),
    ("default-backend", None),
    ("annotation", None),
    ("header", Some('H')),
    ("resolve", None),
    ("phase", None),
    ("status", None),
    ("condition", None),
    ("jsonpath", None),
    ("equals", None),
    ("not-equals", None),
    ("contains", None),
    ("not-contains", None),
];

/// Flags that take no value (`--flag=false` turns one off; `--dry-run` alone means `client`).
const BOOL_FLAGS: &[(&str, Option<char>)] = &[
    ("all-namespaces", Some('A')),
    ("wait", None),
    ("force", None),
    ("now", None),
    ("all", None),
    ("overwrite", None),
    ("ignore-not-found", None),
    ("dry-run", None),
    ("command", None),
    ("global-default", None),
    ("previous", Some('p')),
    ("timestamps", None),
    ("watch", Some('w')),
    ("watch-only", None),
    ("output-watch-events", None),
    ("show-labels", None),
    ("ignore-daemonsets", None),
    ("delete-emptydir-data", None),
    ("show-kind", None),
    ("no-headers", None),
    ("recursive", None),
    ("client", None),
];

pub(crate) fn parse_args(words: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut i = 0;
    let set = |args: &mut Args, name: &str, value: String| match name {
        "namespace" => args.namespace = Some(value),
        "output" => args.output = Some(value),
        "filename" => args.filenames.push(value),
        "selector" => args.selector = Some(value),
        "all-namespaces" => args.all_namespaces = value != "false",
        _ => args.other.push((name.to_string(), value)),
    };
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if word == "--" {
            args.command.extend(words[i..].iter().cloned());
            break;
        }
        let (name, inline): (String, Option<String>) = if let Some(long) = word.strip_prefix("--") {
            match long.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (long.to_string(), None),
            }
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next().unwrap_or('-');
            let rest: String = chars.collect();
            let long = VALUE_FLAGS.iter().chain(BOOL_FLAGS).find(|(_, s)| *s == Some(c)).map(|(l, _)| *l);
            let Some(long) = long else { return Err(format!("error: unknown shorthand flag: '{c}' in {word}")) };
            let inline = (!rest.is_empty()).then(|| rest.trim_start_matches('=').to_string());
            (long.to_string(), inline)
        } else {
            args.positional.push(word.clone());
            continue;
        };
        if VALUE_FLAGS.iter().any(|(l, _)| *l == name) {
            let value = match inline {
                Some(v) => v,
                None if i < words.len() => {
                    i += 1;
                    words[i - 1].clone()
                }
                None => return Err(format!("error: flag needs an argument: --{name}")),
            };
            set(&mut args, &name, value);
        } else if BOOL_FLAGS.iter().any(|(l, _)| *l == name) {
            set(&mut args, &name, inline.unwrap_or_else(|| "true".to_string()));
        } else {
            return Err(format!("error: unknown flag: --{name}"));
        }
    }
    Ok(args)
}

/// Resolves a resource type as kubectl does, or says the server does not have it.
pub(crate) fn resource(name: &str) -> Result<&'static KindInfo, String> {
    resolve_resource(name).ok_or_else(|| format!("error: the server doesn't have a resource type {name:?}"))
}

fn kubectl(cluster: &mut Cluster, words: &[String], input: &Input) -> Result<String, String> {
    let Some((command, rest)) = words.split_first() else {
        return Ok("kubectl controls the Kubernetes cluster manager.\n\nCommands here: annotate, api-resources, api-versions, apply, autoscale, cordon, create, delete, describe, diff, drain, edit, events, explain, expose, get, label, logs, rollout, run, scale, set, top, uncordon, version, wait.\n".to_string());
    };
    match command.as_str() {
        "logs" => return logs::logs(cluster, rest),
        "top" => return top::top(cluster, rest),
        _ => {}
    }
    let args = parse_args(rest)?;
    match command.as_str() {
        "apply" => apply::apply(cluster, &args, input, apply::Mode::Apply),
        "create" => create::create(cluster, &args, input),
        "delete" => apply::delete(cluster, &args, input),
        "get" => get::get(cluster, &args),
        "scale" => apply::scale(cluster, &args, input),
        "run" => create::run(cluster, &args),
        "expose" => create::expose(cluster, &args, input),
        "diff" => diff::diff(cluster, &args, input),
        "rollout" => rollout::rollout(cluster, &args, input),
        "set" => set::set(cluster, &args, input),
        "label" => label::label(cluster, &args, input, label::Field::Labels),
        "annotate" => label::label(cluster, &args, input, label::Field::Annotations),
        "wait" => wait::wait(cluster, &args, input),
        "edit" => edit::edit(cluster, &args, input),
        "describe" => describe::describe(cluster, &args),
        "events" => events::events(cluster, &args),
        "api-resources" => discovery::api_resources(&args),
        "api-versions" => Ok(discovery::api_versions()),
        "version" => discovery::version(&args),
        "explain" => explain::explain(&args),
        "autoscale" => autoscale::autoscale(cluster, &args, input),
        "cordon" => drain::cordon(cluster, &args, true),
        "uncordon" => drain::cordon(cluster, &args, false),
        "drain" => drain::drain(cluster, &args),
        other => Err(format!("error: unknown command {other:?} for \"kubectl\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_in_every_form_kubectl_accepts() {
        let words: Vec<String> =
            ["get", "pods", "-n", "kube-system", "-owide", "--selector=app=web", "-A"].iter().map(|s| s.to_string()).collect();
        let args = parse_args(&words).unwrap();
        assert_eq!(args.positional, ["get", "pods"]);
        assert_eq!(args.namespace.as_deref(), Some("kube-system"));
        assert_eq!(args.output.as_deref(), Some("wide"));
        assert_eq!(args.selector.as_deref(), Some("app=web"));
        assert!(args.all_namespaces);
        assert_eq!(parse_args(&["--bogus".to_string()]).unwrap_err(), "error: unknown flag: --bogus");
        assert_eq!(parse_args(&["-z".to_string()]).unwrap_err(), "error: unknown shorthand flag: 'z' in -z");
        assert_eq!(parse_args(&["-n".to_string()]).unwrap_err(), "error: flag needs an argument: --namespace");
    }

    #[test]
    fn edit_without_stdin_asks_for_the_editor() {
        let mut cluster = Cluster::new(crate::ClusterConfig::default());
        let reply = respond(&mut cluster, "kubectl edit namespace default", None, &|_| None);
        let Reply::Edit { command, yaml } = reply else { panic!("expected the editor, got {reply:?}") };
        assert_eq!(command, "kubectl edit namespace default");
        assert!(yaml.starts_with("# Please edit the object below.") && yaml.contains("name: default"), "{yaml}");
        let reply = respond(&mut cluster, "kubectl edit namespace nowhere", None, &|_| None);
        assert_eq!(reply, Reply::Text("Error from server (NotFound): namespaces \"nowhere\" not found\n".to_string()));
        let edited = respond(
            &mut cluster,
            "kubectl edit namespace default",
            Some("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n    team: a\n"),
            &|_| None,
        );
        assert_eq!(edited.text(), "namespace/default edited\n");
    }
}
