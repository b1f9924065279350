//! Admission plugins, in the API server's order: the mutating ones (LimitRanger defaults,
//! Priority, DefaultTolerationSeconds, DefaultIngressClass) run before validation, the
//! validating ones (NamespaceLifecycle, LimitRanger limits, ResourceQuota) after it.
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, LimitRangeItem, Pod, Toleration};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::{ApiError, ApiServer};
use crate::api::quantity::parse_milli;
use crate::api::{info, Key, Object, ObjectRef};

type Resources = BTreeMap<String, Quantity>;

/// Every mutating plugin, for a create.
pub fn mutate(api: &ApiServer, object: &mut Object) -> Result<(), ApiError> {
    if let Object::Ingress(ingress) = object {
        default_ingress_class(api, ingress);
    }
    let Object::Pod(pod) = object else { return Ok(()) };
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    limit_ranger_defaults(pod, &limit_range_items(api, &namespace));
    priority(api, pod)?;
    default_toleration_seconds(pod);
    // MutatingAdmissionWebhook: the VPA admission controller, after the built-in plugins.
    super::vpa_admission::mutate(api, pod);
    Ok(())
}

/// Every validating plugin, for a create.
pub fn validate(api: &ApiServer, object: &Object) -> Result<(), ApiError> {
    let kind = object.kind();
    let meta = object.metadata();
    let (namespace, name) = (meta.namespace.as_deref().unwrap_or(""), meta.name.as_deref().unwrap_or(""));
    let forbidden = |why: String| ApiError::forbidden(format!("{} {name:?} is forbidden: {why}", kind.qualified_resource()));
    if kind.namespaced {
        // NamespaceLifecycle.
        let Some(ns) = api.peek(&Key::new("Namespace", "", namespace)) else { return Err(ApiError::namespace_not_found(namespace)) };
        if ns.metadata().deletion_timestamp.is_some() {
            return Err(forbidden(format!("unable to create new content in namespace {namespace} because it is being terminated")));
        }
    }
    // Priority: one global default at most.
    if let Object::PriorityClass(pc) = object {
        let classes = api.peek_list(info("PriorityClass"), None);
        let default = classes.iter().find(|o| matches!(&***o, Object::PriorityClass(d) if d.global_default == Some(true)));
        if let (Some(true), Some(d)) = (pc.global_default, default) {
            let other = d.metadata().name.as_deref().unwrap_or("");
            return Err(forbidden(format!("PriorityClass {other} is already marked as default. Only one default can exist")));
        }
    }
    if let Object::Pod(pod) = object {
        let problems = limit_ranger_check(pod, &limit_range_items(api, namespace));
        match problems.as_slice() {
            [] => {}
            [one] => return Err(forbidden(one.clone())),
            many => return Err(forbidden(format!("[{}]", many.join(", ")))),
        }
    }
    resource_quota(api, object).map_err(forbidden)
}

/// The Container and Pod items of the namespace's LimitRanges.
/// DefaultIngressClass: an Ingress without a class (field or legacy annotation) gets the
/// default IngressClass, the newest if several are marked default.
fn default_ingress_class(api: &ApiServer, ingress: &mut k8s_openapi::api::networking::v1::Ingress) {
    let spec = ingress.spec.get_or_insert_with(Default::default);
    let annotated = ingress.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/ingress.class"));
    if spec.ingress_class_name.is_some() || annotated {
        return;
    }
    let classes = api.peek_list(info("IngressClass"), None);
    let default = classes
        .iter()
        .filter(|o| {
            o.metadata().annotations.as_ref().and_then(|a| a.get("ingressclass.kubernetes.io/is-default-class")).map(String::as_str)
                == Some("true")
        })
        .max_by_key(|o| o.metadata().creation_timestamp.clone().map(|t| t.0));
    spec.ingress_class_name = default.and_then(|o| o.metadata().name.clone());
}

fn limit_range_items(api: &ApiServer, namespace: &str) -> Vec<LimitRangeItem> {
    let ranges = api.peek_list(info("LimitRange"), Some(namespace));
    ranges
        .iter()
        .filter_map(|o| match &**o {
            Object::LimitRange(lr) => lr.spec.as_ref(),
            _ => None,
        })
        .flat_map(|s| s.limits.iter().filter(|i| i.type_ == "Container" || i.type_ == "Pod").cloned())
        .collect()
}

