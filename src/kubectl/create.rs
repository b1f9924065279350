//! `kubectl create <kind> …`, `kubectl run` and `kubectl expose`: kubectl builds the object on
//! the client (`staging/src/k8s.io/kubectl/pkg/cmd/create/`, `run/run.go`, `expose/expose.go`,
//! `pkg/generate/versioned/`) and sends it. Each builder writes the object field for field as
//! `--dry-run=client -o yaml` shows it, Go's empty structs (`resources: {}`, `status: {}`)
//! and `creationTimestamp: null` included.
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::apply::{self, create_object, report, DryRun, Mode};
use super::resources::{fetch, targets, NO_RESOURCES};
use super::{Args, Input};
use crate::api::{info, Object};
use crate::apiserver::{Component, Reason};
use crate::Cluster;

/// `kubectl create -f SOURCE` or `kubectl create KIND NAME [flags]`.
pub fn create(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let Some((kind, rest)) = args.positional.split_first() else {
        return apply::apply(cluster, args, input, Mode::Create);
    };
    // Each subcommand wraps the server's error in its own words (or not, for namespaces).
    let (object, context) = match kind.as_str() {
        "namespace" | "ns" => (namespace(name_of(rest, "namespace")?), String::new()),
        "deployment" | "deploy" => (deployment(cluster, name_of(rest, "deployment")?, args)?, "failed to create deployment: ".to_string()),
        "service" | "svc" => {
            let service = service(rest, args)?;
            let context = format!("failed to create {} service: ", service["spec"]["type"].as_str().unwrap_or(""));
            (service, context)
        }
        "ingress" | "ing" => (ingress(name_of(rest, "ingress")?, args)?, "failed to create ingress: ".to_string()),
        "job" => (job(cluster, name_of(rest, "job")?, args)?, "failed to create job: ".to_string()),
        "configmap" | "cm" => (configmap(name_of(rest, "configmap")?, args, input)?, "failed to create configmap: ".to_string()),
        "secret" => (secret(rest, args)?, "failed to create secret ".to_string()),
        "priorityclass" | "pc" => (priority_class(name_of(rest, "priorityclass")?, args)?, "failed to create priorityclass: ".to_string()),
        "quota" | "resourcequota" => (quota(name_of(rest, "quota")?, args)?, "failed to create quota: ".to_string()),
        other => return Err(format!("error: Unexpected args: [{other}]\nSee 'kubectl create -h' for help and examples")),
    };
    send(cluster, object, args, "created", &context)
}

/// The one NAME a `create` subcommand takes, with kubectl's usage error otherwise.
fn name_of<'a>(rest: &'a [String], command: &str) -> Result<&'a str, String> {
    match rest {
        [name] => Ok(name),
        _ => {
            Err(format!("error: exactly one NAME is required, got {}\nSee 'kubectl create {command} -h' for help and examples", rest.len()))
        }
    }
}

/// Sends (or with `--dry-run=client` only prints) an object kubectl built. A non-empty
/// `context` wraps a server error as `error: <context><message>`, as most `create` subcommands do.
fn send(cluster: &mut Cluster, object: Value, args: &Args, operation: &str, context: &str) -> Result<String, String> {
    let dry_run = DryRun::of(args)?;
    apply::output_format(args)?;
    let kind = object["kind"].as_str().and_then(crate::api::kind_info).unwrap_or(info("Pod"));
    let mut object = object;
    if kind.namespaced {
        object["metadata"]["namespace"] = json!(args.namespace());
    }
    if dry_run == DryRun::Client {
        // kubectl prints what it built, without the namespace it would send it to.
        if let Some(meta) = object["metadata"].as_object_mut() {
            meta.remove("namespace");
        }
        return Ok(report(kind, &object, operation, args));
    }
    let decoded = match Object::decode(kind.kind, &object) {
        Some(Ok(o)) => o,
        Some(Err(e)) => return Err(format!("error: {}", e.inner())),
        None => return Err(format!("error: no kind {:?} is registered", kind.kind)),
    };
    let created = create_object(cluster, decoded, dry_run).map_err(|e| match context {
        "" => e.render(None),
        _ if e.reason == Reason::Invalid => e.render(None),
        _ => format!("error: {context}{}", e.message),
    })?;
    Ok(report(kind, &created, operation, args))
}

