//! Whole session scripts on a small cluster (two workers). Virtual time is bounded: a script
//! whose durations add up to more than ten virtual minutes is skipped, so that every run is quick.
#![no_main]
use kubeglass::{kubectl, Cluster, ClusterConfig};
use libfuzzer_sys::fuzz_target;

/// Ten virtual minutes, in milliseconds.
const BUDGET_MS: u64 = 600_000;

/// The milliseconds a duration-like word (`30s`, `--timeout=2m`, `1h30m`) could stand for, read
/// generously: every run of digits times the largest unit that follows it.
fn millis(word: &str) -> u64 {
    let mut total = 0u64;
    let mut digits = String::new();
    for (i, c) in word.char_indices() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            let unit = if word[i..].starts_with("ms") {
                1
            } else {
                match c {
                    's' => 1_000,
                    'm' => 60_000,
                    'h' => 3_600_000,
                    _ => 1_000,
                }
            };
            total = total.saturating_add(digits.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(unit));
            digits.clear();
        }
    }
    if !digits.is_empty() {
        total = total.saturating_add(digits.parse::<u64>().unwrap_or(u64::MAX).saturating_mul(1_000));
    }
    total
}

fuzz_target!(|script: &str| {
    if script.len() > 16_384 {
        return;
    }
    // Commands that wait (`sim wait`, `kubectl wait`, `rollout status`, `drain`, `sim load --for`)
    // count their numbers as durations and at least a minute (the longest default timeout).
    let waiting = script
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("sim") || line.starts_with('k'))
        .filter(|line| ["wait", "rollout", "drain", "load", "timeout", "-w"].iter().any(|w| line.contains(w)))
        .map(|line| line.split_whitespace().map(millis).fold(60_000u64, u64::saturating_add));
    if waiting.fold(0u64, u64::saturating_add) > BUDGET_MS {
        return;
    }
    let mut cluster = Cluster::new(ClusterConfig { seed: 7, workers: 2 });
    let _ = kubectl::script::run(&mut cluster, script);
    // The cluster keeps working afterwards.
    let _ = kubectl::execute(&mut cluster, "kubectl get pods -A", None);
});
