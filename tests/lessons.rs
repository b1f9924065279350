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
    assert!(!setup.contains("\nerror") && !setup.starts_with("error"), "{id}: the setup printed an error:\n{setup}");
    for (index, step) in lesson.steps.iter().enumerate() {
        let title = &step.title;
        assert_eq!(progress.step(), index, "{id}: expected to be at step {index} ({title})");
        let before = progress.evaluate(&mut cluster);
        assert!(before.completed.is_empty(), "{id}: step {title:?} passed before its solution ran: {:?}", progress.results());
        if index == 0 {
            assert!(!progress.results()[0].passed, "{id}: the first check passes right after setup");
        }
        let transcript = progress.show_me(&mut cluster);
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
