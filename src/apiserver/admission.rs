//! Admission plugins that kubeglass runs on every create, in the API server's order.
use k8s_openapi::api::core::v1::Toleration;

use crate::api::Object;

/// DefaultTolerationSeconds: every pod tolerates `not-ready` and `unreachable` for 300s unless
/// it says otherwise (`plugin/pkg/admission/defaulttolerationseconds`).
pub fn default_toleration_seconds(object: &mut Object) {
    let Object::Pod(pod) = object else { return };
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
