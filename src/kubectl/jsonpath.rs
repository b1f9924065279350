//! kubectl's JSONPath (`k8s.io/client-go/util/jsonpath`): templates such as
//! `{.items[*].metadata.name}` or `{range .items[*]}{.metadata.name}{"\n"}{end}`, with fields,
//! `..`, wildcards, unions, slices and `[?(@.type=="Ready")]` filters, missing keys allowed (as
//! `kubectl get -o jsonpath` allows them), and the parser's and executor's error messages.
use serde_json::Value;

/// One step of an action (`{...}`), as client-go's parser produces its nodes.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// `.name`, or `.*` for every value of a map.
    Field(String),
    /// `..`: the value and everything below it that has children.
    Recursive,
    /// `[i]`, `[start:end:step]` or `[*]`.
    Slice { start: Option<i64>, end: Option<i64>, end_derived: bool, step: Option<i64> },
    /// `[?(@.a == "b")]`, or `[?(@.a)]` for existence.
    Filter { left: Vec<Step>, operator: Option<String>, right: Vec<Step> },
    /// `[a,b]`: each branch on its own, results concatenated.
    Union(Vec<Vec<Step>>),
    /// A literal: `"text"`, a number or a boolean.
    Literal(Value),
    /// `range`, `end`, or an unknown word.
    Identifier(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Text(String),
    Action(Vec<Step>),
}

/// A parsed template.
#[derive(Clone, Debug)]
pub struct JsonPath {
    segments: Vec<Segment>,
}

impl JsonPath {
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        // Filters and brackets nest by recursion: a bound keeps a hostile template from
        // exhausting the stack (kubectl has no such limit, and no one nests this deep).
        if template.matches('[').count() > 64 {
            return Err("too many nested brackets".to_string());
        }
        let mut segments = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    segments.push(Segment::Text(rest.to_string()));
                    break;
                }
                Some(at) => {
                    if at > 0 {
                        segments.push(Segment::Text(rest[..at].to_string()));
                    }
                    let (steps, used) = parse_action(&rest[at + 1..])?;
                    segments.push(Segment::Action(steps));
                    rest = &rest[at + 1 + used..];
                }
            }
        }
        Ok(JsonPath { segments })
    }

    /// Runs the template on `data` and returns the text it prints.
    pub fn execute(&self, data: &Value) -> Result<String, String> {
        let mut out = String::new();
        let mut index = 0;
        walk(&self.segments, &mut index, data, &mut out, false)?;
        Ok(out)
    }

    /// The values the template's actions find (for custom columns and `--sort-by`).
    pub fn find(&self, data: &Value) -> Result<Vec<Value>, String> {
        let mut values = Vec::new();
        for segment in &self.segments {
            if let Segment::Action(steps) = segment {
                values.extend(eval(steps, vec![data.clone()])?);
            }
        }
        Ok(values)
    }
}

/// Parses and runs a template as `kubectl get -o jsonpath=...` does, with its error messages.
pub fn print(template: &str, data: &Value) -> Result<String, String> {
    let path = JsonPath::parse(template).map_err(|e| format!("error: error parsing jsonpath {template}, {e}"))?;
    path.execute(data).map_err(|e| {
        format!(
            "error: error executing jsonpath {template:?}: Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{template}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n",
            go_syntax(data)
        )
    })
}

/// Runs segments from `index` to the matching `{end}` (when `in_range`) or the end.
fn walk(segments: &[Segment], index: &mut usize, data: &Value, out: &mut String, in_range: bool) -> Result<(), String> {
    while let Some(segment) = segments.get(*index) {
        *index += 1;
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Action(steps) => match steps.first() {
                Some(Step::Identifier(word)) if word == "end" => {
                    if in_range {
                        return Ok(());
                    }
                    return Err("not in range, nothing to end".to_string());
                }
                Some(Step::Identifier(word)) if word == "range" => {
                    let items = eval(&steps[1..], vec![data.clone()])?;
                    let body = *index;
                    // An empty range still has to skip its body.
                    let mut skip = String::new();
                    walk(segments, index, &Value::Null, &mut skip, true).or_else(|e| if items.is_empty() { Ok(()) } else { Err(e) })?;
                    for item in items {
                        *index = body;
                        walk(segments, index, &item, out, true)?;
                    }
                }
                _ => {
                    let values = eval(steps, vec![data.clone()])?;
                    let texts: Vec<String> = values.iter().map(text_of).collect();
                    out.push_str(&texts.join(" "));
                }
            },
        }
    }
    Ok(())
}

