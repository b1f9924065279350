//! The top bar: the name and the theme toggle. The theme follows the system until the reader
//! picks one; the choice is kept in localStorage and set as `data-theme` on `<html>`.

use yew::prelude::*;

/// The localStorage key of the reader's theme choice.
const THEME_KEY: &str = "kubeglass-theme";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn system_dark() -> bool {
    web_sys::window().and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten()).is_some_and(|m| m.matches())
}

/// Sets `data-theme` on the root element (`None`: follow the system).
fn apply_theme(theme: Option<&str>) {
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = match theme {
            Some(t) => root.set_attribute("data-theme", t),
            None => root.remove_attribute("data-theme"),
        };
    }
}

#[function_component(Header)]
pub fn header() -> Html {
    // The explicit choice, if any; `None` follows the system.
    let chosen = use_state(|| storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten()));
    {
        let chosen = (*chosen).clone();
        use_effect_with(chosen, |chosen| apply_theme(chosen.as_deref()));
    }
    let dark = match chosen.as_deref() {
        Some(theme) => theme == "dark",
        None => system_dark(),
    };
    let toggle = {
        let chosen = chosen.clone();
        Callback::from(move |_: MouseEvent| {
            let next = if dark { "light" } else { "dark" };
            if let Some(s) = storage() {
                let _ = s.set_item(THEME_KEY, next);
            }
            chosen.set(Some(next.to_string()));
        })
    };
    let label = if dark { "Switch to light theme" } else { "Switch to dark theme" };

    html! {
        <header class="topbar">
            <div class="brand">
                <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                    // A heptagon, as in Kubernetes' wheel, seen through glass.
                    <polygon points="12,2 20.2,6 22.2,14.8 16.6,22 7.4,22 1.8,14.8 3.8,6" />
                    <path d="M6 15 L12 6 L15 10" />
                </svg>
                <h1>{"kubeglass"}</h1>
                <span class="brand-tag">{"a Kubernetes cluster you can see through"}</span>
            </div>
            <button type="button" class="btn theme-toggle" onclick={toggle} aria-label={label} title={label}>
                <span aria-hidden="true">{if dark { "☀" } else { "☾" }}</span>
                <span class="theme-word">{if dark { "Light" } else { "Dark" }}</span>
            </button>
        </header>
    }
}