fn meta(name: &str) -> Value {
    json!({"creationTimestamp": null, "name": name})
}

/// `app: NAME`, and metadata with it as labels: how `create deployment` and `create service`
/// label and select.
fn app_labels(name: &str) -> (Value, Value) {
    let labels = json!({"app": name});
    let mut metadata = meta(name);
    metadata["labels"] = labels.clone();
    (labels, metadata)
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name), "spec": {}, "status": {}})
}

/// `kubectl create deployment NAME --image=IMAGE… [--replicas=N] [--port=P]`.
fn deployment(cluster: &mut Cluster, name: &str, args: &Args) -> Result<Value, String> {
    let images: Vec<&str> = args.values("image").collect();
    if images.is_empty() {
        return Err("error: required flag(s) \"image\" not set".to_string());
    }
    let replicas = args.int("replicas")?.unwrap_or(1);
    let port = args.int("port")?.unwrap_or(-1);
    let mut containers: Vec<Value> = Vec::new();
    for image in &images {
        let mut container = json!({"image": image, "name": container_name(cluster, image), "resources": {}});
        if port >= 0 {
            container["ports"] = json!([{"containerPort": port}]);
        }
        containers.push(container);
    }
    let (labels, metadata) = app_labels(name);
    Ok(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {},
            "template": {"metadata": {"creationTimestamp": null, "labels": labels}, "spec": {"containers": containers}},
        },
        "status": {},
    }))
}

/// The container name `create deployment` derives from an image: the last path segment without
/// tag or digest; a name with `_` or `.` gets them replaced and a random suffix.
fn container_name(cluster: &mut Cluster, image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split([':', '@']).next().unwrap_or(last);
    if base.contains(['_', '.']) {
        let suffix = cluster.request(Component::Kubectl, |c| c.rng().name_suffix(5));
        format!("{}-{suffix}", base.replace(['_', '.'], "-"))
    } else {
        base.to_string()
    }
}

/// `kubectl create service clusterip|nodeport|loadbalancer NAME --tcp=PORT[:TARGET]…` and
/// `kubectl create service externalname NAME --external-name NAME [--tcp=…]`
/// (`create_service.go`: ports are optional only for ExternalName and `--clusterip=None`).
fn service(rest: &[String], args: &Args) -> Result<Value, String> {
    let Some((kind, rest)) = rest.split_first() else { return Err(SERVICE_HELP.to_string()) };
    let type_ = match kind.as_str() {
        "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "loadbalancer" => "LoadBalancer",
        "externalname" => "ExternalName",
        _ => {
            let words: Vec<&str> = std::iter::once(kind.as_str()).chain(rest.iter().map(String::as_str)).collect();
            return Err(format!("error: unknown command {:?}\nSee 'kubectl create service -h' for help and examples", words.join(" ")));
        }
    };
    // Each subcommand has its own flags (`create_service.go`).
    for (flag, owner) in [("node-port", "NodePort"), ("clusterip", "ClusterIP"), ("external-name", "ExternalName")] {
        if type_ != owner && args.value(flag).is_some() {
            return Err(format!("Error: unknown flag: --{flag}\nSee 'kubectl create service {kind} --help' for usage."));
        }
    }
    let external_name = args.value("external-name").unwrap_or("");
    if type_ == "ExternalName" && external_name.is_empty() {
        return Err("error: required flag(s) \"external-name\" not set".to_string());
    }
    let name = name_of(rest, &format!("service {kind}"))?;
    let cluster_ip = args.value("clusterip");
    let tcp: Vec<&str> = args.values("tcp").flat_map(|v| v.split(',')).filter(|v| !v.is_empty()).collect();
    if tcp.is_empty() && type_ != "ExternalName" && cluster_ip != Some("None") {
        return Err("error: at least one tcp port specifier must be provided".to_string());
    }
    if type_ == "ExternalName" && !crate::api::validation::dns1123_subdomain(external_name).is_empty() {
        return Err(format!("error: invalid service external name {external_name}"));
    }
    let node_port = args.int("node-port")?.unwrap_or(0);
    let mut ports = Vec::new();
    for spec in tcp {
        let (port, target) = spec.split_once(':').unwrap_or((spec, spec));
        let port: u16 = port.parse().map_err(|_| format!("error: strconv.ParseUint: parsing {port:?}: invalid syntax"))?;
        let mut entry = json!({"name": spec.replace(':', "-"), "port": port, "protocol": "TCP", "targetPort": int_or_string(target)});
        if node_port > 0 {
            entry["nodePort"] = json!(node_port);
        }
        ports.push(entry);
    }
    let (labels, metadata) = app_labels(name);
    let mut spec = json!({"selector": labels, "type": type_});
    if !ports.is_empty() {
        spec["ports"] = json!(ports);
    }
    if let Some(ip) = cluster_ip {
        spec["clusterIP"] = json!(ip);
    }
    if type_ == "ExternalName" {
        spec["externalName"] = json!(external_name);
    }
    Ok(json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec, "status": {"loadBalancer": {}}}))
}

