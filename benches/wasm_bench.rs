//! `schedule_pods_per_s_wasm`: the scheduler benchmark of `common/mod.rs`, compiled to
//! WebAssembly and run in headless Chromium by wasm-bindgen-test-runner (`make bench`):
//!
//!   CHROMEDRIVER=/usr/bin/chromedriver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!     cargo test --release --target wasm32-unknown-unknown --test wasm_bench -- --nocapture
//!
//! It prints one `key value` line. Natively it compiles to nothing.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn schedule_pods_per_s_wasm() {
    let pods_per_s = common::schedule_pods_per_s(js_sys::Date::now);
    console_log!("schedule_pods_per_s_wasm {pods_per_s:.0}");
}
