//! Lessons: guided steps that check themselves against the cluster as the learner works.
//!
//! A lesson is a Markdown file in `tutorials/` (the format is in `tutorials/README.md`),
//! compiled in with `include_str!`. The engine does no I/O and runs natively and in wasm.
//!
//! The API the lesson panel builds on:
//!
//! ```text
//! catalogue() -> Vec<Lesson>                       every lesson compiled in, by `order`
//! find(id) -> Option<Lesson>
//! Lesson::parse(id, text) -> Result<Lesson, LessonError>   (LessonError { line, message })
//! Lesson { id, title, summary, order, intro, setup, steps: Vec<Step>, outro }
//! Step { title, instructions, solution, checks: Vec<Check> }   (Markdown; scripts)
//! Check { description, command }                    (command: a `sim expect …` line)
//!
//! Progress::new(lesson) -> Progress                 the learner at step 0
//! progress.setup(&mut cluster) -> String            runs the setup script (its transcript)
//! progress.evaluate(&mut cluster) -> Evaluation     checks the current step; advances while
//!                                                   every check of the current step passes
//! progress.show_me(&mut cluster) -> String          runs the current step's solution
//! progress.lesson(), .step() (index; == steps.len() when done), .current() -> Option<&Step>,
//! .is_complete(), .results() -> &[CheckResult], .go_to(step)
//! CheckResult { description, command, passed, message }   (message: `ok: …` / `expectation failed: …`)
//! Evaluation { completed: Vec<usize>, quiet_messages: Range<u64> }
//! ```
//!
//! Checks read the cluster's state directly, as the diagram does, so evaluating them adds no
//! message to the log the diagram animates. Only `sim expect output 'COMMAND'` runs a command,
//! and the messages that command records are reported in [`Evaluation::quiet_messages`] so the
//! UI can leave them out.
mod parse;

use std::ops::Range;

use crate::kubectl::expect::Expectation;
use crate::kubectl::script;
use crate::Cluster;

/// One lesson: prose, a setup script, and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    /// One sentence for the list of lessons.
    pub summary: String,
    /// Where the lesson sits in the catalogue (lower first).
    pub order: u32,
    /// Markdown shown before the first step.
    pub intro: String,
    /// A session script that prepares the cluster (may be empty).
    pub setup: String,
    pub steps: Vec<Step>,
    /// Markdown shown when every step is done (may be empty).
    pub outro: String,
}

/// One step: what to do, how it is done, and how the lesson knows it is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    /// Markdown (fenced `solution` and `check` blocks removed).
    pub instructions: String,
    /// The "show me" session script.
    pub solution: String,
    pub checks: Vec<Check>,
}

/// One check of a step: a `sim expect …` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What the learner reads: the `#` comment above the check, or the command itself.
    pub description: String,
    pub command: String,
}

/// A malformed lesson: the line of the lesson file (1-based) and why. It has the shape of a
/// malformed script's error, and reads the same: `line 12: …`.
pub use crate::kubectl::script::ScriptError as LessonError;

impl Lesson {
    /// Parses a lesson file; `id` is its name in the catalogue (the file name without `.md`).
    pub fn parse(id: &str, text: &str) -> Result<Lesson, LessonError> {
        parse::lesson(id, text)
    }
}

/// The lesson files compiled in: (id, text).
const SOURCES: &[(&str, &str)] = &[
    ("request-flow", include_str!("../../tutorials/request-flow.md")),
    ("control-plane", include_str!("../../tutorials/control-plane.md")),
    ("pods", include_str!("../../tutorials/pods.md")),
    ("deployments", include_str!("../../tutorials/deployments.md")),
    ("rolling-updates", include_str!("../../tutorials/rolling-updates.md")),
    ("scheduling", include_str!("../../tutorials/scheduling.md")),
    ("services", include_str!("../../tutorials/services.md")),
    ("dns-ingress", include_str!("../../tutorials/dns-ingress.md")),
    ("node-failure", include_str!("../../tutorials/node-failure.md")),
    ("etcd-quorum", include_str!("../../tutorials/etcd-quorum.md")),
    ("autoscaling", include_str!("../../tutorials/autoscaling.md")),
    ("workloads", include_str!("../../tutorials/workloads.md")),
    ("config-secrets", include_str!("../../tutorials/config-secrets.md")),
    ("common-mistakes", include_str!("../../tutorials/common-mistakes.md")),
];

