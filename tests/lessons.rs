//! Every lesson compiled in: it parses, its setup runs, its first check fails before the
//! learner acts, and each step's solution makes that step's checks pass, to the end.
use kubeglass::lessons::{self, Lesson, Progress};
use kubeglass::{Cluster, ClusterConfig};

/// Runs one lesson as a learner who presses "show me" at every step.
fn walk_through(lesson: &Lesson) {
    let id = &lesson.id;
    let mut cluster = Cluster::new(ClusterConfig::default());
    let mut progress = Progress::new(lesson.clone());
    let setup = progress.setup(&mut cluster);
    assert_eq!(errors(&setup), Vec::<&str>::new(), "{id}: the setup printed errors:\n{setup}");
    for (index, step) in lesson.steps.iter().enumerate() {
        let title = &step.title;
        assert_eq!(progress.step(), index, "{id}: expected to be at step {index} ({title})");
        let before = progress.evaluate(&mut cluster);
        assert!(before.completed.is_empty(), "{id}: step {title:?} passed before its solution ran: {:?}", progress.results());
        if index == 0 {
            assert!(!progress.results()[0].passed, "{id}: the first check passes right after setup");
        }
        let transcript = progress.show_me(&mut cluster);
        assert_eq!(errors(&transcript), Vec::<&str>::new(), "{id}: the solution of {title:?} printed errors:\n{transcript}");
        let evaluation = progress.evaluate(&mut cluster);
        assert_eq!(
            evaluation.completed.first(),
            Some(&index),
            "{id}: step {title:?} still fails after its solution:\n{:#?}\nsolution transcript:\n{transcript}",
            progress.results()
        );
        assert_eq!(evaluation.completed.len(), 1, "{id}: step {title:?} also completed the steps after it");
    }
    assert!(progress.is_complete(), "{id}: not complete after every solution");
}

/// The lines of a transcript that are kubectl's or sim's errors.
fn errors(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.starts_with("error") || l.starts_with("Error") || l.starts_with("expectation failed")).collect()
}

#[test]
fn every_lesson_parses() {
    for (id, text) in lessons::sources() {
        if let Err(e) = Lesson::parse(id, text) {
            panic!("tutorials/{id}.md: {e}");
        }
    }
    assert_eq!(lessons::catalogue().len(), lessons::sources().len());
}

#[test]
fn every_lesson_runs_to_the_end() {
    for lesson in lessons::catalogue() {
        walk_through(&lesson);
    }
}

/// Checking a step changes nothing: no etcd write, and only the messages of `sim expect output`
/// commands, which the evaluation names so that the diagram can leave them out.
#[test]
fn checks_only_observe() {
    for lesson in lessons::catalogue() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let mut progress = Progress::new(lesson.clone());
        progress.setup(&mut cluster);
        while let Some(step) = progress.current().cloned() {
            let first = progress.step();
            progress.show_me(&mut cluster);
            let (revision, messages) = (cluster.revision(), cluster.messages().len() as u64);
            let evaluation = progress.evaluate(&mut cluster);
            assert_eq!(cluster.revision(), revision, "{}: checking {:?} wrote to etcd", lesson.id, step.title);
            assert_eq!(evaluation.quiet_messages, messages..cluster.messages().len() as u64);
            // The steps evaluated: those completed and the one that stopped the evaluation.
            let evaluated = &lesson.steps[first..(progress.step() + 1).min(lesson.steps.len())];
            if !evaluated.iter().flat_map(|s| &s.checks).any(|c| c.command.starts_with("sim expect output")) {
                assert!(evaluation.quiet_messages.is_empty(), "{}: {:?} recorded messages", lesson.id, step.title);
            }
        }
    }
}

/// A learner who is ahead completes several steps at once; failing checks say why; going back
/// to a step evaluates it again.
#[test]
fn progress_follows_the_learner() {
    let lesson = lessons::find("pods").expect("the pods lesson");
    let mut cluster = Cluster::new(ClusterConfig::default());
    let mut progress = Progress::new(lesson.clone());
    progress.setup(&mut cluster);
    assert_eq!(progress.evaluate(&mut cluster).completed, Vec::<usize>::new());
    let failed = &progress.results()[0];
    assert!(!failed.passed);
    assert_eq!(failed.description, "The pod web is Running");
    assert_eq!(failed.message, "expectation failed: pod/web: expected it to exist, found none");
    for step in &lesson.steps[..2] {
        kubeglass::kubectl::script::run(&mut cluster, &step.solution).expect("a solution that parses");
    }
    let evaluation = progress.evaluate(&mut cluster);
    assert_eq!(evaluation.completed, [0, 1]);
    assert_eq!(progress.step(), 2);
    assert!(progress.results().iter().any(|r| !r.passed), "{:?}", progress.results());
    progress.go_to(1);
    assert!(progress.results().is_empty());
    assert_eq!(progress.evaluate(&mut cluster).completed, [1]);
    progress.go_to(99);
    assert!(progress.is_complete() && progress.current().is_none());
    assert_eq!(progress.show_me(&mut cluster), "");
    assert!(lessons::find("no-such-lesson").is_none());
}

/// Every prefix of every lesson (a file cut short, as an author's file is while being written)
/// parses or fails with a line number, and never panics.
#[test]
fn truncated_lessons_never_panic() {
    for (id, text) in lessons::sources() {
        for (cut, _) in text.char_indices().step_by(31) {
            if let Err(e) = Lesson::parse(id, &text[..cut]) {
                assert!(e.line >= 1 && e.line <= text[..cut].lines().count().max(1), "{id} cut at {cut}: {e}");
            }
        }
    }
}