/// How a value prints: strings bare, maps and lists as compact JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Go's `%v` of a decoded JSON value (`map[app:web]`, `[a b]`), as custom columns print it.
pub fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => format!("map[{}]", map.iter().map(|(k, v)| format!("{k}:{}", go_value(v))).collect::<Vec<_>>().join(" ")),
        other => other.to_string(),
    }
}

/// Go's `%#v` of a decoded JSON value, as the executor's error shows the object.
fn go_syntax(value: &Value) -> String {
    match value {
        Value::Null => "interface {}(nil)".to_string(),
        Value::Array(items) => format!("[]interface {{}}{{{}}}", items.iter().map(go_syntax).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let entries: Vec<String> = map.iter().map(|(k, v)| format!("{k:?}:{}", go_syntax(v))).collect();
            format!("map[string]interface {{}}{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

/// Characters that end a field name (client-go's `isTerminator`, plus filter operators).
fn ends_field(c: char) -> bool {
    " .,[]$@{}()=!<>~".contains(c)
}

/// Parses one action after its `{`; returns its steps and the bytes used, `}` included.
fn parse_action(text: &str) -> Result<(Vec<Step>, usize), String> {
    let mut steps = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |(o, _)| *o);
    loop {
        let Some(c) = at(i) else { return Err("unclosed action".to_string()) };
        match c {
            '}' => return Ok((steps, offset(i) + 1)),
            ' ' | '@' | '$' => i += 1,
            '.' => {
                i += 1;
                if at(i) == Some('.') {
                    steps.push(Step::Recursive);
                    i += 1;
                }
                let mut name = String::new();
                while let Some(c) = at(i) {
                    if c == '\\' {
                        if let Some(next) = at(i + 1) {
                            name.push(next);
                            i += 2;
                            continue;
                        }
                    }
                    if ends_field(c) {
                        break;
                    }
                    name.push(c);
                    i += 1;
                }
                if !name.is_empty() {
                    steps.push(Step::Field(name));
                }
            }
            '[' => {
                let start = offset(i);
                let filter = text[start..].starts_with("[?(");
                let close = if filter { text[start..].find(")]").map(|p| p + 2) } else { text[start..].find(']').map(|p| p + 1) };
                let Some(len) = close else {
                    return Err(if filter { "unterminated filter" } else { "unterminated array" }.to_string());
                };
                let inner = &text[start + 1..start + len - 1];
                if inner.contains('\n') {
                    return Err("unterminated array".to_string());
                }
                steps.push(if filter { parse_filter(&inner[2..inner.len() - 1])? } else { parse_brackets(inner)? });
                while offset(i) < start + len {
                    i += 1;
                }
            }
            '"' => {
                let start = offset(i);
                let mut end = None;
                let mut j = i + 1;
                while let Some(c) = at(j) {
                    if c == '\\' {
                        j += 2;
                        continue;
                    }
                    if c == '"' {
                        end = Some(j);
                        break;
                    }
                    j += 1;
                }
                let Some(end) = end else { return Err("unterminated quoted string".to_string()) };
                let quoted = &text[start..offset(end) + 1];
                let value: String = serde_json::from_str(quoted).map_err(|_| format!("invalid syntax {quoted}"))?;
                steps.push(Step::Literal(Value::String(value)));
                i = end + 1;
            }
            c if c == '-' || c.is_ascii_digit() => {
                let mut number = String::new();
                while let Some(c) = at(i).filter(|c| c.is_ascii_digit() || "-+.eE".contains(*c)) {
                    number.push(c);
                    i += 1;
                }
                let value = if let Ok(n) = number.parse::<i64>() {
                    Value::from(n)
                } else {
                    number.parse::<f64>().map(Value::from).map_err(|_| format!("cannot parse number {number}"))?
                };
                steps.push(Step::Literal(value));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut word = String::new();
                while let Some(c) = at(i).filter(|c| c.is_alphanumeric() || *c == '_') {
                    word.push(c);
                    i += 1;
                }
                steps.push(match word.as_str() {
                    "true" => Step::Literal(Value::Bool(true)),
                    "false" => Step::Literal(Value::Bool(false)),
                    _ => Step::Identifier(word),
                });
            }
            other => return Err(format!("unrecognized character in action: {}", go_rune(other))),
        }
    }
}

/// Go's `%#U` of a rune: `U+0023 '#'`.
fn go_rune(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

/// The steps of a sub-expression (a filter side or a union branch).
fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    let (steps, _) = parse_action(&format!("{text}}}"))?;
    Ok(steps)
}

/// `[...]`: a union, a `'quoted'` key, or a slice.
fn parse_brackets(inner: &str) -> Result<Step, String> {
    let inner = if inner == "*" { ":" } else { inner };
    if inner.contains(',') {
        let branches = inner.split(',').map(|part| parse_steps(&format!("[{}]", part.trim()))).collect::<Result<Vec<_>, _>>()?;
        return Ok(Step::Union(branches));
    }
    if let Some(key) = inner.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')).filter(|k| !k.contains('\'')) {
        return Ok(Step::Field(key.to_string()));
    }
    let invalid = || format!("invalid array index {inner}");
    let parts: Vec<&str> = inner.split(':').collect();
    if parts.len() > 3 {
        return Err(invalid());
    }
    let number = |s: &str| -> Result<Option<i64>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<i64>().map(Some).map_err(|_| invalid())
        }
    };
    let start = number(parts[0])?;
    match parts.len() {
        1 => {
            let start = start.ok_or_else(invalid)?;
            Ok(Step::Slice { start: Some(start), end: Some(start.saturating_add(1)), end_derived: true, step: None })
        }
        n => Ok(Step::Slice { start, end: number(parts[1])?, end_derived: false, step: if n == 3 { number(parts[2])? } else { None } }),
    }
}

