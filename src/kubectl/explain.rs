//! `kubectl explain RESOURCE[.field.path] [--recursive]`, laid out as kubectl's OpenAPI v3
//! plaintext template (`staging/src/k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl`)
//! lays it out.
//!
//! The field table `explain.json` holds, for every type reachable from the kinds kubeglass
//! serves, its description and fields (name, kubectl's type guess, the type it refers to,
//! whether it is required, description), taken from the OpenAPI schemas in k8s-openapi 0.29
//! (`v1_34`). Those schemas come from the v2 document, so enum lists ("ENUM:" lines and
//! "Possible enum values") are not shown.
//!
//! The native build embeds the table. The browser build does not (it would be a fifth of the
//! first download): Trunk copies it next to the page as `explain.json`, and the first `kubectl
//! explain` fetches it through the source the UI sets (`set_table_source`), as kubectl
//! fetches the OpenAPI document from the API server.
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;

use super::{resource, Args};

/// One field: name, type guess (`[]Container`, `map[string]string`), referenced type,
/// required, description.
type Field = (String, String, Option<String>, bool, String);

#[derive(Deserialize)]
struct Schema {
    d: String,
    p: Vec<Field>,
}

type Schemas = BTreeMap<String, Schema>;

thread_local! {
    /// The table, read once.
    static SCHEMAS: std::cell::OnceCell<Rc<Schemas>> = const { std::cell::OnceCell::new() };
}

fn schemas() -> Result<Rc<Schemas>, String> {
    if let Some(schemas) = SCHEMAS.with(|s| s.get().cloned()) {
        return Ok(schemas);
    }
    let unreadable = |e: String| format!("error: the OpenAPI schema could not be read: {e}");
    let read = |text: &str| serde_json::from_str::<Schemas>(text).map_err(|e| unreadable(e.to_string()));
    let mut schemas = read(&table()?)?;
    // The custom resources kubeglass serves (the VerticalPodAutoscaler CRD's schema): small,
    // so embedded in every build.
    schemas.extend(read(include_str!("explain_crd.json"))?);
    let schemas = Rc::new(schemas);
    SCHEMAS.with(|s| s.set(schemas.clone()).ok());
    Ok(schemas)
}

#[cfg(not(target_arch = "wasm32"))]
fn table() -> Result<String, String> {
    Ok(include_str!("explain.json").to_string())
}

/// Fetches the table's JSON text.
#[cfg(target_arch = "wasm32")]
type Fetch = fn() -> Result<String, String>;

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// How the browser fetches `explain.json` (set by the UI at start-up: only `ui/` may use
    /// web APIs).
    static SOURCE: std::cell::Cell<Option<Fetch>> = const { std::cell::Cell::new(None) };
}

/// Tells `kubectl explain` how to fetch its table in the browser.
#[cfg(target_arch = "wasm32")]
pub fn set_table_source(fetch: Fetch) {
    SOURCE.with(|s| s.set(Some(fetch)));
}

#[cfg(target_arch = "wasm32")]
fn table() -> Result<String, String> {
    let fetch = SOURCE.with(|s| s.get()).ok_or("error: the OpenAPI schema could not be fetched: no source is set")?;
    fetch()
}

/// The schema name of a kind: `io.k8s.api.apps.v1.Deployment`.
fn schema_name(group: &str, version: &str, kind: &str) -> String {
    let group = match group {
        "" => "core",
        g => g.trim_end_matches(".k8s.io"),
    };
    format!("io.k8s.api.{group}.{version}.{kind}")
}

