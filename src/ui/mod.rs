//! UI (being written)