/// LimitRanger's `Admit`: containers get the default requests and limits they lack, and the
/// pod is annotated with what was set.
fn limit_ranger_defaults(pod: &mut Pod, items: &[LimitRangeItem]) {
    let Some(spec) = pod.spec.as_mut() else { return };
    let mut notes = Vec::new();
    for c in spec.containers.iter_mut() {
        for item in items.iter().filter(|i| i.type_ == "Container") {
            let resources = c.resources.get_or_insert_with(Default::default);
            for (section, defaults, target) in
                [("request", &item.default_request, &mut resources.requests), ("limit", &item.default, &mut resources.limits)]
            {
                let mut set = Vec::new();
                for (k, v) in defaults.iter().flatten() {
                    let map = target.get_or_insert_with(Default::default);
                    if !map.contains_key(k) {
                        map.insert(k.clone(), v.clone());
                        set.push(k.clone());
                    }
                }
                if !set.is_empty() {
                    notes.push(format!("{} {section} for container {}", set.join(", "), c.name));
                }
            }
        }
    }
    if !notes.is_empty() {
        let annotations = pod.metadata.annotations.get_or_insert_with(Default::default);
        annotations.insert("kubernetes.io/limit-ranger".to_string(), format!("LimitRanger plugin set: {}", notes.join("; ")));
    }
}

/// LimitRanger's `Validate`: each container's requests and limits (and, for `Pod` items,
/// the pod's sums) within the min, the max and the max limit/request ratio.
fn limit_ranger_check(pod: &Pod, items: &[LimitRangeItem]) -> Vec<String> {
    let mut problems = Vec::new();
    let containers: &[Container] = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let section = |c: &Container, limits: bool| -> BTreeMap<String, i128> {
        let r = c.resources.as_ref();
        let map = if limits { r.and_then(|r| r.limits.as_ref()) } else { r.and_then(|r| r.requests.as_ref()) };
        map.into_iter().flatten().map(|(k, q)| (k.clone(), parse_milli(&q.0).unwrap_or(0))).collect()
    };
    let per_container: Vec<_> = containers.iter().map(|c| (section(c, false), section(c, true))).collect();
    let mut pod_requests: BTreeMap<String, i128> = BTreeMap::new();
    let mut pod_limits: BTreeMap<String, i128> = BTreeMap::new();
    for (requests, limits) in &per_container {
        for (sum, part) in [(&mut pod_requests, requests), (&mut pod_limits, limits)] {
            for (k, v) in part {
                let e = sum.entry(k.clone()).or_insert(0);
                *e = e.saturating_add(*v);
            }
        }
    }
    // Item by item, as `PodValidateLimitFunc` goes; a Container item checks each container.
    for item in items {
        if item.type_ == "Pod" {
            check_item(item, "Pod", &pod_requests, &pod_limits, &mut problems);
        } else {
            for (requests, limits) in &per_container {
                check_item(item, "Container", requests, limits, &mut problems);
            }
        }
    }
    problems
}

/// `minConstraint`, `maxConstraint` and `limitRequestRatioConstraint` for one item.
fn check_item(
    item: &LimitRangeItem,
    scope: &str,
    requests: &BTreeMap<String, i128>,
    limits: &BTreeMap<String, i128>,
    problems: &mut Vec<String>,
) {
    let shown = |k: &str, v: i128| format_quantity(k, v);
    for (k, min) in item.min.iter().flatten() {
        let enforced = parse_milli(&min.0).unwrap_or(0);
        let head = format!("minimum {k} usage per {scope} is {}", min.0);
        match (requests.get(k), limits.get(k)) {
            (None, _) => problems.push(format!("{head}.  No request is specified")),
            (Some(&r), _) if r < enforced => problems.push(format!("{head}, but request is {}", shown(k, r))),
            (_, Some(&l)) if l < enforced => problems.push(format!("{head}, but limit is {}", shown(k, l))),
            _ => {}
        }
    }
    for (k, max) in item.max.iter().flatten() {
        let enforced = parse_milli(&max.0).unwrap_or(0);
        let head = format!("maximum {k} usage per {scope} is {}", max.0);
        match (requests.get(k), limits.get(k)) {
            (_, None) => problems.push(format!("{head}.  No limit is specified")),
            (_, Some(&l)) if l > enforced => problems.push(format!("{head}, but limit is {}", shown(k, l))),
            (Some(&r), _) if r > enforced => problems.push(format!("{head}, but request is {}", shown(k, r))),
            _ => {}
        }
    }
    for (k, ratio) in item.max_limit_request_ratio.iter().flatten() {
        let head = format!("{k} max limit to request ratio per {scope} is {}", ratio.0);
        let (request, limit) = (requests.get(k).copied().unwrap_or(0), limits.get(k).copied().unwrap_or(0));
        if request == 0 {
            problems.push(format!("{head}, but no request is specified or request is 0"));
        } else if limit as f64 / request as f64 > parse_milli(&ratio.0).unwrap_or(0) as f64 / 1000.0 {
            problems.push(format!("{head}, but provided ratio is {:.6}", limit as f64 / request as f64));
        }
    }
}

