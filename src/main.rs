//! The browser entry point: mounts the Yew app (`kubeglass::ui::App`). Trunk builds it for
//! wasm32 (see index.html); a native build only says so.

#[cfg(target_arch = "wasm32")]
fn main() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_fatal_error(&info.to_string());
    }));
    yew::Renderer::<kubeglass::ui::App>::new().render();
}

/// After a panic the app cannot go on; say so on the page instead of freezing silently.
#[cfg(target_arch = "wasm32")]
fn show_fatal_error(message: &str) {
    let escaped = message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let html = format!(
        "<div class=\"fatal\" role=\"alert\"><strong>kubeglass stopped after an internal error.</strong> \
         Reload the page to start a new cluster. Details (also in the browser console):<pre>{escaped}</pre></div>"
    );
    let body = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector("body").ok().flatten());
    if let Some(body) = body {
        let _ = body.insert_adjacent_html("afterbegin", &html);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    println!(
        "kubeglass-web is the browser app: build it with Trunk (`trunk build`, or `trunk serve`) \
         and open dist/index.html. For the native CLI, run `kubeglass run SCRIPT`."
    );
}
