//! After a panic the app cannot go on (its state may be half-updated). Say so on the page
//! instead of freezing silently, log the panic to the browser console, and stop the timer and
//! the saver, so that one panic is not followed by a new one every tick and the session kept
//! in the browser stays the last good one. The page keeps showing what it drew last; the
//! banner's Reload carries on from the kept session (or the link's scenario).
//!
//! The banner is built from DOM nodes and text, never from HTML: a panic message can hold
//! anything a user typed.

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

static STOPPED: AtomicBool = AtomicBool::new(false);

/// Installs the panic hook. Call it before rendering: Yew installs its own hook (console only)
/// unless one was set through `yew::set_custom_panic_hook`.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let first = !STOPPED.swap(true, Ordering::SeqCst);
        console_error_panic_hook::hook(info);
        if first {
            show_banner(&info.to_string());
        }
    }));
}

/// True once the app has panicked: drivers such as the virtual-time timer stop.
pub fn stopped() -> bool {
    STOPPED.load(Ordering::Relaxed)
}

fn element(document: &Document, tag: &str, class: &str, text: &str) -> Option<Element> {
    let element = document.create_element(tag).ok()?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    element.set_text_content(Some(text));
    Some(element)
}

/// The page's address without `panic-test` (a test's request to fail must not repeat).
fn reload_url(location: &web_sys::Location) -> String {
    let search = location.search().unwrap_or_default();
    let kept: Vec<&str> = search.trim_start_matches('?').split('&').filter(|p| !p.is_empty() && !p.starts_with("panic-test")).collect();
    let query = if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) };
    format!("{}{}{}", location.pathname().unwrap_or_default(), query, location.hash().unwrap_or_default())
}

fn show_banner(message: &str) {
    let Some(window) = web_sys::window() else { return };
    let Some(document) = window.document() else { return };
    let Some(body) = document.body() else { return };
    let Some(banner) = element(&document, "div", "fatal", "") else { return };
    let _ = banner.set_attribute("role", "alert");
    let parts = [
        element(&document, "strong", "", "kubeglass stopped after an internal error."),
        element(
            &document,
            "span",
            "",
            " What you see is the cluster as it was just before. Reload to carry on from the last saved state. ",
        ),
        element(&document, "button", "btn btn-small fatal-reload", "Reload"),
        element(&document, "pre", "", &format!("The details (also in the browser console):\n{message}")),
    ];
    for part in parts.into_iter().flatten() {
        if part.tag_name() == "BUTTON" {
            let _ = part.set_attribute("type", "button");
            let location = window.location();
            let reload = Closure::<dyn Fn()>::new(move || {
                let url = reload_url(&location);
                let here = format!(
                    "{}{}{}",
                    location.pathname().unwrap_or_default(),
                    location.search().unwrap_or_default(),
                    location.hash().unwrap_or_default()
                );
                let _ = if url == here { location.reload() } else { location.set_href(&url) };
            });
            let _ = part.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref());
            reload.forget(); // lives as long as the page
        }
        let _ = banner.append_child(&part);
    }
    let _ = body.insert_before(&banner, body.first_child().as_ref());
}