/// Every lesson file compiled in, as (id, text), for tests that check each one parses.
pub fn sources() -> &'static [(&'static str, &'static str)] {
    SOURCES
}

/// Every lesson compiled in, in catalogue order (the tests prove each one parses).
pub fn catalogue() -> Vec<Lesson> {
    let mut lessons: Vec<Lesson> = SOURCES.iter().filter_map(|(id, text)| Lesson::parse(id, text).ok()).collect();
    lessons.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
    lessons
}

/// The lesson with this id, if one is compiled in.
pub fn find(id: &str) -> Option<Lesson> {
    SOURCES.iter().find(|(source, _)| *source == id).and_then(|(id, text)| Lesson::parse(id, text).ok())
}

/// How one check fared at the last evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub description: String,
    pub command: String,
    pub passed: bool,
    /// `ok: …` or `expectation failed: …`, as `sim expect` prints it.
    pub message: String,
}

/// What one evaluation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    /// The steps this evaluation completed (in order; empty if the current one still fails).
    pub completed: Vec<usize>,
    /// The sequence numbers of the messages the checks' commands recorded (empty unless a
    /// check is `sim expect output`): the UI hides these.
    pub quiet_messages: Range<u64>,
}

/// A learner's way through one lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    lesson: Lesson,
    step: usize,
    results: Vec<CheckResult>,
}

impl Progress {
    pub fn new(lesson: Lesson) -> Progress {
        Progress { lesson, step: 0, results: Vec::new() }
    }

    pub fn lesson(&self) -> &Lesson {
        &self.lesson
    }

    /// Runs the lesson's setup script on `cluster` and starts again at the first step; returns
    /// the setup's transcript.
    pub fn setup(&mut self, cluster: &mut Cluster) -> String {
        self.go_to(0);
        run_script(cluster, &self.lesson.setup)
    }

    /// The index of the current step (`lesson().steps.len()` once every step is done).
    pub fn step(&self) -> usize {
        self.step
    }

    /// The current step, or `None` when the lesson is complete.
    pub fn current(&self) -> Option<&Step> {
        self.lesson.steps.get(self.step)
    }

    pub fn is_complete(&self) -> bool {
        self.step >= self.lesson.steps.len()
    }

    /// The current step's checks as the last evaluation found them (empty before the first
    /// evaluation of a step, and once the lesson is complete).
    pub fn results(&self) -> &[CheckResult] {
        &self.results
    }

    /// Moves to a step (e.g. to skip one, or to go back); past the end means complete.
    pub fn go_to(&mut self, step: usize) {
        self.step = step.min(self.lesson.steps.len());
        self.results.clear();
    }

    /// Evaluates the current step's checks; while all of them pass, the step is done and the
    /// next step's checks are evaluated too.
    pub fn evaluate(&mut self, cluster: &mut Cluster) -> Evaluation {
        let before = cluster.messages().len() as u64;
        let mut completed = Vec::new();
        while let Some(step) = self.lesson.steps.get(self.step) {
            self.results = step.checks.iter().map(|check| evaluate(check, cluster)).collect();
            if !self.results.iter().all(|r| r.passed) {
                break;
            }
            completed.push(self.step);
            self.step += 1;
            self.results.clear();
        }
        Evaluation { completed, quiet_messages: before..cluster.messages().len() as u64 }
    }

    /// "Show me": runs the current step's solution on `cluster` and returns its transcript
    /// (the next [`Progress::evaluate`] sees the result).
    pub fn show_me(&self, cluster: &mut Cluster) -> String {
        self.current().map(|step| run_script(cluster, &step.solution)).unwrap_or_default()
    }
}

fn evaluate(check: &Check, cluster: &mut Cluster) -> CheckResult {
    let (passed, message) = match Expectation::parse_line(&check.command) {
        Ok(expectation) => {
            let verdict = expectation.check(cluster);
            (verdict.passed, verdict.message)
        }
        Err(e) => (false, e),
    };
    CheckResult { description: check.description.clone(), command: check.command.clone(), passed, message }
}

/// Runs a script the parser has already checked; a syntax error cannot happen, but would be
/// shown rather than lost.
fn run_script(cluster: &mut Cluster, text: &str) -> String {
    script::run(cluster, text).unwrap_or_else(|e| format!("error: {e}\n"))
}
