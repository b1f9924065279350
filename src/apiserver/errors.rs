//! API errors as the API server returns them (`metav1.Status`) and as kubectl prints them.
use crate::api::validation::FieldError;
use crate::api::{Key, KindInfo};

/// `metav1.StatusReason`: why a request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    AlreadyExists,
    Invalid,
    Conflict,
    BadRequest,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Invalid => "Invalid",
            Reason::Conflict => "Conflict",
            Reason::BadRequest => "BadRequest",
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
    pub fn invalid(kind: &KindInfo, name: &str, causes: Vec<FieldError>) -> ApiError {
        ApiError { reason: Reason::Invalid, message: format!("{} {name:?}", kind.kind), causes }
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
        format!("Error from server ({}): {context}{}", self.reason.as_str(), self.message)
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
    }
}
