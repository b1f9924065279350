//! `kubectl diff -f SOURCE`: the live object against what `kubectl apply` would make of it,
//! printed as kubectl's external `diff -u -N LIVE MERGED` prints it
//! (`staging/src/k8s.io/kubectl/pkg/cmd/diff/diff.go`).
use super::apply::{merged_with_live, prepare, with_last_applied};
use super::yaml::to_yaml;
use super::{Args, Input};
use crate::api::manifest;
use crate::api::{Key, Object};
use crate::apiserver::timestamp;
use crate::Cluster;

/// kubectl makes two temporary folders (`os.MkdirTemp("", "LIVE-")`); their random suffixes are
/// fixed here so that a transcript stays the same.
const LIVE_DIR: &str = "/tmp/LIVE-2413728851";
const MERGED_DIR: &str = "/tmp/MERGED-1092385037";

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

pub fn diff(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    if args.filenames.is_empty() {
        return Err("error: must specify one of -f and -k".to_string());
    }
    // (file name, live YAML, merged YAML), compared in file-name order as diff compares folders.
    let mut files: Vec<(String, String, String)> = Vec::new();
    for source in &args.filenames {
        let (text, name) = input.read(source)?;
        for doc in manifest::parse(&text) {
            let doc = match doc {
                Ok(doc) => doc,
                Err(e) => return Err(e.render(&name)),
            };
            let mut doc = prepare(args, doc, "patching", &name)?;
            doc.value = with_last_applied(doc.value);
            let kind = doc.kind;
            let namespace = doc.namespace.clone().unwrap_or_default();
            let live = cluster.api().peek(&Key::new(kind.kind, &namespace, &doc.name));
            let (live_yaml, merged) = match &live {
                Some(live) => {
                    let live_json = live.to_json();
                    let mut merged = merged_with_live(live, &doc.value);
                    // The API server's dry run counts a change of the spec in the generation.
                    if let Some(generation) = live_json["metadata"]["generation"].as_i64().filter(|_| merged["spec"] != live_json["spec"]) {
                        merged["metadata"]["generation"] = generation.saturating_add(1).into();
                    }
                    (to_yaml(&live_json), merged)
                }
                None => (String::new(), doc.value.clone()),
            };
            // The merged object is what the API server would store: decoded into its type.
            let merged = match Object::decode(kind.kind, &merged) {
                Some(Ok(object)) => object.to_json(),
                _ => merged,
            };
            let group = if kind.group.is_empty() { String::new() } else { format!("{}.", kind.group) };
            let version = kind.api_version.rsplit('/').next().unwrap_or(kind.api_version);
            let file = format!("{group}{version}.{}.{namespace}.{}", kind.kind, doc.name);
            files.push((file, live_yaml, to_yaml(&merged)));
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let stamp = timestamp(cluster.now_ms()).0.strftime("%Y-%m-%d %H:%M:%S.000000000 +0000").to_string();
    let mut out = String::new();
    for (file, live, merged) in files {
        let hunks = unified(&lines(&live), &lines(&merged));
        if hunks.is_empty() {
            continue;
        }
        out.push_str(&format!("diff -u -N {LIVE_DIR}/{file} {MERGED_DIR}/{file}\n"));
        out.push_str(&format!("--- {LIVE_DIR}/{file}\t{stamp}\n+++ {MERGED_DIR}/{file}\t{stamp}\n"));
        out.push_str(&hunks);
    }
    Ok(out)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// One line of an edit script.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    Same,
    Delete,
    Insert,
}

/// The shortest edit script from `a` to `b` (longest common subsequence), as `(edit, a index,
/// b index)` steps. Manifests are short; an absurdly long pair is shown as replaced whole.
fn script(a: &[&str], b: &[&str]) -> Vec<(Edit, usize, usize)> {
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 4_000_000 {
        let mut steps: Vec<(Edit, usize, usize)> = (0..n).map(|i| (Edit::Delete, i, 0)).collect();
        steps.extend((0..m).map(|j| (Edit::Insert, n, j)));
        return steps;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            steps.push((Edit::Same, i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Deletions first, as diff prints a changed line.
            steps.push((Edit::Delete, i, j));
            i += 1;
        } else {
            steps.push((Edit::Insert, i, j));
            j += 1;
        }
    }
    steps
}

/// The hunks of `diff -u` (empty when the texts are the same).
fn unified(a: &[&str], b: &[&str]) -> String {
    let steps = script(a, b);
    let changed: Vec<usize> = steps.iter().enumerate().filter(|(_, s)| s.0 != Edit::Same).map(|(k, _)| k).collect();
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        // A hunk runs from CONTEXT steps before a change to CONTEXT steps after the last change
        // whose context touches the one before it.
        let start = changed[k].saturating_sub(CONTEXT);
        let mut last = changed[k];
        while k + 1 < changed.len() && changed[k + 1] - last <= 2 * CONTEXT + 1 {
            k += 1;
            last = changed[k];
        }
        k += 1;
        let end = (last + CONTEXT + 1).min(steps.len());
        let hunk = &steps[start..end];
        let old_len = hunk.iter().filter(|s| s.0 != Edit::Insert).count();
        let new_len = hunk.iter().filter(|s| s.0 != Edit::Delete).count();
        let (_, a0, b0) = hunk[0];
        out.push_str(&format!("@@ -{} +{} @@\n", range(a0, old_len), range(b0, new_len)));
        for &(edit, i, j) in hunk {
            match edit {
                Edit::Same => out.push_str(&format!(" {}\n", a[i])),
                Edit::Delete => out.push_str(&format!("-{}\n", a[i])),
                Edit::Insert => out.push_str(&format!("+{}\n", b[j])),
            }
        }
    }
    out
}

/// A hunk range as GNU diff writes it: `start,count`, `start` alone for one line, and the line
/// before for an empty range.
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{count}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_as_gnu_diff_prints_it() {
        let a = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let b = ["a", "b", "c", "d", "E", "f", "g", "h"];
        assert_eq!(unified(&a, &b), "@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n");
        assert_eq!(unified(&[], &["x", "y"]), "@@ -0,0 +1,2 @@\n+x\n+y\n");
        assert_eq!(unified(&a, &a), "");
    }
}
