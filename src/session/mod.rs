//! A session written down in the command language, so that it can be kept, shared and
//! rebuilt. The model is deterministic, so the commands a learner ran, with the virtual time
//! that passed between them, replayed on a fresh default cluster give the same cluster: the
//! same etcd contents at the same revisions, the same virtual time, and the same kubelets,
//! controllers, timers and RNG state behind them. That is what the browser keeps in
//! localStorage, exports as a file, and puts in a share link.
//!
//! - [`Recorder`]: turns what ran into a session script (`sim wait` for the time between);
//! - [`SavedSession`]: the export file and the localStorage record (JSON with a format and a
//!   version), checked before anything is restored;
//! - [`scenario`]: a scenario compressed into a link's hash; [`link`]: the rest of the link.

pub mod link;
pub mod scenario;

use serde::{Deserialize, Serialize};

use crate::kubectl::{self, script};
use crate::{Cluster, ClusterConfig};

/// `format` of a saved session: anything else is not ours.
pub const FORMAT: &str = "kubeglass-session";
/// The version of the saved-session format this build writes and reads.
pub const VERSION: u32 = 1;
/// The largest session file an import reads.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;
/// The longest `sim wait` a script line may ask for (`sim wait` refuses more than 30 days).
const LONGEST_WAIT_MS: u64 = 30 * 24 * 3_600_000;

/// Writes down what ran against a cluster, as a session script that rebuilds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorder {
    script: String,
    /// The virtual time after the last recorded command finished.
    after_ms: u64,
}

impl Recorder {
    /// Continues a session restored from `script`, whose cluster is now at `now_ms`.
    pub fn resume(script: &str, now_ms: u64) -> Recorder {
        let mut script = script.to_string();
        if !script.is_empty() && !script.ends_with('\n') {
            script.push('\n');
        }
        Recorder { script, after_ms: now_ms }
    }

    /// Whether `command` can be written as one script line (the console also accepts lines a
    /// script cannot hold, such as `ls`; they change nothing, so they are left out).
    pub fn recordable(command: &str) -> bool {
        !command.contains('\n') && !command.contains("<<") && script::steps(command).is_ok_and(|s| s.len() == 1)
    }

    /// Records `command` (with its standard input) that started at `at_ms` and left the
    /// clock at `after_ms`.
    pub fn command(&mut self, at_ms: u64, command: &str, stdin: Option<&str>, after_ms: u64) {
        if !Recorder::recordable(command) {
            return;
        }
        self.script.push_str(&waits(at_ms.saturating_sub(self.after_ms)));
        self.script.push_str(command.trim());
        if let Some(stdin) = stdin {
            let delimiter = heredoc_delimiter(stdin);
            self.script.push_str(&format!(" <<{delimiter}\n{stdin}"));
            if !stdin.is_empty() && !stdin.ends_with('\n') {
                self.script.push('\n');
            }
            self.script.push_str(&delimiter);
        }
        self.script.push('\n');
        self.after_ms = self.after_ms.max(after_ms);
    }

    /// The session up to `now_ms`: replayed with [`replay`], it gives the cluster as it is now.
    pub fn script(&self, now_ms: u64) -> String {
        format!("{}{}", self.script, waits(now_ms.saturating_sub(self.after_ms)))
    }
}

/// `sim wait` lines for `ms` of virtual time (none for 0).
fn waits(mut ms: u64) -> String {
    let mut lines = String::new();
    while ms > 0 {
        let step = ms.min(LONGEST_WAIT_MS);
        lines.push_str(&format!("sim wait {}\n", duration(step)));
        ms -= step;
    }
    lines
}

/// `1h2m3s4ms` (zero parts left out), as `sim wait` reads it.
fn duration(ms: u64) -> String {
    let parts = [(3_600_000, "h"), (60_000, "m"), (1_000, "s"), (1, "ms")];
    let mut rest = ms;
    let mut text = String::new();
    for (unit, name) in parts {
        let n = rest / unit;
        rest %= unit;
        if n > 0 {
            text.push_str(&format!("{n}{name}"));
        }
    }
    text
}

/// `EOF`, or `EOF1`, `EOF2`, … when the text has a line that would end the heredoc early.
fn heredoc_delimiter(text: &str) -> String {
    let taken = |d: &str| text.lines().any(|l| l.trim_end() == d);
    (0..).map(|i| if i == 0 { "EOF".to_string() } else { format!("EOF{i}") }).find(|d| !taken(d)).unwrap_or_default()
}

/// A fresh default cluster with `script` run on it, or the script's first malformed line.
pub fn replay(script: &str) -> Result<Cluster, String> {
    let steps = script::steps(script).map_err(|e| format!("the session's script is malformed: {e}"))?;
    let mut cluster = Cluster::new(ClusterConfig::default());
    for (command, stdin) in steps {
        kubectl::execute(&mut cluster, &command, stdin.as_deref());
    }
    Ok(cluster)
}

/// A manifest editor tab as saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTab {
    pub title: String,
    pub text: String,
    /// The `kubectl edit` command the tab saves with, if `kubectl edit` opened it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<String>,
}

/// A whole session as one JSON document: the export file, and what localStorage keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSession {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written by this build.
    pub version: u32,
    /// The cluster: what ran on the default cluster, and the time between (see [`Recorder`]).
    pub script: String,
    /// Console history, oldest first.
    #[serde(default)]
    pub history: Vec<String>,
    /// The manifest editor's tabs, and which one is open.
    #[serde(default)]
    pub tabs: Vec<SavedTab>,
    #[serde(default)]
    pub current_tab: usize,
    /// The lesson being followed, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<SavedLesson>,
}

/// A lesson and the step the learner is at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLesson {
    pub id: String,
    pub step: usize,
}

