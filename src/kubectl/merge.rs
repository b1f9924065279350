//! kubectl apply's client-side three-way merge (`staging/src/k8s.io/apimachinery/pkg/util/
//! strategicpatch` `CreateThreeWayMergePatch`, applied to the live object).
//!
//! The three inputs are the configuration applied last time (the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation), the live object and the new
//! manifest. A field the new manifest sets wins; a field the last configuration set and the new
//! one no longer does is removed; a field neither set (defaults, `kubectl scale`, controllers)
//! is kept. Lists of objects with a strategic-merge key (containers by `name`, container ports by
//! `containerPort`, service ports by `port`, ...) are merged element by element; other lists are
//! replaced.
use serde_json::{Map, Value};

/// The object apply sends: `live` with the changes from `last` to `new` merged in.
pub fn three_way(last: &Value, live: &Value, new: &Value) -> Value {
    merge(last, live, new, "", "")
}

/// `field` is the key under which these values sit, `parent` the key of the list or map that
/// holds that key's object: together they pick the patch merge key of a list.
fn merge(last: &Value, live: &Value, new: &Value, field: &str, parent: &str) -> Value {
    match new {
        Value::Object(new_map) => {
            let mut out: Map<String, Value> = live.as_object().cloned().unwrap_or_default();
            if let Some(last_map) = last.as_object() {
                for removed in last_map.keys().filter(|k| !new_map.contains_key(*k)) {
                    out.remove(removed);
                }
            }
            for (k, v) in new_map {
                if v.is_null() {
                    out.remove(k);
                    continue;
                }
                let merged = merge(&last[k.as_str()], &live[k.as_str()], v, k, field);
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        Value::Array(new_items) => match merge_key(field, parent) {
            Some(key) if new_items.iter().all(Value::is_object) => merge_list(last, live, new_items, key, field),
            _ => new.clone(),
        },
        scalar => scalar.clone(),
    }
}

/// The `patchMergeKey` of the list fields kubectl users meet most (from the API types' tags).
fn merge_key(field: &str, parent: &str) -> Option<&'static str> {
    Some(match field {
        "containers" | "initContainers" | "ephemeralContainers" | "volumes" | "env" | "imagePullSecrets" | "resourceClaims" => "name",
        "ports" if matches!(parent, "containers" | "initContainers" | "ephemeralContainers") => "containerPort",
        "ports" => "port",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ownerReferences" => "uid",
        "conditions" => "type",
        _ => return None,
    })
}

/// Merges a keyed list: the new list's elements in its order (each merged with the live and last
/// element of the same key), then the live elements the last configuration never had.
fn merge_list(last: &Value, live: &Value, new_items: &[Value], key: &str, field: &str) -> Value {
    let find = |list: &Value, id: &Value| list.as_array().and_then(|items| items.iter().find(|i| &i[key] == id)).cloned();
    let mut out: Vec<Value> = new_items
        .iter()
        .map(|item| {
            let id = &item[key];
            let live_item = find(live, id).unwrap_or(Value::Null);
            let last_item = find(last, id).unwrap_or(Value::Null);
            merge(&last_item, &live_item, item, field, field)
        })
        .collect();
    for item in live.as_array().into_iter().flatten() {
        let id = &item[key];
        let in_new = new_items.iter().any(|n| &n[key] == id);
        if !in_new && find(last, id).is_none() {
            out.push(item.clone());
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removed_fields_go_and_fields_set_by_others_stay() {
        // `kubectl scale` set replicas; the manifests never had it: the scaled count stays.
        let last = json!({"spec": {"paused": false, "template": {"x": 1}}});
        let live = json!({"spec": {"replicas": 5, "paused": false, "revisionHistoryLimit": 10, "template": {"x": 1}}});
        let new = json!({"spec": {"template": {"x": 2}}});
        assert_eq!(three_way(&last, &live, &new), json!({"spec": {"replicas": 5, "revisionHistoryLimit": 10, "template": {"x": 2}}}));
        // Once the manifest has replicas, applying it resets the count.
        let new = json!({"spec": {"replicas": 3, "template": {"x": 2}}});
        assert_eq!(three_way(&last, &live, &new)["spec"]["replicas"], json!(3));
    }

    #[test]
    fn containers_merge_by_name_and_keep_defaults() {
        let last = json!({"containers": [{"name": "a", "image": "nginx:1"}, {"name": "b", "image": "redis"}]});
        let live = json!({"containers": [
            {"name": "a", "image": "nginx:1", "imagePullPolicy": "IfNotPresent", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
            {"name": "b", "image": "redis"},
            {"name": "sidecar", "image": "busybox"}]});
        let new = json!({"containers": [{"name": "a", "image": "nginx:2", "ports": [{"containerPort": 80}]}]});
        assert_eq!(
            three_way(&last, &live, &new),
            json!({"containers": [
                {"name": "a", "image": "nginx:2", "imagePullPolicy": "IfNotPresent", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "sidecar", "image": "busybox"}]})
        );
    }
}
