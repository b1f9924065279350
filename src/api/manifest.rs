//! Manifests: multi-document YAML or JSON (and `kind: List`) into API objects.
//!
//! The stream is split into documents the way kubectl's YAML reader does (a line starting with
//! `---`), each document is converted from YAML to JSON (errors carry line and column), its
//! `apiVersion` and `kind` are checked against the kinds the API server serves, and only then is
//! it decoded into its k8s-openapi type, where a wrong type or a missing field is reported at its
//! field path.
use serde_json::Value;

use super::{KindInfo, Object, KINDS};

/// One object from a manifest, not yet decoded into its API type.
#[derive(Clone, Debug)]
pub struct Document {
    pub value: Value,
    pub kind: &'static KindInfo,
    pub name: String,
    pub namespace: Option<String>,
}

/// Why a manifest could not be read, in the words kubectl uses (`source` is the file name or
/// `STDIN`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestError {
    Syntax { line: usize, column: usize, problem: String },
    NotAnObject,
    NotSet(&'static str),
    NoMatch { name: String, namespace: String, kind: String, version: String },
}

impl ManifestError {
    pub fn render(&self, source: &str) -> String {
        match self {
            ManifestError::Syntax { line, column, problem } => format!(
                "error: error parsing {source}: error converting YAML to JSON: yaml: line {line}, column {column}: {problem}"
            ),
            ManifestError::NotAnObject => format!(
                "error: unable to decode {source:?}: json: cannot unmarshal a non-object into Go value of type struct {{ APIVersion string; Kind string }}"
            ),
            ManifestError::NotSet(field) => format!(
                "error: error validating {source:?}: error validating data: {field} not set; if you choose to ignore these errors, turn validation off with --validate=false"
            ),
            ManifestError::NoMatch { name, namespace, kind, version } => format!(
                "error: resource mapping not found for name: {name:?} namespace: {namespace:?} from {source:?}: no matches for kind {kind:?} in version {version:?}\nensure CRDs are installed first"
            ),
        }
    }
}

/// Reads every document of a manifest stream, in order. Reading stops at a syntax error (the
/// stream cannot be followed past it), but an unknown kind only fails its own document.
pub fn parse(text: &str) -> Vec<Result<Document, ManifestError>> {
    let mut out = Vec::new();
    for (first_line, body) in split_documents(text) {
        if body.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            continue;
        }
        match serde_yaml::from_str::<Value>(&body) {
            Ok(value) => collect(value, &mut out),
            Err(e) => {
                let (line, column) = e.location().map_or((first_line, 1), |l| (l.line() + first_line - 1, l.column()));
                let message = e.to_string();
                let problem = message.split(" at line ").next().unwrap_or(&message).to_string();
                out.push(Err(ManifestError::Syntax { line, column, problem }));
                return out;
            }
        }
    }
    out
}

/// Splits on `---` separator lines, returning each document with its first line number.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        let separator = line.strip_prefix("---").map(str::trim).is_some_and(|rest| rest.is_empty() || rest.starts_with('#'));
        if separator {
            docs.push((i + 2, String::new()));
        } else if let Some((_, body)) = docs.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    docs
}

fn collect(value: Value, out: &mut Vec<Result<Document, ManifestError>>) {
    let Value::Object(map) = &value else {
        out.push(Err(ManifestError::NotAnObject));
        return;
    };
    let text = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (api_version, kind) = (text("apiVersion"), text("kind"));
    if kind.is_empty() {
        out.push(Err(ManifestError::NotSet("kind")));
        return;
    }
    if api_version.is_empty() {
        out.push(Err(ManifestError::NotSet("apiVersion")));
        return;
    }
    if kind == "List" || kind.ends_with("List") && map.contains_key("items") {
        if let Some(Value::Array(items)) = map.get("items") {
            for item in items {
                collect(item.clone(), out);
            }
        }
        return;
    }
    let metadata = map.get("metadata");
    let meta = |k: &str| metadata.and_then(|m| m.get(k)).and_then(Value::as_str).map(str::to_string);
    let name = meta("name").or_else(|| meta("generateName")).unwrap_or_default();
    let namespace = meta("namespace");
    match KINDS.iter().find(|k| k.kind == kind && k.api_version == api_version) {
        Some(info) => out.push(Ok(Document { value, kind: info, name, namespace })),
        None => {
            // NoKindMatchError names the whole group/version, e.g. "example.com/v1".
            out.push(Err(ManifestError::NoMatch { name, namespace: namespace.unwrap_or_default(), kind, version: api_version }));
        }
    }
}

