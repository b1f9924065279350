//! What kube-apiserver creates when it starts: the system namespaces
//! (`controlplane/controller/systemnamespaces`), the `kubernetes` Service
//! (`controlplane/controller/kubernetesservice`) and the built-in PriorityClasses
//! (`pkg/apis/scheduling/types.go`, created by the scheduling REST storage's post-start hook).
use k8s_openapi::api::core::v1::{ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{allocator, Client};
use crate::api::{Namespace, Object, ObjectMeta, PriorityClass, Service};

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), namespace: namespace.map(str::to_string), ..Default::default() }
}

/// Creates the objects every cluster starts with. They are valid by construction, so a failure
/// here could only be a name already taken, which is fine.
pub fn create_system_objects(client: &mut Client) {
    for name in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let _ = client.create(Object::Namespace(Namespace { metadata: meta(name, None), ..Default::default() }));
    }
    let mut kubernetes = meta("kubernetes", Some("default"));
    kubernetes.labels = Some([("component", "apiserver"), ("provider", "kubernetes")].map(|(k, v)| (k.to_string(), v.to_string())).into());
    let _ = client.create(Object::Service(Service {
        metadata: kubernetes,
        spec: Some(ServiceSpec {
            cluster_ip: Some(allocator::first_service_ip()),
            ports: Some(vec![ServicePort {
                name: Some("https".to_string()),
                port: 443,
                target_port: Some(IntOrString::Int(6443)),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }));
    for (name, value, description) in [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        (
            "system-cluster-critical",
            2_000_000_000,
            "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
        ),
    ] {
        let _ = client.create(Object::PriorityClass(PriorityClass {
            metadata: meta(name, None),
            value,
            description: Some(description.to_string()),
            ..Default::default()
        }));
    }
}
