//! The browser front end: Yew function components that draw snapshots of the model and send it
//! commands. Nothing here computes cluster behaviour; `state.rs` is the one place that calls
//! the model, and `view.rs` holds the pure helpers that decide how things look.
//!
//! - `app`: the page and the wall-clock timer that drives virtual time
//! - `header`: name and theme; `timeline`: play/pause, step, speed, clock, revisions, events
//! - `inspector`: describe, events and YAML of what was clicked; `explain`: for a pod, the
//!   scheduler's reasoning
//! - `services`: Services with their endpoints and the latest requests; `traffic`: the view data
//!   of both; `actions`: the fault menus; `export`: the diagram as SVG and PNG
//! - `motion`: message dots and gliding pods (DOM-level animation); `completion`: Tab
//! - `diagram`, `control_plane`, `node_card`, `agent`, `pod_chip`, `legend`, `message_strip`:
//!   the cluster diagram
//! - `editor`: the manifest editor; `console`: the command line
//! - `lesson`: the lesson panel (steps that check themselves, Show me)
//! - `persist`: the session kept in localStorage, exported and imported; `share`: the Share
//!   dialog (a link and an `<iframe>` snippet); `fatal`: the error banner after a panic

mod actions;
mod agent;
mod app;
mod completion;
mod console;
mod control_plane;
mod diagram;
mod editor;
mod explain;
mod export;
mod fatal;
mod header;
mod inspector;
mod legend;
mod lesson;
mod message_strip;
mod motion;
mod node_card;
mod persist;
mod pod_chip;
mod services;
mod share;
pub mod state;
mod timeline;
pub mod traffic;
pub mod view;

pub use app::App;
pub use fatal::install_panic_hook;

/// Fetches `explain.json` (Trunk copies it beside the page) for `kubectl explain`, the first
/// time it is used. Synchronous, so that the command answers like every other; it is one small
/// same-origin file.
pub fn fetch_explain_table() -> Result<String, String> {
    let failed = |e: wasm_bindgen::JsValue| format!("error: the OpenAPI schema could not be fetched: {e:?}");
    let request = web_sys::XmlHttpRequest::new().map_err(failed)?;
    request.open_with_async("GET", "explain.json", false).map_err(failed)?;
    request.send().map_err(failed)?;
    match (request.status().map_err(failed)?, request.response_text().map_err(failed)?) {
        (200, Some(text)) => Ok(text),
        (status, _) => Err(format!("error: the OpenAPI schema could not be fetched: explain.json: HTTP status {status}")),
    }
}
