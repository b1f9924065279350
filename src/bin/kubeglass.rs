//! The native CLI: `kubeglass run SCRIPT [--seed N] [--workers N]` runs a session script on a
//! fresh default cluster and prints its transcript.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kubeglass::kubectl::script;
use kubeglass::{Cluster, ClusterConfig};

const USAGE: &str = "usage: kubeglass run FILE|- [--seed N] [--workers N]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(transcript) => {
            print!("{transcript}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("kubeglass: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let mut config = ClusterConfig::default();
    let mut file = None;
    let mut words = args.iter();
    match words.next().map(String::as_str) {
        Some("run") => {}
        _ => return Err(USAGE.to_string()),
    }
    while let Some(word) = words.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let value = words.next().ok_or_else(|| format!("{flag} needs a number\n{USAGE}"))?;
            value.parse().map_err(|_| format!("{flag} needs a number, not {value:?}"))
        };
        match word.as_str() {
            "--seed" => config.seed = number("--seed")?,
            "--workers" => config.workers = number("--workers")?.min(1000) as usize,
            path if file.is_none() && (path == "-" || !path.starts_with('-')) => file = Some(path.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let file = file.ok_or_else(|| USAGE.to_string())?;
    let (text, base) = if file == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("reading standard input: {e}"))?;
        (text, PathBuf::from("."))
    } else {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("reading {file}: {e}"))?;
        (text, Path::new(&file).parent().map(Path::to_path_buf).unwrap_or_default())
    };
    // `-f PATH` in a script is relative to the script's folder.
    let read = |path: &str| std::fs::read_to_string(base.join(path)).ok();
    let mut cluster = Cluster::new(config);
    script::run_with_files(&mut cluster, &text, &read).map_err(|e| format!("{file}: {e}"))
}
