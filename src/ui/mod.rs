//! The browser front end: Yew function components that draw snapshots of the model and send it
//! commands. Nothing here computes cluster behaviour; `state.rs` is the one place that calls
//! the model, and `view.rs` holds the pure helpers that decide how things look.

pub mod state;
pub mod view;

mod agent;
mod control_plane;
mod diagram;
mod legend;
mod message_strip;
mod node_card;
mod pod_chip;

mod console;
mod editor;