/// `kubectl create ingress NAME --rule=host/path=svc:port[,tls[=secret]]… [--class]
/// [--default-backend=svc:port] [--annotation=k=v]…` (`create_ingress.go`): a path ending in
/// `*` is a Prefix path, any other an Exact one; rules of one host share an IngressRule.
fn ingress(name: &str, args: &Args) -> Result<Value, String> {
    let rules: Vec<&str> = args.values("rule").collect();
    let default_backend = args.value("default-backend");
    if rules.is_empty() && default_backend.is_none() {
        return Err("error: not enough information provided: every ingress has to either specify a default-backend (which catches all traffic) or a list of rules (which catch specific paths)".to_string());
    }
    let mut metadata = meta(name);
    let mut annotations = Map::new();
    for annotation in args.values("annotation") {
        let (key, value) = annotation
            .split_once('=')
            .ok_or_else(|| format!("error: annotation {annotation} is invalid and should be in format key=[value]"))?;
        annotations.insert(key.to_string(), json!(value));
    }
    if !annotations.is_empty() {
        metadata["annotations"] = Value::Object(annotations);
    }
    let mut spec = Map::new();
    if let Some(class) = args.value("class") {
        spec.insert("ingressClassName".into(), json!(class));
    }
    if let Some(backend) = default_backend {
        let parsed = backend_of(backend).ok_or("error: default-backend should be in format servicename:serviceport")?;
        spec.insert("defaultBackend".into(), parsed);
    }
    let mut by_host: Vec<(String, Vec<Value>)> = Vec::new();
    let mut tls: Vec<(String, Option<String>)> = Vec::new();
    for rule in rules {
        let invalid = || format!("error: rule {rule} is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]");
        let slash = rule.find('/').ok_or_else(invalid)?;
        let (host, rest) = rule.split_at(slash);
        let (path, target) = rest.split_once('=').ok_or_else(invalid)?;
        let (service, secret) = match target.split_once(",tls") {
            Some((service, "")) => (service, Some(None)),
            Some((service, secret)) => {
                (service, Some(Some(secret.strip_prefix('=').filter(|s| is_word(s)).ok_or_else(invalid)?.to_string())))
            }
            None => (target, None),
        };
        let backend = backend_of(service).ok_or_else(invalid)?;
        if !host.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.')) {
            return Err(invalid());
        }
        let (path, path_type) = match path.strip_suffix('*') {
            Some(prefix) => (prefix, "Prefix"),
            None => (path, "Exact"),
        };
        let entry = json!({"backend": backend, "path": path, "pathType": path_type});
        match by_host.iter_mut().find(|(h, _)| h == host) {
            Some((_, paths)) => paths.push(entry),
            None => by_host.push((host.to_string(), vec![entry])),
        }
        if let Some(secret) = secret {
            if !tls.iter().any(|(h, _)| h == host) {
                tls.push((host.to_string(), secret));
            }
        }
    }
    if !by_host.is_empty() {
        let rules: Vec<Value> = by_host
            .into_iter()
            .map(|(host, paths)| {
                let mut rule = json!({"http": {"paths": paths}});
                if !host.is_empty() {
                    rule["host"] = json!(host);
                }
                rule
            })
            .collect();
        spec.insert("rules".into(), json!(rules));
    }
    if !tls.is_empty() {
        let entries: Vec<Value> = tls
            .into_iter()
            .map(|(host, secret)| {
                let mut entry = Map::new();
                if !host.is_empty() {
                    entry.insert("hosts".into(), json!([host]));
                }
                if let Some(secret) = secret {
                    entry.insert("secretName".into(), json!(secret));
                }
                Value::Object(entry)
            })
            .collect();
        spec.insert("tls".into(), json!(entries));
    }
    Ok(json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata,
        "spec": spec, "status": {"loadBalancer": {}},
    }))
}

