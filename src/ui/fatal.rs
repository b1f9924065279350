//! After a panic the app cannot go on (its state may be half-updated). Say so on the page
//! instead of freezing silently, log the panic to the browser console, and stop the timer so
//! that one panic is not followed by a new one every tick.

use std::sync::atomic::{AtomicBool, Ordering};

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

fn show_banner(message: &str) {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<div class=\"fatal\" role=\"alert\"><strong>kubeglass stopped after an internal error.</strong> \
         Reload the page to start a new cluster. The details (also in the browser console):<pre>{escaped}</pre></div>"
    );
    let body = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector("body").ok().flatten());
    if let Some(body) = body {
        let _ = body.insert_adjacent_html("afterbegin", &html);
    }
}