/// Decodes a document into its API type, as the API server does before validation. A value of
/// the wrong type is the API server's 400 Bad Request, with the field path where it failed;
/// missing fields decode to their zero values and are left to validation, as in Go.
pub fn decode(doc: &Document) -> Result<Object, String> {
    let kind = doc.kind.kind;
    let version = doc.kind.api_version.rsplit('/').next().unwrap_or(doc.kind.api_version);
    let binary = match kind {
        "Secret" => doc.value.get("data"),
        "ConfigMap" => doc.value.get("binaryData"),
        _ => None,
    };
    for value in binary.and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
        if let Some(byte) = value.as_str().and_then(base64_error) {
            return Err(format!("{kind} in version {version:?} cannot be handled as a {kind}: illegal base64 data at input byte {byte}"));
        }
    }
    match Object::decode(kind, &doc.value) {
        Some(Ok(object)) => Ok(object),
        Some(Err(e)) => {
            let message = e.inner().to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            Err(format!("{kind} in version {version:?} cannot be handled as a {kind}: json: {message} at {}", e.path()))
        }
        None => Err(format!("no kind {kind:?} is registered for version {version:?}")),
    }
}

/// Where Go's `base64.StdEncoding` stops on a malformed value (the byte its
/// `CorruptInputError` names), or `None` for valid base64. Newlines are skipped, as Go does.
fn base64_error(text: &str) -> Option<usize> {
    let src = text.as_bytes();
    let is_symbol = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let newline = |c: u8| c == b'\n' || c == b'\r';
    let mut si = 0;
    loop {
        let mut j = 0;
        while j < 4 {
            let Some(&c) = src.get(si) else {
                return if j == 0 { None } else { Some(si - j) };
            };
            si += 1;
            if is_symbol(c) {
                j += 1;
            } else if newline(c) {
                continue;
            } else if c != b'=' || j < 2 {
                return Some(si - 1);
            } else {
                // Padding: `==` after two symbols, `=` after three, then only newlines.
                if j == 2 {
                    while src.get(si).copied().is_some_and(newline) {
                        si += 1;
                    }
                    match src.get(si) {
                        None => return Some(src.len()),
                        Some(b'=') => si += 1,
                        Some(_) => return Some(si - 1),
                    }
                }
                while src.get(si).copied().is_some_and(newline) {
                    si += 1;
                }
                return (si < src.len()).then_some(si);
            }
        }
    }
}

/// What the API server does with fields its types do not have (`fieldValidation`, which
/// kubectl sets from `--validate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    /// Refuse the request (kubectl's default, `--validate=strict` or `true`).
    Strict,
    /// Accept it, with a warning per field (`--validate=warn`).
    Warn,
    /// Drop them silently (`--validate=ignore` or `false`).
    Ignore,
}

impl FieldValidation {
    /// Reads kubectl's `--validate` flag.
    pub fn from_flag(flag: Option<&str>) -> Result<FieldValidation, String> {
        match flag.unwrap_or("strict") {
            "strict" | "true" => Ok(FieldValidation::Strict),
            "warn" => Ok(FieldValidation::Warn),
            "ignore" | "false" => Ok(FieldValidation::Ignore),
            other => Err(format!("error: invalid - validate option {other:?}; must be one of: strict (or true), warn, ignore (or false)")),
        }
    }

    /// Checks a decoded document for unknown fields: `Err` is the API server's strict
    /// decoding error, `Ok` the warnings kubectl prints before its result.
    pub fn check(self, doc: &Document, object: &Object) -> Result<Vec<String>, String> {
        let unknown = unknown_fields(&doc.value, &object.to_json());
        match self {
            _ if unknown.is_empty() => Ok(Vec::new()),
            FieldValidation::Ignore => Ok(Vec::new()),
            FieldValidation::Warn => Ok(unknown.iter().map(|f| format!("Warning: unknown field {f:?}")).collect()),
            FieldValidation::Strict => {
                let kind = doc.kind.kind;
                let version = doc.kind.api_version.rsplit('/').next().unwrap_or(doc.kind.api_version);
                let list: Vec<String> = unknown.iter().map(|f| format!("unknown field {f:?}")).collect();
                Err(format!("{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}", list.join(", ")))
            }
        }
    }
}

