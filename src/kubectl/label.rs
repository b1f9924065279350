//! `kubectl label` and `kubectl annotate` (`staging/src/k8s.io/kubectl/pkg/cmd/label/`,
//! `annotate/`): `key=value` sets, `key-` removes, an existing key needs `--overwrite`.
use std::collections::BTreeMap;

use super::resources::fetch_all;
use super::{Args, Input};
use crate::apiserver::Component;
use crate::Cluster;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Labels,
    Annotations,
}

impl Field {
    fn word(self) -> &'static str {
        match self {
            Field::Labels => "label",
            Field::Annotations => "annotation",
        }
    }
}

pub fn label(cluster: &mut Cluster, args: &Args, input: &Input, field: Field) -> Result<String, String> {
    // `GetResourcesAndPairs`: words with `=` or a trailing `-` are updates, the rest resources.
    let (pairs, resources): (Vec<&String>, Vec<&String>) = args.positional.iter().partition(|w| w.contains('=') || w.ends_with('-'));
    let resources: Vec<String> = resources.into_iter().cloned().collect();
    if resources.is_empty() && args.filenames.is_empty() {
        return Err("error: one or more resources must be specified as <resource> <name> or <resource>/<name>".to_string());
    }
    if pairs.is_empty() {
        return Err(format!("error: at least one {} update is required", field.word()));
    }
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    for pair in pairs {
        match pair.split_once('=') {
            Some((k, v)) => {
                set.insert(k.to_string(), v.to_string());
            }
            None => remove.push(pair.trim_end_matches('-').to_string()),
        }
    }
    let overwrite = args.flag("overwrite");
    let mut out = Vec::new();
    // kubectl prints the builder's errors (objects not found) after what it did.
    let mut errors = Vec::new();
    let found = fetch_all(cluster, args, input, &resources, &mut errors)?;
    for (target, live) in found {
        let meta = live.metadata();
        let old = match field {
            Field::Labels => meta.labels.clone(),
            Field::Annotations => meta.annotations.clone(),
        }
        .unwrap_or_default();
        if !overwrite {
            if let Some((key, value)) = set.keys().find_map(|k| old.get(k).map(|v| (k, v))) {
                out.push(format!("error: '{key}' already has a value ({value}), and --overwrite is false"));
                return Err(out.join("\n"));
            }
        }
        let mut new = old.clone();
        for key in &remove {
            if new.remove(key).is_none() && field == Field::Labels {
                out.push(format!("label {key:?} not found."));
            }
        }
        new.extend(set.clone());
        let changed = new != old;
        if changed {
            let value = (!new.is_empty()).then_some(new);
            let result = cluster.request(Component::Kubectl, |c| {
                c.patch(&target.key, "patch", |o| {
                    let meta = o.metadata_mut();
                    match field {
                        Field::Labels => meta.labels = value,
                        Field::Annotations => meta.annotations = value,
                    }
                })
            });
            if let Err(e) = result {
                out.push(e.render(None));
                continue;
            }
        }
        let operation = match (field, changed) {
            (Field::Labels, true) => "labeled",
            (Field::Labels, false) => "not labeled",
            (Field::Annotations, _) => "annotated",
        };
        out.push(format!("{} {operation}", target.id()));
    }
    out.extend(errors);
    Ok(out.join("\n"))
}