impl SavedSession {
    pub fn new(script: String, history: Vec<String>, tabs: Vec<SavedTab>, current_tab: usize) -> SavedSession {
        SavedSession { format: FORMAT.to_string(), version: VERSION, script, history, tabs, current_tab, lesson: None }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a saved session, refusing anything that is not one this build can restore; the
    /// error is a sentence for the user.
    pub fn from_json(text: &str) -> Result<SavedSession, String> {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!(
                "the file is too large ({} KB; a kubeglass session is at most {} KB)",
                text.len() / 1024,
                MAX_FILE_BYTES / 1024
            ));
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("this is not a kubeglass session file (not JSON: {e})"))?;
        match value.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            Some(other) => return Err(format!("this is not a kubeglass session file (its format is {other:?})")),
            None => return Err("this is not a kubeglass session file (it has no \"format\" field)".to_string()),
        }
        match value.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => return Err(format!("this session file has format version {v}; this kubeglass reads version {VERSION}")),
            None => return Err("this session file has no format version".to_string()),
        }
        let saved: SavedSession = serde_json::from_value(value).map_err(|e| format!("this session file is damaged: {e}"))?;
        script::steps(&saved.script).map_err(|e| format!("this session file is damaged: its script is malformed at {e}"))?;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `command` as the browser does and records it.
    fn run(cluster: &mut Cluster, recorder: &mut Recorder, command: &str, stdin: Option<&str>) {
        let at = cluster.now_ms();
        kubectl::execute(cluster, command, stdin);
        recorder.command(at, command, stdin, cluster.now_ms());
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";

    #[test]
    fn a_replayed_session_is_the_same_cluster() {
        let mut live = Cluster::new(ClusterConfig::default());
        let mut recorder = Recorder::default();
        // Time passes in small ticks, as the browser's timer lets it.
        for _ in 0..25 {
            live.advance(100);
        }
        run(&mut live, &mut recorder, "kubectl apply -f -", Some(DEPLOYMENT));
        for _ in 0..73 {
            live.advance(97);
        }
        run(&mut live, &mut recorder, "sim node stop worker-1", None);
        run(&mut live, &mut recorder, "sim wait 1m", None);
        run(&mut live, &mut recorder, "kubectl get pods", None);
        run(&mut live, &mut recorder, "ls -l", None); // not a script line: left out
        run(&mut live, &mut recorder, "kubectl scale deployment web --replicas=5", None);
        live.advance(12_345);

        let script = recorder.script(live.now_ms());
        let commands: Vec<String> =
            script::steps(&script).unwrap().into_iter().map(|(c, _)| c).filter(|c| !c.starts_with("sim wait ")).collect();
        assert_eq!(commands.len(), 4, "{commands:?}");
        assert!(script.starts_with("sim wait 2s500ms\nkubectl apply -f - <<EOF\napiVersion: apps/v1\n"), "{script}");
        assert!(script.ends_with("kubectl scale deployment web --replicas=5\nsim wait 12s345ms\n"), "{script}");

        let replayed = replay(&script).unwrap();
        assert_eq!(replayed.now_ms(), live.now_ms());
        assert_eq!(replayed.revision(), live.revision());
        assert_eq!(replayed.api().snapshot(), live.api().snapshot());
        assert_eq!(replayed.snapshot(), live.snapshot());

        // Through the saved file and back, and on from there.
        let saved = SavedSession::new(script, vec!["kubectl get pods".into()], Vec::new(), 0);
        let read = SavedSession::from_json(&saved.to_json()).unwrap();
        assert_eq!(read, saved);
        let mut resumed = Recorder::resume(&read.script, live.now_ms());
        let mut again = replay(&read.script).unwrap();
        run(&mut again, &mut resumed, "kubectl delete deployment web", None);
        run(&mut live, &mut recorder, "kubectl delete deployment web", None);
        assert_eq!(resumed.script(again.now_ms()), recorder.script(live.now_ms()));
    }

    #[test]
    fn foreign_and_damaged_files_are_refused() {
        let refuse = |text: &str| SavedSession::from_json(text).unwrap_err();
        assert_eq!(refuse("PK\u{3}\u{4}"), "this is not a kubeglass session file (not JSON: expected value at line 1 column 1)");
        assert_eq!(refuse(r#"{"format":"excalidraw","version":2}"#), "this is not a kubeglass session file (its format is \"excalidraw\")");
        assert_eq!(refuse(r#"{"name":"x"}"#), "this is not a kubeglass session file (it has no \"format\" field)");
        assert_eq!(
            refuse(r#"{"format":"kubeglass-session","version":7,"script":""}"#),
            "this session file has format version 7; this kubeglass reads version 1"
        );
        assert_eq!(
            refuse(r#"{"format":"kubeglass-session","version":1,"script":7}"#),
            "this session file is damaged: invalid type: integer `7`, expected a string"
        );
        assert_eq!(
            refuse(r#"{"format":"kubeglass-session","version":1,"script":"kubectl get pods\nrm -rf /\n"}"#),
            "this session file is damaged: its script is malformed at line 2: unknown command \"rm\": a script line starts with kubectl or sim"
        );
        assert!(refuse(&" ".repeat(MAX_FILE_BYTES + 1)).starts_with("the file is too large"));
    }

    #[test]
    fn long_idle_times_become_several_waits() {
        assert_eq!(waits(0), "");
        assert_eq!(waits(3_723_004), "sim wait 1h2m3s4ms\n");
        assert_eq!(waits(LONGEST_WAIT_MS + 1), "sim wait 720h\nsim wait 1ms\n");
        assert_eq!(heredoc_delimiter("a\nEOF\n"), "EOF1");
        assert_eq!(heredoc_delimiter("a\n"), "EOF");
    }
}
