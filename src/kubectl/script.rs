//! Session scripts: commands, heredocs, and the transcript they print.
use crate::Cluster;

/// A malformed script line.
#[derive(Debug)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

/// Runs a whole session script and returns its transcript.
pub fn run(_cluster: &mut Cluster, _script: &str) -> Result<String, ScriptError> {
    Ok(String::new())
}
