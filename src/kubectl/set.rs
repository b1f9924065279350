//! `kubectl set image` and `kubectl set resources`
//! (`staging/src/k8s.io/kubectl/pkg/cmd/set/`): edits of the pod template of a workload, or of a
//! pod's own spec.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::resources::{targets, NO_RESOURCES};
use super::{Args, Input};
use crate::api::quantity;
use crate::api::Object;
use crate::apiserver::Component;
use crate::Cluster;

/// The pod template of a workload.
pub fn template_mut(object: &mut Object) -> Option<&mut PodTemplateSpec> {
    match object {
        Object::Deployment(d) => Some(&mut d.spec.as_mut()?.template),
        Object::ReplicaSet(r) => r.spec.as_mut()?.template.as_mut(),
        Object::DaemonSet(d) => Some(&mut d.spec.as_mut()?.template),
        Object::StatefulSet(s) => Some(&mut s.spec.as_mut()?.template),
        Object::Job(j) => Some(&mut j.spec.as_mut()?.template),
        Object::CronJob(c) => Some(&mut c.spec.as_mut()?.job_template.spec.as_mut()?.template),
        _ => None,
    }
}

fn pod_spec_mut(object: &mut Object) -> Option<&mut PodSpec> {
    match object {
        Object::Pod(p) => p.spec.as_mut(),
        other => template_mut(other)?.spec.as_mut(),
    }
}

pub fn set(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    match args.positional.split_first() {
        Some((sub, rest)) if sub == "image" => image(cluster, args, input, rest),
        Some((sub, rest)) if sub == "resources" => resources(cluster, args, input, rest),
        Some((other, _)) => Err(format!("error: unknown command {other:?} for \"kubectl set\"")),
        None => Err("error: Unexpected args: []\nSee 'kubectl set -h' for help and examples".to_string()),
    }
}

/// An edit of a pod spec's containers and init containers, returning kubectl's errors.
type ContainerEdit<'a> = &'a dyn Fn(&mut Vec<Container>, &mut Vec<Container>) -> Vec<String>;

/// Applies `change` to the containers (and init containers) of every target and prints
/// `<id> <operation>` for each one that changed; `change` returns kubectl's errors for the
/// containers it could not find.
fn edit_containers(
    cluster: &mut Cluster,
    args: &Args,
    input: &Input,
    words: &[String],
    operation: &str,
    change: ContainerEdit,
) -> Result<String, String> {
    let mut out = Vec::new();
    let found = targets(cluster, args, input, words, &mut out)?;
    let mut missing = Vec::new();
    for target in found {
        let before = cluster.api().peek(&target.key).and_then(|o| o.metadata().resource_version.clone());
        let result = cluster.request(Component::Kubectl, |c| {
            c.patch(&target.key, "patch", |o| {
                if let Some(spec) = pod_spec_mut(o) {
                    let mut init = spec.init_containers.take().unwrap_or_default();
                    missing = change(&mut spec.containers, &mut init);
                    spec.init_containers = (!init.is_empty()).then_some(init);
                }
            })
        });
        match result {
            Ok(updated) if updated.metadata().resource_version != before => out.push(format!("{} {operation}", target.id())),
            // kubectl sends no patch when nothing changed, and prints nothing for it.
            Ok(_) => {}
            Err(e) => out.push(e.render(None)),
        }
        out.append(&mut missing);
    }
    Ok(out.join("\n"))
}

/// `kubectl set image TYPE/NAME CONTAINER=IMAGE… ` (`*` for every container).
fn image(cluster: &mut Cluster, args: &Args, input: &Input, words: &[String]) -> Result<String, String> {
    let (pairs, resources): (Vec<&String>, Vec<&String>) = words.iter().partition(|w| w.contains('='));
    let resources: Vec<String> = resources.into_iter().cloned().collect();
    if resources.is_empty() && args.filenames.is_empty() {
        return Err(NO_RESOURCES.to_string());
    }
    if pairs.is_empty() {
        return Err("error: at least one image update is required".to_string());
    }
    let images: Vec<(String, String)> =
        pairs.iter().filter_map(|p| p.split_once('=')).map(|(c, i)| (c.to_string(), i.to_string())).collect();
    edit_containers(cluster, args, input, &resources, "image updated", &|containers, init| {
        let mut missing = Vec::new();
        for (name, image) in &images {
            let mut found = false;
            for c in containers.iter_mut().chain(init.iter_mut()).filter(|c| name == "*" || &c.name == name) {
                c.image = Some(image.clone());
                found = true;
            }
            if !found {
                missing.push(format!("error: unable to find container named {name:?}"));
            }
        }
        missing
    })
}

/// `--limits`/`--requests` as `cpu=200m,memory=512Mi`.
fn resource_list(args: &Args, flag: &str) -> Result<BTreeMap<String, Quantity>, String> {
    let mut list = BTreeMap::new();
    for pair in args.values(flag).flat_map(|v| v.split(',')).filter(|p| !p.is_empty()) {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!("error: invalid argument syntax {pair}, expected <resource>=<value>"));
        };
        if quantity::parse_milli(value).is_err() {
            return Err("error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".to_string());
        }
        list.insert(name.to_string(), Quantity(value.to_string()));
    }
    Ok(list)
}

/// `kubectl set resources TYPE/NAME [-c CONTAINER] --limits=… --requests=…`.
fn resources(cluster: &mut Cluster, args: &Args, input: &Input, words: &[String]) -> Result<String, String> {
    let limits = resource_list(args, "limits")?;
    let requests = resource_list(args, "requests")?;
    if limits.is_empty() && requests.is_empty() {
        return Err("error: you must specify an update to requests or limits (in the form of --requests/--limits)".to_string());
    }
    // `-c` is `--containers` here but `--container` for logs; the flag table maps it to the latter.
    let container = args.value("containers").or(args.value("container")).unwrap_or("*").to_string();
    edit_containers(cluster, args, input, words, "resource requirements updated", &|containers, _| {
        let mut found = false;
        for c in containers.iter_mut().filter(|c| container == "*" || c.name == container) {
            let r = c.resources.get_or_insert_with(ResourceRequirements::default);
            if !limits.is_empty() {
                r.limits.get_or_insert_with(BTreeMap::new).extend(limits.clone());
            }
            if !requests.is_empty() {
                r.requests.get_or_insert_with(BTreeMap::new).extend(requests.clone());
            }
            found = true;
        }
        if found {
            Vec::new()
        } else {
            vec![format!("error: unable to find container named {container}")]
        }
    })
}