/// Priority: a pod's `priorityClassName` becomes its `priority` (and preemption policy); a pod
/// without one gets the global default class, if there is one, else priority 0.
fn priority(api: &ApiServer, pod: &mut Pod) -> Result<(), ApiError> {
    let Some(spec) = pod.spec.as_mut() else { return Ok(()) };
    let classes = api.peek_list(info("PriorityClass"), None);
    let class = |o: &ObjectRef| match &**o {
        Object::PriorityClass(pc) => Some(pc.clone()),
        _ => None,
    };
    let chosen = match spec.priority_class_name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => {
            let found = classes.iter().filter_map(class).find(|pc| pc.metadata.name.as_deref() == Some(name));
            let Some(pc) = found else {
                let pod_name = pod.metadata.name.as_deref().unwrap_or("");
                return Err(ApiError::forbidden(format!("pods {pod_name:?} is forbidden: no PriorityClass with name {name} was found")));
            };
            Some(pc)
        }
        None => classes.iter().filter_map(class).find(|pc| pc.global_default == Some(true)),
    };
    let computed = chosen.as_ref().map_or(0, |pc| pc.value);
    if let Some(given) = spec.priority.filter(|p| *p != computed) {
        let pod_name = pod.metadata.name.as_deref().unwrap_or("");
        return Err(ApiError::forbidden(format!("pods {pod_name:?} is forbidden: the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {computed} from the given PriorityClass name")));
    }
    match chosen {
        Some(pc) => {
            spec.priority_class_name = pc.metadata.name.clone();
            spec.priority = Some(pc.value);
            spec.preemption_policy = pc.preemption_policy.clone();
        }
        None => {
            spec.priority = Some(0);
            spec.preemption_policy = Some("PreemptLowerPriority".to_string());
        }
    }
    Ok(())
}

/// DefaultTolerationSeconds: every pod tolerates `not-ready` and `unreachable` for 300s unless
/// it says otherwise (`plugin/pkg/admission/defaulttolerationseconds`).
fn default_toleration_seconds(pod: &mut Pod) {
    let Some(spec) = pod.spec.as_mut() else { return };
    let tolerations = spec.tolerations.get_or_insert_with(Vec::new);
    for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
        let covered =
            tolerations.iter().any(|t| t.key.as_deref() == Some(key) && matches!(t.effect.as_deref(), None | Some("") | Some("NoExecute")));
        if !covered {
            tolerations.push(Toleration {
                key: Some(key.to_string()),
                operator: Some("Exists".to_string()),
                effect: Some("NoExecute".to_string()),
                toleration_seconds: Some(300),
                ..Default::default()
            });
        }
    }
}

/// ResourceQuota: a create that would take a quota's usage past its hard limits is denied.
fn resource_quota(api: &ApiServer, object: &Object) -> Result<(), String> {
    let namespace = object.metadata().namespace.as_deref().unwrap_or("");
    let requested = usage(std::iter::once(object));
    if requested.is_empty() {
        return Ok(());
    }
    // Most namespaces have no quota: then nothing needs the namespace's usage, which would
    // otherwise be summed over every object in it on every create.
    let quotas = api.peek_list(info("ResourceQuota"), Some(namespace));
    if quotas.is_empty() {
        return Ok(());
    }
    let content: Vec<ObjectRef> =
        crate::api::KINDS.iter().filter(|k| k.namespaced).flat_map(|k| api.peek_list(k, Some(namespace))).collect();
    let used = usage(content.iter().map(|o| &**o));
    for quota in quotas {
        let Object::ResourceQuota(rq) = &*quota else { continue };
        let hard = rq.spec.as_ref().and_then(|s| s.hard.clone()).unwrap_or_default();
        if let Object::Pod(pod) = object {
            let missing = missing_compute_resources(pod, &hard);
            if !missing.is_empty() {
                return Err(format!("failed quota: {}: must specify {missing}", rq.metadata.name.as_deref().unwrap_or("")));
            }
        }
        let exceeded: Vec<&String> = hard
            .iter()
            .filter(|(k, limit)| {
                let asked = requested.get(*k).copied().unwrap_or(0);
                asked > 0 && used.get(*k).copied().unwrap_or(0).saturating_add(asked) > parse_milli(&limit.0).unwrap_or(0)
            })
            .map(|(k, _)| k)
            .collect();
        if !exceeded.is_empty() {
            let show = |m: &dyn Fn(&String) -> String| exceeded.iter().map(|k| format!("{k}={}", m(k))).collect::<Vec<_>>().join(",");
            return Err(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                rq.metadata.name.as_deref().unwrap_or(""),
                show(&|k| format_quantity(k, requested.get(k).copied().unwrap_or(0))),
                show(&|k| format_quantity(k, used.get(k).copied().unwrap_or(0))),
                show(&|k| hard.get(k).map_or(String::new(), |q| q.0.clone())),
            ));
        }
    }
    Ok(())
}

