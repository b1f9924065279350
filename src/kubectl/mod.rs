//! The command language: kubectl commands and `sim` commands, one line at a time.
//!
//! Tests, session scripts, lessons and the browser console all go through [`execute`]; what it
//! returns is what a terminal would show (kubectl's errors included, in kubectl's words).
mod apply;
mod get;
mod scheduler;
pub mod script;
mod sim;
mod table;
mod words;
mod yaml;

use crate::api::{resolve_resource, KindInfo};
use crate::Cluster;

/// Where `-f FILE` reads from: the native CLI reads the file system, the browser has none.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> Option<String>;

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
        "kubectl" | "k" => kubectl(cluster, rest, &Input { stdin, files }),
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
}

impl Args {
    pub fn value(&self, flag: &str) -> Option<&str> {
        self.other.iter().rev().find(|(f, _)| f == flag).map(|(_, v)| v.as_str())
    }
    pub fn values<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.other.iter().filter(move |(f, _)| f == flag).map(|(_, v)| v.as_str())
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
];

/// Flags that take no value.
const BOOL_FLAGS: &[(&str, Option<char>)] = &[("all-namespaces", Some('A')), ("wait", None), ("force", None)];

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
            args.positional.extend(words[i..].iter().cloned());
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
        return Ok("kubectl controls the Kubernetes cluster manager.\n\nCommands here: apply, create, get, delete, scale.\n".to_string());
    };
    let args = parse_args(rest)?;
    match command.as_str() {
        "apply" => apply::apply(cluster, &args, input, apply::Mode::Apply),
        "create" => apply::apply(cluster, &args, input, apply::Mode::Create),
        "delete" => apply::delete(cluster, &args, input),
        "get" => get::get(cluster, &args),
        "scale" => apply::scale(cluster, &args),
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
}
