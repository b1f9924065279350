//! The Kubernetes API as kubeglass knows it: kinds, manifests, validation, quantities,
//! labels and selectors. Every object is a real k8s-openapi type; nothing here is a copy,
//! except the VerticalPodAutoscaler, a custom resource k8s-openapi does not have.
pub mod labels;
pub mod manifest;
pub mod quantity;
pub mod scheduling;
pub mod status;
pub mod validation;
pub mod vertical_pod_autoscaler;

use std::sync::Arc;

pub use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
pub use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
pub use k8s_openapi::api::batch::v1::{CronJob, Job};
pub use k8s_openapi::api::coordination::v1::Lease;
pub use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, LimitRange, Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, ResourceQuota, Secret, Service,
};
pub use k8s_openapi::api::discovery::v1::EndpointSlice;
pub use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
pub use k8s_openapi::api::policy::v1::PodDisruptionBudget;
pub use k8s_openapi::api::scheduling::v1::PriorityClass;
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
pub use vertical_pod_autoscaler::VerticalPodAutoscaler;

/// What the API server knows about one kind: its names, its group and whether it is namespaced.
#[derive(Debug, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub group: &'static str,
    /// The plural resource name, as in `kubectl get deployments`.
    pub resource: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
}

impl KindInfo {
    /// The name kubectl prints in messages, e.g. `deployment.apps` or `pod`.
    pub fn qualified_singular(&self) -> String {
        qualify(self.singular, self.group)
    }
    /// e.g. `deployments.apps`, as in `deployments.apps "web" not found`.
    pub fn qualified_resource(&self) -> String {
        qualify(self.resource, self.group)
    }
}

fn qualify(name: &str, group: &str) -> String {
    if group.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{group}")
    }
}

/// Declares the kinds kubeglass serves: one `Object` variant per k8s-openapi type, with its
/// `KindInfo`, so that adding a kind is one line here.
macro_rules! kinds {
    ($($variant:ident => $ty:ty, $resource:literal, $singular:literal, [$($short:literal),*], $namespaced:literal;)*) => {
        /// Every object the API server stores, as its real API type. Stored objects live behind
        /// an `Arc` (`ObjectRef`), so the size of the largest variant costs little.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone, Debug, PartialEq)]
        pub enum Object {
            $($variant($ty),)*
        }

        /// Every kind kubeglass serves, in the order `kubectl api-resources` would list them.
        pub static KINDS: &[KindInfo] = &[
            $(KindInfo {
                kind: <$ty as k8s_openapi::Resource>::KIND,
                api_version: <$ty as k8s_openapi::Resource>::API_VERSION,
                group: <$ty as k8s_openapi::Resource>::GROUP,
                resource: $resource,
                singular: $singular,
                short_names: &[$($short),*],
                namespaced: $namespaced,
            },)*
        ];

        impl Object {
            pub fn metadata(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => &o.metadata,)* }
            }
            pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
                match self { $(Object::$variant(o) => &mut o.metadata,)* }
            }
            pub fn kind(&self) -> &'static KindInfo {
                let kind = match self { $(Object::$variant(_) => <$ty as k8s_openapi::Resource>::KIND,)* };
                kind_info(kind).unwrap_or(&KINDS[0])
            }
            /// The object as the API returns it in JSON (keys sorted, as kubectl prints them).
            pub fn to_json(&self) -> serde_json::Value {
                let value = match self { $(Object::$variant(o) => serde_json::to_value(o),)* };
                value.unwrap_or(serde_json::Value::Null)
            }
            /// Decodes a JSON object of the given kind into its API type; errors carry the
            /// field path where decoding failed.
            pub(crate) fn decode(kind: &str, value: &serde_json::Value) -> Option<Result<Object, serde_path_to_error::Error<serde_json::Error>>> {
                match kind {
                    $(<$ty as k8s_openapi::Resource>::KIND => Some(serde_path_to_error::deserialize(value).map(Object::$variant)),)*
                    _ => None,
                }
            }
        }
    };
}