/// The paths of the fields of `input` that decoding dropped (they are not in the decoded
/// object written back), as the strict decoder names them: `spec.template.spec.containers[0].foo`.
fn unknown_fields(input: &Value, decoded: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(input, decoded, String::new(), &mut out);
    out
}

fn walk(input: &Value, decoded: &Value, path: String, out: &mut Vec<String>) {
    match (input, decoded) {
        (Value::Object(i), Value::Object(d)) => {
            for (k, v) in i {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match d.get(k) {
                    Some(dv) => walk(v, dv, child, out),
                    // A null is an absent optional field, and the kind's own header is kept.
                    None if !v.is_null() => out.push(child),
                    None => {}
                }
            }
        }
        (Value::Array(i), Value::Array(d)) => {
            for (n, (v, dv)) in i.iter().zip(d).enumerate() {
                walk(v, dv, format!("{path}[{n}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_json_and_lists() {
        let docs = parse(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# only a comment\n---\n{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"b\"}}]}\n",
        );
        let names: Vec<_> = docs.iter().map(|d| d.as_ref().map(|d| d.name.clone()).unwrap()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn syntax_errors_have_line_and_column_in_the_whole_stream() {
        let docs = parse(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n spec: x\n",
        );
        let err = docs.last().unwrap().as_ref().unwrap_err();
        assert!(matches!(err, ManifestError::Syntax { line: 10, .. }), "{err:?}");
        assert!(err.render("STDIN").starts_with("error: error parsing STDIN: error converting YAML to JSON: yaml: line 10, column"));
    }

    #[test]
    fn unknown_kinds_and_wrong_types_are_named_as_kubectl_names_them() {
        let docs = parse("apiVersion: v1\nkind: Foo\nmetadata:\n  name: web\n");
        assert_eq!(
            docs[0].as_ref().unwrap_err().render("STDIN"),
            "error: resource mapping not found for name: \"web\" namespace: \"\" from \"STDIN\": no matches for kind \"Foo\" in version \"v1\"\nensure CRDs are installed first"
        );
        let docs = parse("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: x\n");
        assert!(docs[0].as_ref().unwrap_err().render("STDIN").contains("no matches for kind \"Widget\" in version \"example.com/v1\""));
        let docs = parse("metadata:\n  name: web\n");
        assert_eq!(docs[0].as_ref().unwrap_err(), &ManifestError::NotSet("kind"));
        let docs = parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: 3\n");
        let message = decode(docs[0].as_ref().unwrap()).unwrap_err();
        assert!(message.starts_with("Pod in version \"v1\" cannot be handled as a Pod: json: invalid type: integer `3`"), "{message}");
    }

    #[test]
    fn base64_errors_name_the_byte_go_stops_at() {
        assert_eq!(base64_error("czNjcmV0"), None);
        assert_eq!(base64_error("czNjcmV0ZA=="), None);
        assert_eq!(base64_error("czNj\ncmV0"), None);
        assert_eq!(base64_error("secret"), Some(4), "an incomplete quantum");
        assert_eq!(base64_error("s3cret!"), Some(6));
        assert_eq!(base64_error("a="), Some(1));
        assert_eq!(base64_error("YQ==YQ=="), Some(4), "data after padding");
        let docs = parse("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: secret\n");
        assert_eq!(
            decode(docs[0].as_ref().unwrap()).unwrap_err(),
            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 4"
        );
    }

    #[test]
    fn unknown_fields_are_refused_warned_about_or_ignored() {
        let docs = parse(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: null\nspec:\n  foo: 1\n  containers:\n  - name: c\n    image: nginx\n    resources: {}\n    bar: true\n",
        );
        let doc = docs[0].as_ref().unwrap();
        let object = decode(doc).unwrap();
        assert_eq!(
            FieldValidation::Strict.check(doc, &object).unwrap_err(),
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].bar\", unknown field \"spec.foo\""
        );
        assert_eq!(
            FieldValidation::Warn.check(doc, &object).unwrap(),
            ["Warning: unknown field \"spec.containers[0].bar\"", "Warning: unknown field \"spec.foo\""]
        );
        assert!(FieldValidation::from_flag(Some("false")).unwrap().check(doc, &object).unwrap().is_empty());
        assert!(FieldValidation::from_flag(Some("x")).is_err());
    }
}