/// `?(left op right)`, or `?(path)` for "exists".
fn parse_filter(inner: &str) -> Result<Step, String> {
    const OPERATORS: &[&str] = &["==", "!=", "<=", ">=", "=~", "<", ">"];
    let found = OPERATORS.iter().filter_map(|op| inner.find(op).map(|at| (at, *op))).min_by_key(|(at, op)| (*at, usize::MAX - op.len()));
    match found {
        Some((at, op)) => Ok(Step::Filter {
            left: parse_steps(inner[..at].trim())?,
            operator: Some(op.to_string()),
            right: parse_steps(inner[at + op.len()..].trim())?,
        }),
        None => Ok(Step::Filter { left: parse_steps(inner.trim())?, operator: None, right: Vec::new() }),
    }
}

fn eval(steps: &[Step], mut current: Vec<Value>) -> Result<Vec<Value>, String> {
    for step in steps {
        current = apply(step, current)?;
    }
    Ok(current)
}

fn apply(step: &Step, input: Vec<Value>) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    match step {
        Step::Field(name) => {
            for value in &input {
                if let Value::Object(map) = value {
                    if name == "*" {
                        out.extend(map.values().cloned());
                    } else if let Some(v) = map.get(name) {
                        out.push(v.clone());
                    }
                }
            }
        }
        Step::Recursive => {
            for value in &input {
                descend(value, &mut out);
            }
        }
        Step::Slice { start, end, end_derived, step } => {
            for value in &input {
                let Value::Array(items) = value else { continue };
                let len = items.len() as i64;
                let mut from = start.unwrap_or(0);
                if from < 0 {
                    from = from.saturating_add(len);
                }
                let mut to = end.unwrap_or(len);
                if to < 0 || (to == 0 && *end_derived) {
                    to = to.saturating_add(len);
                }
                if to == from {
                    continue;
                }
                if from >= len || from < 0 {
                    return Err(format!("array index out of bounds: index {from}, length {len}"));
                }
                if to > len || to < 0 {
                    return Err(format!("array index out of bounds: index {}, length {len}", to.saturating_sub(1)));
                }
                if from > to {
                    return Err(format!("starting index {from} is greater than ending index {to}"));
                }
                let stride = match step {
                    Some(s) if *s <= 0 => return Err("step must be > 0".to_string()),
                    Some(s) => *s as usize,
                    None => 1,
                };
                out.extend(items[from as usize..to as usize].iter().step_by(stride).cloned());
            }
        }
        Step::Filter { left, operator, right } => {
            for value in &input {
                let Value::Array(items) = value else { continue };
                for item in items {
                    if filter_passes(item, left, operator.as_deref(), right)? {
                        out.push(item.clone());
                    }
                }
            }
        }
        Step::Union(branches) => {
            for branch in branches {
                out.extend(eval(branch, input.clone())?);
            }
        }
        Step::Literal(value) => out.push(value.clone()),
        Step::Identifier(word) => return Err(format!("unrecognized identifier {word}")),
    }
    Ok(out)
}

