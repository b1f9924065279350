//! The manifest reader (`api::manifest`): any bytes as a YAML or JSON stream, each document
//! decoded into its API type and checked with strict field validation, as `kubectl apply` does.
#![no_main]
use kubeglass::api::manifest::{self, FieldValidation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for document in manifest::parse(text).into_iter().flatten() {
        if let Ok(object) = manifest::decode(&document) {
            let _ = FieldValidation::Strict.check(&document, &object);
        }
    }
});
