//! The browser front end: Yew function components that draw snapshots of the model and send it
//! commands. Nothing here computes cluster behaviour; `state.rs` is the one place that calls
//! the model, and `view.rs` holds the pure helpers that decide how things look.
//!
//! - `app`: the page and the wall-clock timer that drives virtual time
//! - `header`: name and theme; `timeline`: play/pause, step, speed, clock, revisions, events
//! - `inspector`: describe, events and YAML of what was clicked
//! - `motion`: message dots and gliding pods (DOM-level animation); `completion`: Tab
//! - `diagram`, `control_plane`, `node_card`, `agent`, `pod_chip`, `legend`, `message_strip`:
//!   the cluster diagram
//! - `editor`: the manifest editor; `console`: the command line
//! - `lesson`: the lesson panel (steps that check themselves, Show me)
//! - `persist`: the session kept in localStorage, exported and imported; `share`: the Share
//!   dialog (a link and an `<iframe>` snippet); `fatal`: the error banner after a panic

mod agent;
mod app;
mod completion;
mod console;
mod control_plane;
mod diagram;
mod editor;
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
mod share;
pub mod state;
mod timeline;
pub mod view;

pub use app::App;
pub use fatal::install_panic_hook;
