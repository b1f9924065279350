//! API errors as the API server returns them (`metav1.Status`) and as kubectl prints them.
use crate::api::validation::FieldError;
use crate::api::{Key, KindInfo};

/// `registry/generic/registry.OptimisticLockErrorMsg`.
const OPTIMISTIC_LOCK: &str = "the object has been modified; please apply your changes to the latest version and try again";

/// `metav1.StatusReason`: why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    AlreadyExists,
    Invalid,
    Conflict,
    BadRequest,
    /// 410 Gone: the resourceVersion asked for was compacted.
    Expired,
    /// 504: a read at a resourceVersion the store has not reached yet.
    Timeout,
    Forbidden,
    /// 429: an eviction a PodDisruptionBudget does not allow now.
    TooManyRequests,
    /// 500: what the server cannot do (several budgets for one pod).
    InternalError,
    /// 500 with no reason (`StatusReasonUnknown`): an error from etcd the API server passes on.
    Unknown,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Invalid => "Invalid",
            Reason::Conflict => "Conflict",
            Reason::BadRequest => "BadRequest",
            Reason::Expired => "Expired",
            Reason::Timeout => "Timeout",
            Reason::Forbidden => "Forbidden",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::InternalError => "InternalError",
            Reason::Unknown => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub reason: Reason,
    /// The Status message; for `Invalid`, the kind and name the causes belong to.
    pub message: String,
    pub causes: Vec<FieldError>,
}

impl ApiError {
    pub fn not_found(kind: &KindInfo, name: &str) -> ApiError {
        ApiError { reason: Reason::NotFound, message: format!("{} {name:?} not found", kind.qualified_resource()), causes: vec![] }
    }
    pub fn already_exists(kind: &KindInfo, name: &str) -> ApiError {
        ApiError {
            reason: Reason::AlreadyExists,
            message: format!("{} {name:?} already exists", kind.qualified_resource()),
            causes: vec![],
        }
    }
    pub fn conflict(kind: &KindInfo, name: &str, why: &str) -> ApiError {
        ApiError {
            reason: Reason::Conflict,
            message: format!("Operation cannot be fulfilled on {} {name:?}: {why}", kind.qualified_resource()),
            causes: vec![],
        }
    }
    /// An update that carried a stale `metadata.resourceVersion` (`storage.NewConflictError`
    /// with `OptimisticLockErrorMsg`).
    pub fn modified(kind: &KindInfo, name: &str) -> ApiError {
        ApiError::conflict(kind, name, OPTIMISTIC_LOCK)
    }
    /// A watch or list from a compacted revision (the watch cache's `NewResourceExpired`).
    pub fn expired(requested: i64, oldest: i64) -> ApiError {
        ApiError { reason: Reason::Expired, message: format!("too old resource version: {requested} ({oldest})"), causes: vec![] }
    }
    pub fn too_large_resource_version(requested: i64, current: i64) -> ApiError {
        ApiError {
            reason: Reason::Timeout,
            message: format!("Too large resource version: {requested}, current: {current}"),
            causes: vec![],
        }
    }
    pub fn forbidden(message: String) -> ApiError {
        ApiError { reason: Reason::Forbidden, message, causes: vec![] }
    }
    pub fn invalid(kind: &KindInfo, name: &str, causes: Vec<FieldError>) -> ApiError {
        ApiError { reason: Reason::Invalid, message: format!("{} {name:?}", kind.kind), causes }
    }
    pub fn too_many_requests(message: String) -> ApiError {
        ApiError { reason: Reason::TooManyRequests, message, causes: vec![] }
    }
    pub fn internal(message: String) -> ApiError {
        ApiError { reason: Reason::InternalError, message, causes: vec![] }
    }
    /// An etcd error such as `etcdserver: request timed out`.
    pub fn storage(message: &str) -> ApiError {
        ApiError { reason: Reason::Unknown, message: message.to_string(), causes: vec![] }
    }
    pub fn bad_request(message: String) -> ApiError {
        ApiError { reason: Reason::BadRequest, message, causes: vec![] }
    }
    pub fn namespace_not_found(namespace: &str) -> ApiError {
        ApiError { reason: Reason::NotFound, message: format!("namespaces {namespace:?} not found"), causes: vec![] }
    }
    pub fn missing(key: &Key) -> ApiError {
        match crate::api::kind_info(key.kind) {
            Some(kind) => ApiError::not_found(kind, &key.name),
            None => ApiError::bad_request(format!("unknown kind {}", key.kind)),
        }
    }

    /// What kubectl prints for this error. `during` is kubectl's context for errors from a
    /// file, e.g. `("creating", "STDIN")` gives `error when creating "STDIN": …`.
    pub fn render(&self, during: Option<(&str, &str)>) -> String {
        if self.reason == Reason::Invalid {
            let prefix = format!("The {} is invalid: ", self.message);
            return match self.causes.as_slice() {
                [one] => format!("{prefix}{one}"),
                many => {
                    let lines: Vec<String> = many.iter().map(|c| format!("* {c}")).collect();
                    format!("{prefix}\n{}", lines.join("\n"))
                }
            };
        }
        let context = during.map(|(verb, source)| format!("error when {verb} {source:?}: ")).unwrap_or_default();
        // kubectl's `StandardErrorMessage` leaves out the parentheses for a reasonless status.
        match self.reason {
            Reason::Unknown => format!("Error from server: {context}{}", self.message),
            reason => format!("Error from server ({}): {context}{}", reason.as_str(), self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::kind_info;

    #[test]
    fn kubectl_renders_server_errors() {
        let deploy = kind_info("Deployment").unwrap();
        assert_eq!(ApiError::not_found(deploy, "web").render(None), "Error from server (NotFound): deployments.apps \"web\" not found");
        assert_eq!(
            ApiError::already_exists(deploy, "web").render(Some(("creating", "STDIN"))),
            "Error from server (AlreadyExists): error when creating \"STDIN\": deployments.apps \"web\" already exists"
        );
        let two = vec![FieldError::required("spec.selector", ""), FieldError::required("spec.template.spec.containers", "")];
        assert_eq!(
            ApiError::invalid(deploy, "web", two).render(None),
            "The Deployment \"web\" is invalid: \n* spec.selector: Required value\n* spec.template.spec.containers: Required value"
        );
        assert_eq!(ApiError::storage("etcdserver: request timed out").render(None), "Error from server: etcdserver: request timed out");
    }
}