/// Every value below `value` that has children, parents first (client-go's `evalRecursive`).
fn descend(value: &Value, out: &mut Vec<Value>) {
    let children: Vec<&Value> = match value {
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        _ => return,
    };
    if children.is_empty() {
        return;
    }
    out.push(value.clone());
    for child in children {
        descend(child, out);
    }
}

fn filter_passes(item: &Value, left: &[Step], operator: Option<&str>, right: &[Step]) -> Result<bool, String> {
    let lefts = eval(left, vec![item.clone()])?;
    let Some(operator) = operator else { return Ok(!lefts.is_empty()) };
    let rights = eval(right, vec![item.clone()])?;
    let (l, r) = match (lefts.as_slice(), rights.as_slice()) {
        ([], _) | (_, []) => return Ok(false),
        ([l], [r]) => (l, r),
        _ => return Err("can only compare one element at a time".to_string()),
    };
    let ordering = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    };
    Ok(match (operator, ordering) {
        ("==", o) => o == Some(std::cmp::Ordering::Equal),
        ("!=", o) => o != Some(std::cmp::Ordering::Equal),
        ("<", Some(o)) => o.is_lt(),
        ("<=", Some(o)) => o.is_le(),
        (">", Some(o)) => o.is_gt(),
        (">=", Some(o)) => o.is_ge(),
        ("=~", _) => return Err("=~ is not supported in filters".to_string()),
        _ => return Err("incompatible types for comparison".to_string()),
    })
}

/// `RelaxedJSONPathExpression`: `.a.b`, `a.b` and `{.a.b}` all mean `{.a.b}`.
pub fn relaxed(path: &str) -> Result<String, String> {
    let inner = path.strip_prefix('{').map_or(path, |p| p.strip_suffix('}').unwrap_or(p));
    if inner.is_empty() || inner.contains(['{', '}']) {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".to_string());
    }
    let dotted = if inner.starts_with('.') { inner.to_string() } else { format!(".{inner}") };
    Ok(format!("{{{dotted}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(template: &str, data: &Value) -> String {
        print(template, data).unwrap_or_else(|e| e)
    }

    #[test]
    fn fields_ranges_filters_and_slices() {
        let data = json!({"items": [
            {"metadata": {"name": "a", "labels": {"app": "web"}}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
            {"metadata": {"name": "b"}, "status": {"conditions": [{"type": "Ready", "status": "False"}]}}
        ]});
        assert_eq!(run("{.items[*].metadata.name}", &data), "a b");
        assert_eq!(run("{range .items[*]}{.metadata.name}{\"\\n\"}{end}", &data), "a\nb\n");
        assert_eq!(run("{.items[?(@.metadata.name==\"b\")].status.conditions[?(@.type==\"Ready\")].status}", &data), "False");
        assert_eq!(run("{.items[-1:].metadata.name}", &data), "b");
        assert_eq!(run("{.items[0].metadata.labels}", &data), "{\"app\":\"web\"}");
        assert_eq!(run("{.items[0].metadata['name','labels']}", &data), "a {\"app\":\"web\"}");
        assert_eq!(run("{..name}", &data), "a b");
        assert_eq!(run("{.items[0].nope}", &data), "");
        assert_eq!(run("x{.items[0:2:2].metadata.name}y", &data), "xay");
    }

    #[test]
    fn errors_in_kubectls_words() {
        let data = json!({"a": [1]});
        assert_eq!(run("{.a", &data), "error: error parsing jsonpath {.a, unclosed action");
        assert_eq!(run("{.a[}", &data), "error: error parsing jsonpath {.a[}, unterminated array");
        assert_eq!(run("{.a[?(@.x==1}", &data), "error: error parsing jsonpath {.a[?(@.x==1}, unterminated filter");
        assert_eq!(run("{.a[\"x\",\"y\"]}", &data), "error: error parsing jsonpath {.a[\"x\",\"y\"]}, invalid array index \"x\"");
        assert!(run("{.a[5]}", &data).starts_with(
            "error: error executing jsonpath \"{.a[5]}\": Error executing template: array index out of bounds: index 5, length 1."
        ));
        assert!(run("{end}", &data).contains("not in range, nothing to end. Printing more information"));
        assert!(run("{foo}", &data).ends_with("map[string]interface {}{\"a\":[]interface {}{1}}\n\n"));
    }

    #[test]
    fn relaxed_paths() {
        assert_eq!(relaxed("metadata.name").unwrap(), "{.metadata.name}");
        assert_eq!(relaxed("{.metadata.name}").unwrap(), "{.metadata.name}");
        assert!(relaxed("").is_err());
    }
}