/// `svcname:svcport` as an IngressBackend: a numeric port is a number, any other a name.
fn backend_of(text: &str) -> Option<Value> {
    let (service, port) = text.split_once(':')?;
    let service_ok = service.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && service.len() <= 63
        && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'));
    if !service_ok || !is_word(port) {
        return None;
    }
    let port = match port.parse::<i32>() {
        Ok(number) => json!({"number": number}),
        Err(_) => json!({"name": port}),
    };
    Some(json!({"service": {"name": service, "port": port}}))
}

/// Go's `[\w\-]+`.
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// What `kubectl create service` without a subcommand prints.
const SERVICE_HELP: &str = "Create a service using a specified subcommand.

Aliases:
service, svc

Available Commands:
  clusterip      Create a ClusterIP service
  externalname   Create an ExternalName service
  loadbalancer   Create a LoadBalancer service
  nodeport       Create a NodePort service

Usage:
  kubectl create service [flags] [options]

Use \"kubectl create service <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).";

/// `intstr.Parse`: a number if the text is one, else the text (a named port).
fn int_or_string(text: &str) -> Value {
    text.parse::<i32>().map_or_else(|_| json!(text), |n| json!(n))
}

/// `kubectl create job NAME --image=IMAGE [-- COMMAND…]` or `--from=cronjob/NAME`.
fn job(cluster: &mut Cluster, name: &str, args: &Args) -> Result<Value, String> {
    if let Some(from) = args.value("from") {
        let target = targets(cluster, args, &Input { stdin: None, files: &|_| None }, &[from.to_string()], &mut Vec::new())?;
        let Some(target) = target.first() else { return Err(NO_RESOURCES.to_string()) };
        let source = target.key.name.as_str();
        let cronjob = fetch(cluster, target)?.to_json();
        if target.kind.kind != "CronJob" {
            // create_job.go names the Go type it got, e.g. *v1.Deployment.
            let version = target.kind.api_version.rsplit('/').next().unwrap_or("v1");
            return Err(format!("error: unknown object type *{version}.{}", target.kind.kind));
        }
        let template = &cronjob["spec"]["jobTemplate"];
        let mut annotations = template["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
        annotations.insert("cronjob.kubernetes.io/instantiate".to_string(), json!("manual"));
        let mut metadata = meta(name);
        metadata["annotations"] = Value::Object(annotations);
        if let Some(labels) = template["metadata"]["labels"].as_object() {
            metadata["labels"] = Value::Object(labels.clone());
        }
        metadata["ownerReferences"] = json!([{
            "apiVersion": "batch/v1", "blockOwnerDeletion": true, "controller": true, "kind": "CronJob",
            "name": source, "uid": cronjob["metadata"]["uid"],
        }]);
        return Ok(json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": template["spec"], "status": {}}));
    }
    let Some(image) = args.value("image") else { return Err("error: either --image or --from must be specified".to_string()) };
    let mut container = json!({"image": image, "name": name, "resources": {}});
    if !args.command.is_empty() {
        container["command"] = json!(args.command);
    }
    Ok(json!({
        "apiVersion": "batch/v1", "kind": "Job", "metadata": meta(name),
        "spec": {"template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": [container], "restartPolicy": "Never"}}},
        "status": {},
    }))
}

/// `--from-literal=KEY=VALUE`, in order, with kubectl's error for a literal without `=`.
fn literals(args: &Args) -> Result<Vec<(String, String)>, String> {
    args.values("from-literal")
        .map(|l| match l.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("error: invalid literal source {l}, expected key=value")),
        })
        .collect()
}

/// A key that is already in the map is kubectl's error.
fn insert_unique(data: &mut Map<String, Value>, key: String, value: String) -> Result<(), String> {
    if data.contains_key(&key) {
        return Err(format!("error: cannot add key {key}, another key by that name already exists in Data for ConfigMap \"\""));
    }
    data.insert(key, json!(value));
    Ok(())
}

