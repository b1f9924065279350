//! Golden transcripts: every `tests/transcripts/NAME.kube` session script is run on a fresh
//! default cluster and its transcript compared with `NAME.out`. A first line
//! `# kubeglass: --seed N --workers N` sets the options. `UPDATE_EXPECT=1 cargo test` rewrites
//! the expected files; review the diff before committing.
use std::path::Path;

use kubeglass::kubectl::script;
use kubeglass::{Cluster, ClusterConfig};

fn config_of(script: &str) -> ClusterConfig {
    let mut config = ClusterConfig::default();
    if let Some(options) = script.lines().next().and_then(|l| l.strip_prefix("# kubeglass:")) {
        let words: Vec<&str> = options.split_whitespace().collect();
        for pair in words.chunks(2) {
            match pair {
                ["--seed", n] => config.seed = n.parse().expect("--seed N"),
                ["--workers", n] => config.workers = n.parse().expect("--workers N"),
                other => panic!("unknown transcript option {other:?}"),
            }
        }
    }
    config
}

fn run(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read script");
    let dir = path.parent().expect("script folder").to_path_buf();
    let read = move |p: &str| std::fs::read_to_string(dir.join(p)).ok();
    let mut cluster = Cluster::new(config_of(&text));
    script::run_with_files(&mut cluster, &text, &read).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn transcripts_match_their_expected_output() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/transcripts")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "kube"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 5, "expected the golden transcripts, found {scripts:?}");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for script in scripts {
        let actual = run(&script);
        let expected_path = script.with_extension("out");
        if update {
            std::fs::write(&expected_path, &actual).expect("write expected transcript");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            let line = actual
                .lines()
                .zip(expected.lines())
                .position(|(a, e)| a != e)
                .unwrap_or(actual.lines().count().min(expected.lines().count()));
            failures.push(format!(
                "{}: first difference at line {}\n  expected: {:?}\n  actual:   {:?}",
                script.display(),
                line + 1,
                expected.lines().nth(line),
                actual.lines().nth(line)
            ));
        }
    }
    assert!(failures.is_empty(), "transcripts differ (UPDATE_EXPECT=1 to accept):\n{}", failures.join("\n"));
}

#[test]
fn the_same_script_and_seed_give_a_byte_identical_transcript() {
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts/deployment_to_running.kube")).unwrap();
    let once = |seed| script::run(&mut Cluster::new(ClusterConfig { seed, workers: 3 }), &script).unwrap();
    assert_eq!(once(7), once(7));
    assert_ne!(once(7), once(8), "another seed gives other generated names");
}
