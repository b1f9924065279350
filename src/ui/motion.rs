//! Motion drawn straight on the DOM, outside Yew's diffing: message dots that travel from one
//! component's box to another's, and pods that glide from where they were drawn before (the
//! scheduler's queue, a dead node) to where they are now. `prefers-reduced-motion` turns both
//! off: the diagram then changes at once.

use std::cell::RefCell;
use std::collections::HashMap;

use gloo::timers::callback::Timeout;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// How long a message dot travels, in wall milliseconds.
const DOT_MS: u32 = 700;
/// How long a pod glides to its new place.
const GLIDE_MS: u32 = 600;
/// Forget where pods were once this many are remembered (deleted pods leave entries).
const REMEMBERED: usize = 20_000;

thread_local! {
    /// Where each pod chip (by uid) was last drawn, in viewport coordinates.
    static LAST_PLACE: RefCell<HashMap<String, (f64, f64)>> = RefCell::new(HashMap::new());
}

pub fn reduced_motion() -> bool {
    web_sys::window().and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten()).is_some_and(|m| m.matches())
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn centre(el: &Element) -> (f64, f64) {
    let r = el.get_bounding_client_rect();
    (r.left() + r.width() / 2.0, r.top() + r.height() / 2.0)
}

fn component_box(key: &str) -> Option<Element> {
    let escaped = key.replace('\\', "\\\\").replace('"', "\\\"");
    document()?.query_selector(&format!("[data-component=\"{escaped}\"]")).ok().flatten()
}

/// Sends a dot from the box of component `from` to the box of `to` (both `data-component`
/// keys); a component that is not drawn sends or receives nothing.
pub fn fly(from: &str, to: &str) {
    let (Some(a), Some(b), Some(doc)) = (component_box(from), component_box(to), document()) else { return };
    let (Some(body), Ok(dot)) = (doc.body(), doc.create_element("span")) else { return };
    let Ok(dot) = dot.dyn_into::<HtmlElement>() else { return };
    let ((x0, y0), (x1, y1)) = (centre(&a), centre(&b));
    dot.set_class_name("message-dot");
    let style = dot.style();
    let _ = style.set_property("transform", &format!("translate({x0}px, {y0}px)"));
    if body.append_child(&dot).is_err() {
        return;
    }
    let _ = dot.get_bounding_client_rect(); // lay out the start before the transition begins
    let _ = style.set_property("transition", &format!("transform {DOT_MS}ms ease-in-out, opacity {DOT_MS}ms"));
    let _ = style.set_property("transform", &format!("translate({x1}px, {y1}px)"));
    Timeout::new(DOT_MS, move || dot.remove()).forget();
}

/// Called after a pod chip is drawn: if the pod was drawn somewhere else before, it glides
/// from there (FLIP: start at the old place, transition to the new one).
pub fn glide(uid: &str, el: &Element, just_mounted: bool) {
    let here = el.get_bounding_client_rect();
    let now = (here.left(), here.top());
    let before = LAST_PLACE.with(|places| {
        let mut places = places.borrow_mut();
        if places.len() > REMEMBERED {
            places.clear();
        }
        places.insert(uid.to_string(), now)
    });
    let Some((x, y)) = before.filter(|_| just_mounted && !reduced_motion()) else { return };
    let (dx, dy) = (x - now.0, y - now.1);
    if dx.abs() + dy.abs() < 4.0 {
        return;
    }
    let Some(chip) = el.dyn_ref::<HtmlElement>() else { return };
    let style = chip.style();
    let _ = style.set_property("transition", "none");
    let _ = style.set_property("transform", &format!("translate({dx}px, {dy}px)"));
    let _ = chip.get_bounding_client_rect();
    let _ = style.set_property("transition", &format!("transform {GLIDE_MS}ms ease-in-out"));
    let _ = style.set_property("transform", "");
}