/// `kubectl create configmap NAME --from-literal=K=V… --from-file=[KEY=]PATH…` (files are
/// read from the script's folder).
fn configmap(name: &str, args: &Args, input: &Input) -> Result<Value, String> {
    let mut data = Map::new();
    for (k, v) in literals(args)? {
        insert_unique(&mut data, k, v)?;
    }
    for spec in args.values("from-file") {
        let (key, path) = spec.split_once('=').unwrap_or((spec.rsplit('/').next().unwrap_or(spec), spec));
        let (text, _) = input.read(path)?;
        insert_unique(&mut data, key.to_string(), text)?;
    }
    let mut object = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name)});
    if !data.is_empty() {
        object["data"] = Value::Object(data);
    }
    Ok(object)
}

/// `kubectl create secret generic NAME --from-literal=K=V… [--type=TYPE]`.
fn secret(rest: &[String], args: &Args) -> Result<Value, String> {
    match rest.split_first() {
        Some((kind, _)) if kind != "generic" => {
            return Err(format!("error: Unexpected args: [{kind}]\nSee 'kubectl create secret -h' for help and examples"))
        }
        None => return Err("error: Unexpected args: []\nSee 'kubectl create secret -h' for help and examples".to_string()),
        _ => {}
    }
    let name = name_of(&rest[1..], "secret generic")?;
    let mut data = Map::new();
    for (k, v) in literals(args)? {
        insert_unique(&mut data, k, base64(v.as_bytes()))?;
    }
    let mut object = json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta(name)});
    if !data.is_empty() {
        object["data"] = Value::Object(data);
    }
    if let Some(type_) = args.value("type") {
        object["type"] = json!(type_);
    }
    Ok(object)
}

/// Standard base64 with padding, as a Secret's `data` holds its values.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `kubectl create priorityclass NAME --value=N [--description] [--global-default]
/// [--preemption-policy]`.
fn priority_class(name: &str, args: &Args) -> Result<Value, String> {
    let value = args.int("value")?.unwrap_or(0);
    let mut object = json!({
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": meta(name),
        "preemptionPolicy": args.value("preemption-policy").unwrap_or("PreemptLowerPriority"), "value": value,
    });
    if let Some(description) = args.value("description") {
        object["description"] = json!(description);
    }
    if args.flag("global-default") {
        object["globalDefault"] = json!(true);
    }
    Ok(object)
}

/// `kubectl create quota NAME --hard=RESOURCE=QUANTITY,…`.
fn quota(name: &str, args: &Args) -> Result<Value, String> {
    let mut hard = BTreeMap::new();
    for pair in args.values("hard").flat_map(|v| v.split(',')).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else { return Err(format!("error: invalid argument {pair}")) };
        hard.insert(k.to_string(), v.to_string());
    }
    Ok(json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": meta(name), "spec": {"hard": hard}, "status": {}}))
}

/// `kubectl run NAME --image=IMAGE [--restart] [--labels] [--env]… [--port] [--command] [-- ARGS…]`.
pub fn run(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let Some(name) = args.positional.first() else {
        return Err("error: NAME is required for run\nSee 'kubectl run -h' for help and examples".to_string());
    };
    let Some(image) = args.value("image") else { return Err("error: required flag(s) \"image\" not set".to_string()) };
    let restart = args.value("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(format!("error: invalid restart policy: {restart}"));
    }
    let mut labels = Map::new();
    match args.value("labels") {
        Some(text) => {
            for pair in text.split(',') {
                let Some((k, v)) = pair.split_once('=') else { return Err(format!("error: invalid label spec: {pair}")) };
                labels.insert(k.to_string(), json!(v));
            }
        }
        None => {
            labels.insert("run".to_string(), json!(name));
        }
    }
    let mut container = json!({"image": image, "name": name, "resources": {}});
    if !args.command.is_empty() {
        let field = if args.flag("command") { "command" } else { "args" };
        container[field] = json!(args.command);
    }
    let env: Vec<Value> = args
        .values("env")
        .map(|e| {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            json!({"name": k, "value": v})
        })
        .collect();
    if !env.is_empty() {
        container["env"] = json!(env);
    }
    if let Some(port) = args.int("port")?.filter(|p| *p >= 0) {
        container["ports"] = json!([{"containerPort": port}]);
    }
    if let Some(policy) = args.value("image-pull-policy") {
        container["imagePullPolicy"] = json!(policy);
    }
    let mut metadata = meta(name);
    metadata["labels"] = Value::Object(labels);
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": metadata,
        "spec": {"containers": [container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart},
        "status": {},
    });
    send(cluster, pod, args, "created", "")
}

