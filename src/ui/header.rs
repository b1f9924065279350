//! The top bar: the name, Share, Export and Import of the session, and the theme toggle. The
//! theme follows the system until the reader picks one (or a link's `theme=` does); the
//! reader's choice is kept in localStorage and set as `data-theme` on `<html>`.

use web_sys::HtmlInputElement;
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
pub fn apply_theme(theme: Option<&str>) {
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = match theme {
            Some(t) => root.set_attribute("data-theme", t),
            None => root.remove_attribute("data-theme"),
        };
    }
}

/// The theme shown now: `data-theme` on `<html>`, else the system's.
pub fn current_theme() -> &'static str {
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element());
    match root.and_then(|r| r.get_attribute("data-theme")).as_deref() {
        Some("dark") => "dark",
        Some("light") => "light",
        _ if system_dark() => "dark",
        _ => "light",
    }
}

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// A link's `theme=`: shown instead of the kept choice until the reader toggles.
    pub theme: Option<&'static str>,
    pub on_share: Callback<()>,
    /// Export and Import exist only where the session is kept (not for read-only links).
    pub keeps_session: bool,
    pub on_export: Callback<()>,
    pub on_import: Callback<web_sys::File>,
    pub on_reset: Callback<()>,
    /// Opens or closes the lesson panel.
    pub on_lessons: Callback<()>,
    pub lessons_open: bool,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    // The explicit choice, if any; `None` follows the system.
    let link_theme = props.theme;
    let chosen = use_state(|| link_theme.map(str::to_string).or_else(|| storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten())));
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
    let share = props.on_share.reform(|_: MouseEvent| ());
    let export = props.on_export.reform(|_: MouseEvent| ());
    let reset = props.on_reset.reform(|_: MouseEvent| ());
    let lessons = props.on_lessons.reform(|_: MouseEvent| ());
    let file_input = use_node_ref();
    let pick = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = file_input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let import = {
        let on_import = props.on_import.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                on_import.emit(file);
            }
            input.set_value(""); // the same file again is a new choice
        })
    };

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
            <div class="topbar-actions">
                <button type="button" class="btn" onclick={lessons} aria-pressed={props.lessons_open.to_string()}
                    title="Guided lessons that check themselves">{"Lessons"}</button>
                <button type="button" class="btn" onclick={share} title="A link and an embed snippet for this cluster">{"Share"}</button>
                if props.keeps_session {
                    <button type="button" class="btn" onclick={export} title="Download this session as a file">{"Export"}</button>
                    <button type="button" class="btn" onclick={pick} title="Open a session file">{"Import"}</button>
                    <input ref={file_input} type="file" accept=".json,application/json" class="visually-hidden" tabindex="-1"
                        aria-hidden="true" onchange={import} />
                    <button type="button" class="btn" onclick={reset} title="Forget this session and start with the default cluster">{"New cluster"}</button>
                }
                <button type="button" class="btn theme-toggle" onclick={toggle} aria-label={label} title={label}>
                    <span aria-hidden="true">{if dark { "☀" } else { "☾" }}</span>
                    <span class="theme-word">{if dark { "Light" } else { "Dark" }}</span>
                </button>
            </div>
        </header>
    }
}
