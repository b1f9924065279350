//! The command language: kubectl commands and `sim` commands.
pub mod script;

use crate::Cluster;

/// Runs one command line (with its standard input, if any) and returns what a terminal shows.
pub fn execute(_cluster: &mut Cluster, _line: &str, _stdin: Option<&str>) -> String {
    String::new()
}