/// `kubectl expose TYPE NAME [--port] [--target-port] [--protocol] [--type] [--name]`: a
/// Service selecting what the object selects, on the ports its containers declare.
pub fn expose(cluster: &mut Cluster, args: &Args, input: &Input) -> Result<String, String> {
    let mut errors = Vec::new();
    let found = targets(cluster, args, input, &args.positional, &mut errors)?;
    let mut out = errors;
    for target in found {
        let object = fetch(cluster, &target)?.to_json();
        let (selector, pod_spec) = match target.kind.kind {
            "Pod" => (object["metadata"]["labels"].clone(), &object["spec"]),
            "Service" => (object["spec"]["selector"].clone(), &Value::Null),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
                (object["spec"]["selector"]["matchLabels"].clone(), &object["spec"]["template"]["spec"])
            }
            other => return Err(format!("error: cannot expose a {other}")),
        };
        if selector.as_object().is_none_or(Map::is_empty) {
            return Err(format!(
                "error: couldn't retrieve selectors via --selector flag or introspection: the {} has no selector, therefore cannot be exposed",
                target.kind.singular
            ));
        }
        let ports = expose_ports(args, &object, pod_spec)?;
        let name = args.value("name").unwrap_or(&target.key.name);
        let mut metadata = meta(name);
        if let Some(labels) = object["metadata"]["labels"].as_object() {
            metadata["labels"] = Value::Object(labels.clone());
        }
        let mut spec = json!({"ports": ports, "selector": selector});
        if let Some(type_) = args.value("type") {
            spec["type"] = json!(type_);
        }
        let service = json!({"apiVersion": "v1", "kind": "Service", "metadata": metadata, "spec": spec, "status": {"loadBalancer": {}}});
        out.push(send(cluster, service, args, "exposed", "")?);
    }
    Ok(out.join("\n"))
}

/// The Service ports of `expose`: `--port`, else every port the object declares (named
/// `port-1`, `port-2`, … when there are several).
fn expose_ports(args: &Args, object: &Value, pod_spec: &Value) -> Result<Vec<Value>, String> {
    let protocol = args.value("protocol");
    let target = args.value("target-port").map(int_or_string);
    let declared: Vec<(i64, String)> = match args.int("port")? {
        Some(port) => vec![(i64::from(port), protocol.unwrap_or("TCP").to_string())],
        None if pod_spec.is_null() => object["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["port"].as_i64()?, p["protocol"].as_str().unwrap_or("TCP").to_string())))
            .collect(),
        None => pod_spec["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["ports"].as_array().into_iter().flatten())
            .filter_map(|p| Some((p["containerPort"].as_i64()?, p["protocol"].as_str().unwrap_or("TCP").to_string())))
            .collect(),
    };
    if declared.is_empty() {
        return Err("error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples".to_string());
    }
    let several = declared.len() > 1;
    Ok(declared
        .iter()
        .enumerate()
        .map(|(i, (port, proto))| {
            let mut entry =
                json!({"port": port, "protocol": protocol.unwrap_or(proto), "targetPort": target.clone().unwrap_or(json!(port))});
            if several {
                entry["name"] = json!(format!("port-{}", i + 1));
            }
            entry
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_as_secrets_hold_it() {
        assert_eq!(base64(b"1"), "MQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"s3cr3t!"), "czNjcjN0IQ==");
    }

    #[test]
    fn tcp_specs_name_ports_as_kubectl_does() {
        let args = crate::kubectl::parse_args(&["--tcp=80:8080,443".to_string()]).unwrap();
        let svc = service(&["clusterip".to_string(), "web".to_string()], &args).unwrap();
        assert_eq!(svc["spec"]["ports"][0]["name"], "80-8080");
        assert_eq!(svc["spec"]["ports"][1], json!({"name": "443", "port": 443, "protocol": "TCP", "targetPort": 443}));
    }
}
