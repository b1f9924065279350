//! YAML as `kubectl -o yaml` prints it (sigs.k8s.io/yaml over go-yaml): keys sorted, two-space
//! indentation, list items at their key's indentation, strings double-quoted only when a
//! plain scalar would read as something else, and multi-line strings as literal blocks.
use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(_) | Value::Array(_) => block(value, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn is_collection(value: &Value) -> bool {
    matches!(value, Value::Object(m) if !m.is_empty()) || matches!(value, Value::Array(a) if !a.is_empty())
}

/// Writes a non-empty map or list whose lines start at `indent`.
fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.push_str(&format!("{pad}{}:", scalar_string(k)));
                entry(v, indent, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&format!("{pad}-"));
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        // The first key shares the dash's line; the rest align under it.
                        let mut first = String::new();
                        block(item, indent + 2, &mut first);
                        out.push(' ');
                        out.push_str(first.trim_start());
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        block(item, indent + 2, out);
                    }
                    scalar => {
                        out.push(' ');
                        out.push_str(&inline(scalar, indent + 2));
                        out.push('\n');
                    }
                }
            }
        }
        _ => {}
    }
}

/// Writes what follows `key:`: a nested block on the next lines, or a scalar on the same line.
fn entry(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(_) if is_collection(value) => {
            out.push('\n');
            block(value, indent + 2, out);
        }
        Value::Array(_) if is_collection(value) => {
            out.push('\n');
            block(value, indent, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar, indent + 2));
            out.push('\n');
        }
    }
}

fn inline(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        Value::String(s) if s.contains('\n') => {
            let chomp = if s.ends_with('\n') { "|" } else { "|-" };
            let pad = " ".repeat(indent);
            let body: Vec<String> =
                s.trim_end_matches('\n').split('\n').map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect();
            format!("{chomp}\n{}", body.join("\n"))
        }
        Value::String(s) => scalar_string(s),
    }
}

/// A string as a plain scalar when it reads back as the same string, else double-quoted.
fn scalar_string(s: &str) -> String {
    if needs_quotes(s) {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        s.to_string()
    }
}

fn needs_quotes(s: &str) -> bool {
    const SPECIAL_START: &str = "?:,[]{}#&*!|>'\"%@`";
    const RESERVED: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"];
    let lower = s.to_ascii_lowercase();
    s.is_empty()
        || s.starts_with(|c: char| SPECIAL_START.contains(c) || c.is_whitespace())
        // go-yaml writes `-c` plain; only a dash that reads as a list item or `---` is quoted.
        || s == "-"
        || s.starts_with("- ")
        || s.starts_with("---")
        || s.ends_with(char::is_whitespace)
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with(':')
        || s.chars().any(|c| c.is_control())
        || RESERVED.contains(&lower.as_str())
        || looks_numeric(s)
        || looks_like_timestamp(s)
}

fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    !t.is_empty() && (t.parse::<f64>().is_ok() || t.starts_with("0x") || t.starts_with("0o") || t == ".inf" || t == ".nan")
}

fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-'
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_as_kubectl_prints() {
        let v = json!({"a": {"b": "True", "c": "6", "d": "2026-01-01T00:00:00Z", "e": "plain text"},
            "items": [{"k": 1, "m": "x"}, "s", "-c", "-"], "empty": {}, "note": "line\n"});
        assert_eq!(
            to_yaml(&v),
            "a:\n  b: \"True\"\n  c: \"6\"\n  d: \"2026-01-01T00:00:00Z\"\n  e: plain text\nempty: {}\nitems:\n- k: 1\n  m: x\n- s\n- -c\n- \"-\"\nnote: |\n  line\n"
        );
    }
}
