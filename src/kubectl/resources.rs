//! Which objects a mutating command acts on, as kubectl's resource builder reads its arguments:
//! `TYPE NAME…`, `TYPE/NAME…`, `TYPE -l SELECTOR`, `TYPE --all`, or `-f FILE`.
use super::{resource, Args, Input};
use crate::api::labels::Selector;
use crate::api::manifest;
use crate::api::{Key, KindInfo, ObjectRef};
use crate::apiserver::Component;
use crate::Cluster;

/// kubectl's error when a command names nothing to act on.
pub const NO_RESOURCES: &str = "error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

/// One object a command acts on.
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: &'static KindInfo,
    pub key: Key,
}

impl Target {
    fn new(kind: &'static KindInfo, namespace: &str, name: &str) -> Target {
        let ns = if kind.namespaced { namespace } else { "" };
        Target { kind, key: Key::new(kind.kind, ns, name) }
    }
    /// `deployment.apps/web`: how kubectl names an object in what it prints.
    pub fn id(&self) -> String {
        format!("{}/{}", self.kind.qualified_singular(), self.key.name)
    }
    /// `deployments.apps "web"`, as in error messages.
    pub fn quoted(&self) -> String {
        format!("{} {:?}", self.kind.qualified_resource(), self.key.name)
    }
}

/// The objects `words` (the command's positional arguments), the selector, `--all` and `-f` name.
/// `errors` collects lines for documents of `-f` that could not be read; listing by selector or
/// `--all` reads through the API server.
pub fn targets(
    cluster: &mut Cluster,
    args: &Args,
    input: &Input,
    words: &[String],
    errors: &mut Vec<String>,
) -> Result<Vec<Target>, String> {
    let mut out = Vec::new();
    for source in &args.filenames {
        let (text, name) = input.read(source)?;
        for doc in manifest::parse(&text) {
            match doc {
                Ok(d) => out.push(Target::new(d.kind, d.namespace.as_deref().unwrap_or(args.namespace()), &d.name)),
                Err(e) => errors.push(e.render(&name)),
            }
        }
    }
    if !args.filenames.is_empty() {
        return Ok(out);
    }
    let Some(first) = words.first() else { return Err(NO_RESOURCES.to_string()) };
    if first.contains('/') {
        for word in words {
            let Some((kind, name)) = word.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".to_string());
            };
            out.push(Target::new(resource(kind)?, args.namespace(), name));
        }
        return Ok(out);
    }
    let kinds: Vec<&'static KindInfo> = first.split(',').map(resource).collect::<Result<_, _>>()?;
    let names = &words[1..];
    let all = args.flag("all");
    if names.is_empty() {
        if args.selector.is_none() && !all {
            return Err("error: resource(s) were provided, but no name was specified".to_string());
        }
        let selector = match &args.selector {
            Some(s) => Selector::parse(s).map_err(|e| format!("error: {e}"))?,
            None => Selector::default(),
        };
        for kind in kinds {
            let ns = (kind.namespaced && !args.all_namespaces).then(|| args.namespace().to_string());
            let listed = cluster.request(Component::Kubectl, |c| c.list(kind, ns.as_deref()));
            for object in listed.iter().filter(|o| selector.matches(o.metadata().labels.as_ref())) {
                let meta = object.metadata();
                out.push(Target::new(kind, meta.namespace.as_deref().unwrap_or(""), meta.name.as_deref().unwrap_or("")));
            }
        }
        return Ok(out);
    }
    for kind in kinds {
        for name in names {
            out.push(Target::new(kind, args.namespace(), name));
        }
    }
    Ok(out)
}

/// Reads a target through the API server; a missing one is kubectl's NotFound line.
pub fn fetch(cluster: &mut Cluster, target: &Target) -> Result<ObjectRef, String> {
    cluster.request(Component::Kubectl, |c| c.get(&target.key)).map_err(|e| e.render(None))
}

/// [`targets`], each read through the API server; a missing one is reported in `errors` (as
/// kubectl's builder reports it) and skipped.
pub fn fetch_all(
    cluster: &mut Cluster,
    args: &Args,
    input: &Input,
    words: &[String],
    errors: &mut Vec<String>,
) -> Result<Vec<(Target, ObjectRef)>, String> {
    let found = targets(cluster, args, input, words, errors)?;
    let mut out = Vec::new();
    for target in found {
        match fetch(cluster, &target) {
            Ok(live) => out.push((target, live)),
            Err(e) => errors.push(e),
        }
    }
    Ok(out)
}
