//! The native CLI as a user runs it: `kubeglass run FILE|-`, its options and its exit codes.
use std::io::Write;
use std::process::{Command, Stdio};

fn kubeglass(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeglass"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubeglass");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write script");
    let out = child.wait_with_output().expect("run kubeglass");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_script_from_standard_input_prints_its_transcript() {
    let (code, out, _) = kubeglass(&["run", "-", "--workers", "0"], "kubectl get nodes\n");
    assert_eq!(code, 0);
    assert_eq!(out, "$ kubectl get nodes\nNAME            STATUS   ROLES           AGE   VERSION\ncontrol-plane   Ready    control-plane   0s    v1.34.0\n");
}

#[test]
fn kubectl_errors_do_not_stop_the_script_but_malformed_lines_do() {
    let (code, out, _) = kubeglass(&["run", "-"], "kubectl get pod nope\nkubectl get ns default\n");
    assert_eq!(code, 0);
    assert!(out.contains("Error from server (NotFound): pods \"nope\" not found\n$ kubectl get ns default\n"), "{out}");

    let (code, out, err) = kubeglass(&["run", "-"], "kubectl get nodes\nrm -rf /\n");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err, "kubeglass: -: line 2: unknown command \"rm\": a script line starts with kubectl or sim\n");
}

#[test]
fn bad_options_are_explained() {
    let (code, _, err) = kubeglass(&["run", "-", "--seed", "x"], "");
    assert_eq!(code, 1);
    assert!(err.contains("--seed needs a number, not \"x\""), "{err}");
    let (code, _, err) = kubeglass(&[], "");
    assert_eq!(code, 1);
    assert!(err.contains("usage: kubeglass run FILE|- [--seed N] [--workers N]"), "{err}");
}