pub fn explain(args: &Args) -> Result<String, String> {
    let [path] = args.positional.as_slice() else {
        return Err(if args.positional.is_empty() {
            "error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".to_string()
        } else {
            "error: We accept only this format: explain RESOURCE".to_string()
        });
    };
    let mut parts = path.split('.');
    let kind = resource(parts.next().unwrap_or(""))?;
    let field_path: Vec<&str> = parts.collect();
    let version = kind.api_version.rsplit('/').next().unwrap_or(kind.api_version);
    let schemas = schemas()?;
    let root = schema_name(kind.group, version, kind.kind);
    let mut out = String::new();
    if !kind.group.is_empty() {
        out.push_str(&format!("GROUP:      {}\n", kind.group));
    }
    out.push_str(&format!("KIND:       {}\nVERSION:    {version}\n\n", kind.kind));
    let missing = || format!("error: field {:?} does not exist", field_path.last().copied().unwrap_or(""));
    // Follow the field path; the description shown is the field's own, then its type's.
    let mut current = root;
    let mut description = schemas.get(&current).map(|s| s.d.clone()).ok_or_else(missing)?;
    for (i, name) in field_path.iter().enumerate() {
        let schema = schemas.get(&current).ok_or_else(missing)?;
        let field = schema.p.iter().find(|f| f.0 == *name).ok_or_else(missing)?;
        if i + 1 == field_path.len() {
            out.push_str(&format!("FIELD: {name} <{}>\n\n\n", field.1));
        }
        description = field.4.clone();
        match &field.2 {
            Some(reference) => {
                if let Some(referenced) = schemas.get(reference) {
                    description = format!("{description}\n{}", referenced.d);
                }
                current = reference.clone();
            }
            None => current = String::new(),
        }
    }
    out.push_str("DESCRIPTION:\n");
    out.push_str(&indent(&wrap(&format!("{description}\n"), 76), 4));
    out.push('\n');
    if let Some(schema) = schemas.get(&current).filter(|s| !s.p.is_empty()) {
        out.push_str("FIELDS:\n");
        let mut history = Vec::new();
        fields(&schemas, schema, 1, args.flag("recursive"), &mut history, &mut out);
    }
    out.push('\n');
    Ok(out)
}

/// The `fieldList` template: each field's line, then its description (or, with
/// `--recursive`, its own fields, one level deeper, stopping at a type already on the path).
fn fields(schemas: &Schemas, schema: &Schema, level: usize, recursive: bool, history: &mut Vec<String>, out: &mut String) {
    let indent_amount = level * 2;
    for (name, type_guess, reference, required, description) in &schema.p {
        out.push_str(&indent(name, indent_amount));
        out.push_str(&format!("\t<{type_guess}>"));
        if *required {
            out.push_str(" -required-");
        }
        out.push('\n');
        if recursive {
            if let Some(reference) = reference.as_ref().filter(|r| !history.contains(r)) {
                if let Some(nested) = schemas.get(reference) {
                    history.push(reference.clone());
                    fields(schemas, nested, level + 1, recursive, history, out);
                    history.pop();
                }
            }
        } else {
            let text = if description.is_empty() { "<no description>" } else { description };
            out.push_str(&indent(&wrap(text, 78usize.saturating_sub(indent_amount)), indent_amount + 2));
            out.push_str("\n\n");
        }
    }
}

/// sprig's `indent`: every line, the first included, gets `spaces` spaces.
fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    format!("{pad}{}", text.replace('\n', &format!("\n{pad}")))
}

/// `wordwrap.WrapString`: breaks lines at spaces so that they are at most `limit` characters;
/// a word longer than the limit stays whole on its own line.
fn wrap(text: &str, limit: usize) -> String {
    let mut out = String::new();
    let (mut current, mut word, mut space) = (0usize, String::new(), String::new());
    for c in text.chars() {
        if c == '\n' {
            out.push_str(&space);
            out.push_str(&word);
            out.push('\n');
            (current, word, space) = (0, String::new(), String::new());
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space.chars().count() + word.chars().count();
                out.push_str(&space);
                out.push_str(&word);
                space.clear();
                word.clear();
            }
            space.push(c);
        } else {
            word.push(c);
            let word_len = word.chars().count();
            if current + space.chars().count() + word_len > limit && word_len < limit {
                out.push('\n');
                current = 0;
                space.clear();
            }
        }
    }
    if word.is_empty() {
        if current + space.chars().count() <= limit {
            out.push_str(&space);
        }
    } else {
        out.push_str(&space);
        out.push_str(&word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_as_go_wordwrap_does() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("averyveryverylongword x", 5), "averyveryverylongword\nx");
        assert_eq!(indent("a\nb", 4), "    a\n    b");
    }

    #[test]
    fn every_kind_has_a_schema() {
        let schemas = schemas().unwrap();
        for kind in crate::api::KINDS {
            let version = kind.api_version.rsplit('/').next().unwrap();
            assert!(schemas.contains_key(&schema_name(kind.group, version, kind.kind)), "{}", kind.kind);
        }
    }
}
