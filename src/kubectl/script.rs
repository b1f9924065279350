//! Session scripts: one command per line, `#` comments, and heredocs (`<<EOF` … `EOF`) as a
//! command's standard input. The transcript reads like a terminal session: each command echoed
//! after `$ `, each heredoc line after `> `, then what the command printed.
use super::{execute_with_files, words, ReadFile};
use crate::Cluster;

/// A malformed script line: the script does not run.
#[derive(Debug, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// One command of a script, with the lines it was written on.
struct Step {
    /// The command line as written (heredoc operator included), for the echo.
    written: String,
    /// The command line without the heredoc operator, for execution.
    command: String,
    heredoc: Option<(Vec<String>, String)>,
}

fn parse(script: &str) -> Result<Vec<Step>, ScriptError> {
    let lines: Vec<&str> = script.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let written = lines[i].trim_end();
        i += 1;
        let trimmed = written.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let malformed = |message: String| ScriptError { line: number, message };
        let mut command = trimmed.to_string();
        let mut delimiter = None;
        if let Some(at) = find_heredoc(trimmed) {
            let after = trimmed[at + 2..].trim_start_matches('-').trim_start();
            let word = after.split_whitespace().next().unwrap_or("");
            let name = word.trim_matches(|c| c == '\'' || c == '"');
            if name.is_empty() {
                return Err(malformed("a heredoc needs a delimiter, e.g. <<EOF".to_string()));
            }
            let end = at + 2 + (trimmed[at + 2..].len() - after.len()) + word.len();
            command = format!("{}{}", &trimmed[..at], &trimmed[end..]).trim().to_string();
            delimiter = Some(name.to_string());
        }
        let words = words::split(&command).map_err(malformed)?;
        match words.first().map(String::as_str) {
            Some("kubectl" | "k" | "sim") => {}
            Some(other) => return Err(malformed(format!("unknown command {other:?}: a script line starts with kubectl or sim"))),
            None => return Err(malformed("a heredoc needs a command before it".to_string())),
        }
        let heredoc = match delimiter {
            Some(delimiter) => {
                let start = i;
                while i < lines.len() && lines[i].trim_end() != delimiter {
                    i += 1;
                }
                if i == lines.len() {
                    return Err(malformed(format!("here-document is not terminated by {delimiter:?}")));
                }
                let body = lines[start..i].iter().map(|l| l.to_string()).collect();
                i += 1;
                Some((body, delimiter))
            }
            None => None,
        };
        steps.push(Step { written: trimmed.to_string(), command, heredoc });
    }
    Ok(steps)
}

/// The position of a `<<` heredoc operator outside quotes, if any.
fn find_heredoc(line: &str) -> Option<usize> {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'\'' | b'"') => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            (None, b'<') if bytes.get(i + 1) == Some(&b'<') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The commands of a script with their standard input (a heredoc's lines), without running
/// them: lets a caller check a script it was handed (a link's scenario, an imported session)
/// before anything changes, and run it one command at a time.
pub fn steps(script: &str) -> Result<Vec<(String, Option<String>)>, ScriptError> {
    Ok(parse(script)?.into_iter().map(|step| (step.command, step.heredoc.map(|(body, _)| stdin_of(&body)))).collect())
}

fn stdin_of(body: &[String]) -> String {
    body.iter().map(|l| format!("{l}\n")).collect()
}

/// Checks a script's syntax without running it: the error [`run`] would give before running.
pub fn check_syntax(script: &str) -> Result<(), ScriptError> {
    parse(script).map(drop)
}

/// Runs a whole session script and returns its transcript.
pub fn run(cluster: &mut Cluster, script: &str) -> Result<String, ScriptError> {
    run_with_files(cluster, script, &|_| None)
}

/// [`run`] with a way to read the files that `-f FILE` names.
pub fn run_with_files(cluster: &mut Cluster, script: &str, files: ReadFile) -> Result<String, ScriptError> {
    let steps = parse(script)?;
    let mut transcript = String::new();
    for step in steps {
        transcript.push_str(&format!("$ {}\n", step.written));
        let stdin = step.heredoc.as_ref().map(|(body, delimiter)| {
            for line in body {
                transcript.push_str(&format!("> {line}\n"));
            }
            transcript.push_str(&format!("> {delimiter}\n"));
            stdin_of(body)
        });
        transcript.push_str(&execute_with_files(cluster, &step.command, stdin.as_deref(), files));
    }
    Ok(transcript)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredocs_and_malformed_lines() {
        let steps = parse("# comment\nkubectl apply -f - <<'EOF'\nkind: X\nEOF\nsim wait 1s\n").unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].command, "kubectl apply -f -");
        assert_eq!(steps[0].heredoc, Some((vec!["kind: X".to_string()], "EOF".to_string())));
        assert_eq!(
            parse("sim wait 1s\nls -l\n").err(),
            Some(ScriptError { line: 2, message: "unknown command \"ls\": a script line starts with kubectl or sim".into() })
        );
        assert_eq!(parse("kubectl apply -f - <<EOF\nkind: X\n").err().map(|e| e.line), Some(1));
        assert_eq!(parse("kubectl get pods -l 'a\n").err().map(|e| e.to_string()), Some("line 1: unterminated single quote".into()));
    }
}
