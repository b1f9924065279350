//! The VerticalPodAutoscaler (`autoscaling.k8s.io/v1`), a custom resource of the Kubernetes
//! autoscaler project (`vertical-pod-autoscaler/pkg/apis/autoscaling.k8s.io/v1/types.go`).
//! k8s-openapi only has the built-in kinds, so this is a minimal serde type for exactly the
//! fields kubeglass models; implementing `k8s_openapi::Resource` lets it join the `kinds!`
//! macro like any other kind (as kube-derive does for custom resources).
use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v1::CrossVersionObjectReference;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use super::{ObjectMeta, Time};

/// Quantities by resource name (`v1.ResourceList`).
pub type Resources = BTreeMap<String, Quantity>;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct VerticalPodAutoscaler {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<VerticalPodAutoscalerSpec>,
    #[serde(default)]
    pub status: Option<VerticalPodAutoscalerStatus>,
}

impl k8s_openapi::Resource for VerticalPodAutoscaler {
    const API_VERSION: &'static str = "autoscaling.k8s.io/v1";
    const GROUP: &'static str = "autoscaling.k8s.io";
    const KIND: &'static str = "VerticalPodAutoscaler";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "verticalpodautoscalers";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

/// Written with its `apiVersion` and `kind`, as k8s-openapi's types write theirs.
impl Serialize for VerticalPodAutoscaler {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("VerticalPodAutoscaler", 5)?;
        s.serialize_field("apiVersion", <Self as k8s_openapi::Resource>::API_VERSION)?;
        s.serialize_field("kind", <Self as k8s_openapi::Resource>::KIND)?;
        s.serialize_field("metadata", &self.metadata)?;
        if let Some(spec) = &self.spec {
            s.serialize_field("spec", spec)?;
        }
        if let Some(status) = &self.status {
            s.serialize_field("status", status)?;
        }
        s.end()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscalerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<CrossVersionObjectReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<PodUpdatePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<PodResourcePolicy>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodUpdatePolicy {
    /// Off, Initial, Recreate or Auto (which VPA 1.x treats as Recreate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_mode: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodResourcePolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_policies: Option<Vec<ContainerResourcePolicy>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerResourcePolicy {
    /// A container's name, or `*` for every container without a policy of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_allowed: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed: Option<Resources>,
    /// cpu and/or memory (both when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controlled_resources: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscalerStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<RecommendedPodResources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<VerticalPodAutoscalerCondition>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedPodResources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_recommendations: Option<Vec<RecommendedContainerResources>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedContainerResources {
    #[serde(default)]
    pub container_name: String,
    #[serde(default)]
    pub target: Resources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_bound: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_bound: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncapped_target: Option<Resources>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerticalPodAutoscalerCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl VerticalPodAutoscaler {
    /// The update mode, with Auto read as Recreate (VPA 1.x) and unset as Auto.
    pub fn update_mode(&self) -> &str {
        match self.spec.as_ref().and_then(|s| s.update_policy.as_ref()).and_then(|p| p.update_mode.as_deref()) {
            None | Some("Auto") => "Recreate",
            Some(mode) => mode,
        }
    }

    /// The container's recommendation, if there is one.
    pub fn recommendation(&self, container: &str) -> Option<&RecommendedContainerResources> {
        let recommendation = self.status.as_ref()?.recommendation.as_ref()?;
        recommendation.container_recommendations.as_ref()?.iter().find(|r| r.container_name == container)
    }
}

/// The kind a VPA's targetRef names, as a served kind (the workload controllers VPA knows).
pub fn target_kind(kind: &str) -> Option<&'static str> {
    ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"].into_iter().find(|k| *k == kind)
}

/// The label selector of a VPA's target: its pods are the ones it selects.
pub fn target_selector(target: &super::Object) -> Option<super::labels::Selector> {
    use super::Object;
    let selector = match target {
        Object::Deployment(d) => d.spec.as_ref().map(|s| &s.selector),
        Object::ReplicaSet(r) => r.spec.as_ref().map(|s| &s.selector),
        Object::StatefulSet(s) => s.spec.as_ref().map(|s| &s.selector),
        Object::DaemonSet(d) => d.spec.as_ref().map(|s| &s.selector),
        Object::Job(j) => j.spec.as_ref().and_then(|s| s.selector.as_ref()),
        _ => None,
    }?;
    super::labels::Selector::from_api(selector).ok()
}
