//! The Share dialog: a link to this cluster as it is now (the session's commands as the
//! link's scenario, with the page's panels and theme) and an `<iframe>` snippet that embeds
//! it, each with a Copy button. A native `<dialog>`: modal, focus kept inside, Escape closes.

use web_sys::HtmlDialogElement;
use yew::prelude::*;

use crate::session::link::{Link, Panel};
use crate::session::scenario::Scenario;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The session as a script: the scenario the link carries.
    pub script: String,
    pub panels: Vec<Panel>,
    pub theme: Option<&'static str>,
    pub lesson: Option<String>,
    pub on_close: Callback<()>,
}

/// The page's address without its query and hash: where shared links point.
fn base_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let origin = location.as_ref().and_then(|l| l.origin().ok()).unwrap_or_default();
    let path = location.as_ref().and_then(|l| l.pathname().ok()).unwrap_or_default();
    format!("{origin}{path}")
}

fn url(link: &Link) -> String {
    let query = link.to_query();
    let hash = link.to_hash();
    let mut url = base_url();
    if !query.is_empty() {
        url.push_str(&format!("?{query}"));
    }
    if !hash.is_empty() {
        url.push_str(&format!("#{hash}"));
    }
    url
}

/// The `<iframe>` an author pastes into a page.
fn snippet(src: &str) -> String {
    let src = src.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<iframe src=\"{src}\" title=\"kubeglass: a live, simulated Kubernetes cluster\" width=\"100%\" height=\"520\" \
         style=\"border: 1px solid #d8dee6; border-radius: 8px\" loading=\"lazy\"></iframe>"
    )
}

fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[function_component(ShareDialog)]
pub fn share_dialog(props: &ShareProps) -> Html {
    let dialog = use_node_ref();
    let readonly = use_state(|| false);
    let autoplay = use_state(|| true);
    let copied = use_state(|| None::<&'static str>);
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(dialog) = dialog.cast::<HtmlDialogElement>() {
                let _ = dialog.show_modal();
            }
        });
    }

    let scenario = Scenario { manifests: String::new(), script: props.script.clone() };
    let encoded = scenario.encode();
    // What the receiving page will check: refuse here what it would refuse there.
    let problem = Scenario::decode(&encoded).err();
    let default_panels = Link::default().panels();
    let link = Link {
        panels: (props.panels != default_panels).then(|| props.panels.clone()),
        lesson: props.lesson.clone(),
        theme: props.theme,
        readonly: *readonly,
        autoplay: (!*autoplay).then_some(false),
        scenario: Some(scenario),
        ..Link::default()
    };
    // The embed view leaves out the editor and the inspector: a page has little room.
    let embed_panels: Vec<Panel> = props.panels.iter().copied().filter(|p| !matches!(p, Panel::Editor | Panel::Inspector)).collect();
    let embed = Link {
        embed: true,
        panels: (embed_panels != Link { embed: true, ..Link::default() }.panels()).then_some(embed_panels),
        autoplay: Some(*autoplay),
        ..link.clone()
    };
    let page_url = url(&link);
    let iframe = snippet(&url(&embed));

    let close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: Event| on_close.emit(()))
    };
    // Closing through the dialog returns focus to the Share button; its `close` event tells the page.
    let close_button = {
        let dialog = dialog.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(dialog) = dialog.cast::<HtmlDialogElement>() {
                dialog.close();
            }
        })
    };
    let copy_button = |what: &'static str, text: String| {
        let done = *copied == Some(what);
        let copied = copied.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            copy(&text);
            copied.set(Some(what));
        });
        html! {
            <button type="button" class="btn btn-small" {onclick} aria-label={format!("Copy the {what}")}>
                {if done { "Copied" } else { "Copy" }}
            </button>
        }
    };
    let toggle = |state: &UseStateHandle<bool>| {
        let state = state.clone();
        Callback::from(move |_: Event| state.set(!*state))
    };

    html! {
        <dialog ref={dialog} class="share" aria-labelledby="share-title" onclose={close}>
            <div class="share-head">
                <h2 id="share-title">{"Share this cluster"}</h2>
                <button type="button" class="btn btn-small" onclick={close_button} aria-label="Close the Share dialog">{"Close"}</button>
            </div>
            <p class="hint">{format!("The link replays this session's commands ({} lines of script) on a fresh cluster, so whoever opens it sees this cluster as it is now.", props.script.lines().count())}</p>
            if let Some(problem) = problem {
                <p class="share-problem" role="alert">{format!("This session cannot go into a link: {problem}. Export it as a file instead.")}</p>
            } else {
                <fieldset class="share-options">
                    <legend>{"Options"}</legend>
                    <label><input type="checkbox" checked={*readonly} onchange={toggle(&readonly)} />{" Read-only: the reader can look but not change the cluster"}</label>
                    <label><input type="checkbox" checked={*autoplay} onchange={toggle(&autoplay)} />{" Start the clock at once"}</label>
                </fieldset>
                <div class="share-field">
                    <label for="share-link">{"Link"}</label>
                    <div class="share-row">
                        <input id="share-link" type="text" readonly=true value={page_url.clone()} />
                        {copy_button("link", page_url)}
                    </div>
                </div>
                <div class="share-field">
                    <label for="share-embed">{"Embed in a page (an <iframe>)"}</label>
                    <div class="share-row">
                        <textarea id="share-embed" readonly=true rows="4" value={iframe.clone()} />
                        {copy_button("iframe snippet", iframe)}
                    </div>
                </div>
            }
        </dialog>
    }
}