kinds! {
    ConfigMap => ConfigMap, "configmaps", "configmap", ["cm"], true;
    Endpoints => Endpoints, "endpoints", "endpoints", ["ep"], true;
    Event => Event, "events", "event", ["ev"], true;
    LimitRange => LimitRange, "limitranges", "limitrange", ["limits"], true;
    Namespace => Namespace, "namespaces", "namespace", ["ns"], false;
    Node => Node, "nodes", "node", ["no"], false;
    PersistentVolumeClaim => PersistentVolumeClaim, "persistentvolumeclaims", "persistentvolumeclaim", ["pvc"], true;
    PersistentVolume => PersistentVolume, "persistentvolumes", "persistentvolume", ["pv"], false;
    Pod => Pod, "pods", "pod", ["po"], true;
    ResourceQuota => ResourceQuota, "resourcequotas", "resourcequota", ["quota"], true;
    Secret => Secret, "secrets", "secret", [], true;
    Service => Service, "services", "service", ["svc"], true;
    DaemonSet => DaemonSet, "daemonsets", "daemonset", ["ds"], true;
    Deployment => Deployment, "deployments", "deployment", ["deploy"], true;
    ReplicaSet => ReplicaSet, "replicasets", "replicaset", ["rs"], true;
    StatefulSet => StatefulSet, "statefulsets", "statefulset", ["sts"], true;
    HorizontalPodAutoscaler => HorizontalPodAutoscaler, "horizontalpodautoscalers", "horizontalpodautoscaler", ["hpa"], true;
    CronJob => CronJob, "cronjobs", "cronjob", ["cj"], true;
    Job => Job, "jobs", "job", [], true;
    Lease => Lease, "leases", "lease", [], true;
    EndpointSlice => EndpointSlice, "endpointslices", "endpointslice", [], true;
    IngressClass => IngressClass, "ingressclasses", "ingressclass", [], false;
    Ingress => Ingress, "ingresses", "ingress", ["ing"], true;
    NetworkPolicy => NetworkPolicy, "networkpolicies", "networkpolicy", ["netpol"], true;
    PodDisruptionBudget => PodDisruptionBudget, "poddisruptionbudgets", "poddisruptionbudget", ["pdb"], true;
    PriorityClass => PriorityClass, "priorityclasses", "priorityclass", ["pc"], false;
    VerticalPodAutoscaler => VerticalPodAutoscaler, "verticalpodautoscalers", "verticalpodautoscaler", ["vpa"], true;
}

/// Looks a kind up by its `kind` field, e.g. `Deployment`.
pub fn kind_info(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The `KindInfo` of a kind named in code (`info("Pod")`). Every name passed here is one of
/// the kinds declared above; the unit tests check each.
pub fn info(kind: &str) -> &'static KindInfo {
    kind_info(kind).unwrap_or(&KINDS[0])
}

/// Looks a kind up as kubectl does from the command line: plural, singular, short name or
/// kind, case-insensitively, optionally qualified with its group (`deployments.apps`).
pub fn resolve_resource(name: &str) -> Option<&'static KindInfo> {
    let lower = name.to_ascii_lowercase();
    let (base, group) = match lower.split_once('.') {
        Some((base, group)) => (base.to_string(), Some(group.to_string())),
        None => (lower, None),
    };
    KINDS.iter().find(|k| {
        let names_match =
            k.resource == base || k.singular == base || k.kind.eq_ignore_ascii_case(&base) || k.short_names.contains(&base.as_str());
        names_match && group.as_deref().is_none_or(|g| g == k.group)
    })
}

/// A shared, immutable stored object: etcd, the API server and every informer cache hold the
/// same allocation, so a watch delivery to many components costs no copies.
pub type ObjectRef = Arc<Object>;

/// Where an object lives: its kind, namespace (empty for cluster-scoped kinds) and name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(kind: &'static str, namespace: &str, name: &str) -> Key {
        Key { kind, namespace: namespace.to_string(), name: name.to_string() }
    }
    pub fn of(object: &Object) -> Key {
        let meta = object.metadata();
        Key { kind: object.kind().kind, namespace: meta.namespace.clone().unwrap_or_default(), name: meta.name.clone().unwrap_or_default() }
    }
    /// `pods/default/web-x`, or `nodes/worker-1` for cluster-scoped kinds: the caption form.
    pub fn path(&self) -> String {
        let resource = kind_info(self.kind).map_or(self.kind, |k| k.resource);
        if self.namespace.is_empty() {
            format!("{resource}/{}", self.name)
        } else {
            format!("{resource}/{}/{}", self.namespace, self.name)
        }
    }
}

/// The controller owner reference of an object, if any (`controller: true`).
pub fn controller_of(meta: &ObjectMeta) -> Option<&OwnerReference> {
    meta.owner_references.as_ref()?.iter().find(|r| r.controller == Some(true))
}

/// The key of an object's controller, if that controller is of `kind` (e.g. the ReplicaSet
/// that owns a pod): what a controller enqueues when a dependent changes.
pub fn controller_key(meta: &ObjectMeta, kind: &'static str) -> Option<Key> {
    let owner = controller_of(meta).filter(|o| o.kind == kind)?;
    Some(Key::new(kind, meta.namespace.as_deref().unwrap_or(""), &owner.name))
}

/// Whether `owner` is the controller of the object with metadata `meta` (matched by uid).
pub fn is_controlled_by(meta: &ObjectMeta, owner: &ObjectMeta) -> bool {
    controller_of(meta).is_some_and(|o| Some(&o.uid) == owner.uid.as_ref())
}

/// The owner reference a controller puts on what it creates.
pub fn controller_ref(kind: &KindInfo, meta: &ObjectMeta) -> OwnerReference {
    OwnerReference {
        api_version: kind.api_version.to_string(),
        kind: kind.kind.to_string(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}