/// The pod evaluator's `Constraints`: a quota on cpu or memory needs every container to
/// name that resource, e.g. `requests.cpu for: app,sidecar; limits.memory for: app`.
fn missing_compute_resources(pod: &Pod, hard: &Resources) -> String {
    const COMPUTE: [&str; 6] = ["cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory"];
    let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
        let r = c.resources.as_ref();
        let has = |section: Option<&Resources>, k: &str| section.is_some_and(|m| m.contains_key(k));
        for name in COMPUTE.iter().filter(|n| hard.contains_key(**n)) {
            let present = match name.split_once('.') {
                Some(("limits", k)) => has(r.and_then(|r| r.limits.as_ref()), k),
                Some((_, k)) => has(r.and_then(|r| r.requests.as_ref()), k),
                None => has(r.and_then(|r| r.requests.as_ref()), name),
            };
            if !present {
                missing.entry(name).or_default().push(&c.name);
            }
        }
    }
    missing
        .iter_mut()
        .map(|(k, names)| {
            names.sort_unstable();
            format!("{k} for: {}", names.join(","))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// What objects count against a quota, in milli-units, by quota resource name (the quota
/// evaluators of `pkg/quota/v1/evaluator/core`). Terminating and finished pods do not count.
pub fn usage<'a>(objects: impl Iterator<Item = &'a Object>) -> BTreeMap<String, i128> {
    let mut used: BTreeMap<String, i128> = BTreeMap::new();
    let mut add = |k: &str, v: i128| {
        let e = used.entry(k.to_string()).or_insert(0);
        *e = e.saturating_add(v);
    };
    for object in objects {
        let resource = object.kind().qualified_resource();
        add(&format!("count/{resource}"), 1000);
        match object {
            Object::Pod(pod) => {
                let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
                if pod.metadata.deletion_timestamp.is_some() || matches!(phase, Some("Succeeded" | "Failed")) {
                    continue;
                }
                add("pods", 1000);
                for c in pod.spec.iter().flat_map(|s| s.containers.iter()) {
                    let r = c.resources.as_ref();
                    for (section, map) in [("requests", r.and_then(|r| r.requests.as_ref())), ("limits", r.and_then(|r| r.limits.as_ref()))]
                    {
                        for (k, q) in map.into_iter().flatten() {
                            let v = parse_milli(&q.0).unwrap_or(0);
                            add(&format!("{section}.{k}"), v);
                            if section == "requests" {
                                add(k, v);
                            }
                        }
                    }
                }
            }
            Object::Service(svc) => {
                add("services", 1000);
                match svc.spec.as_ref().and_then(|s| s.type_.as_deref()) {
                    Some("NodePort") => add("services.nodeports", 1000),
                    Some("LoadBalancer") => add("services.loadbalancers", 1000),
                    _ => {}
                }
            }
            Object::ConfigMap(_) => add("configmaps", 1000),
            Object::Secret(_) => add("secrets", 1000),
            Object::PersistentVolumeClaim(pvc) => {
                add("persistentvolumeclaims", 1000);
                let storage =
                    pvc.spec.as_ref().and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage"));
                add("requests.storage", storage.map_or(0, |q| parse_milli(&q.0).unwrap_or(0)));
            }
            Object::ResourceQuota(_) => add("resourcequotas", 1000),
            _ => {}
        }
    }
    used
}

/// A quota amount as `Quantity.String()` prints it: cpu in cores or millicores, bytes with the
/// largest binary suffix that divides them, counts as integers.
pub fn format_quantity(resource: &str, milli: i128) -> String {
    if resource.ends_with("cpu") {
        return crate::api::quantity::format_cpu(milli);
    }
    if milli % 1000 != 0 {
        return format!("{milli}m");
    }
    let units = milli / 1000;
    for (suffix, size) in [("Ti", 1_i128 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
        if units != 0 && units % size == 0 {
            return format!("{}{suffix}", units / size);
        }
    }
    units.to_string()
}
