//! The command language: one line (tokenizer, flag parser, every kubectl and sim command) with an
//! optional standard input, on a fresh two-node cluster. The first line of the input is the
//! command, the rest its standard input. Commands that let virtual time pass are left to the
//! `script` target, which bounds it.
#![no_main]
use kubeglass::{kubectl, Cluster, ClusterConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (line, stdin) = match text.split_once('\n') {
        Some((line, rest)) => (line, Some(rest)),
        None => (text, None),
    };
    if line.contains("wait") || line.contains("drain") || line.contains("rollout") || line.contains("-w") {
        return;
    }
    let mut cluster = Cluster::new(ClusterConfig { seed: 1, workers: 2 });
    let _ = kubectl::execute(&mut cluster, line, stdin);
    let _ = kubectl::execute(&mut cluster, "kubectl get all -A", None);
});
