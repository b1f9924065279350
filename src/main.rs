//! The browser entry point: mounts the Yew app (`kubeglass::ui::App`). Trunk builds it for
//! wasm32 (see index.html); a native build only says so.

#[cfg(target_arch = "wasm32")]
fn main() {
    // console_error_panic_hook, plus a message on the page (see ui/fatal.rs).
    kubeglass::ui::install_panic_hook();
    kubeglass::kubectl::set_table_source(kubeglass::ui::fetch_explain_table);
    yew::Renderer::<kubeglass::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    println!(
        "kubeglass-web is the browser app: build it with Trunk (`trunk build`, or `trunk serve`) \
         and open dist/index.html. For the native CLI, run `kubeglass run SCRIPT`."
    );
}
