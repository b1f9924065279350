//! The session kept in the browser: localStorage holds the last [`SavedSession`] (written at
//! most once a second, and only when it changed), and a session goes to and comes from a file
//! (Export and Import in the header). The embed view and read-only links keep nothing.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::session::SavedSession;

/// The localStorage key of the kept session.
const KEY: &str = "kubeglass-session";
/// The most this page keeps in localStorage, in characters (browsers allow about 5 MB).
pub const MAX_KEPT_CHARS: usize = 2_000_000;

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The kept session: `None` when there is none, an error sentence when it cannot be used.
pub fn load() -> Option<Result<SavedSession, String>> {
    let text = storage()?.get_item(KEY).ok().flatten()?;
    Some(SavedSession::from_json(&text))
}

/// Keeps `json`; an error sentence when it is too large or the browser refuses.
pub fn save(json: &str) -> Result<(), String> {
    if json.len() > MAX_KEPT_CHARS {
        return Err(format!(
            "This session is too large to keep in the browser ({} KB; at most {} KB): it will not survive a reload. Export it to keep it.",
            json.len() / 1024,
            MAX_KEPT_CHARS / 1024
        ));
    }
    let storage = storage().ok_or("This browser keeps no local storage for this page: the session will not survive a reload.")?;
    storage
        .set_item(KEY, json)
        .map_err(|_| "The browser refused to keep this session (its storage is full?): export it to keep it.".to_string())
}

/// Offers `json` as a download named `name`.
pub fn export(json: &str, name: &str) -> Result<(), String> {
    let failed = |_| "The browser refused the download.".to_string();
    let parts = js_sys::Array::of1(&json.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement = document.create_element("a").map_err(failed)?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads `file` as text and hands it, or an error sentence, to `done`.
pub fn read(file: &web_sys::File, done: impl FnOnce(Result<String, String>) + 'static) {
    let Ok(reader) = web_sys::FileReader::new() else {
        return done(Err("This browser cannot read files.".to_string()));
    };
    let finished = {
        let reader = reader.clone();
        Closure::once(move || {
            let text = reader.result().ok().and_then(|r| r.as_string());
            done(text.ok_or_else(|| "The file could not be read.".to_string()));
        })
    };
    reader.set_onloadend(Some(finished.as_ref().unchecked_ref()));
    // The reader calls back once; the closure must outlive this function until then.
    finished.forget();
    let _ = reader.read_as_text(file);
}
