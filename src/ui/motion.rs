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
/// How long a request's dot takes for each hop (client → kube-proxy → pod).
const HOP_MS: u32 = 450;
/// At most this many dots of any kind are in flight: at 64× a burst would only be a blur, and
/// each dot costs a layout.
const DOTS_IN_FLIGHT: usize = 12;

thread_local! {
    /// Where each pod chip (by uid) was last drawn, in viewport coordinates.
    static LAST_PLACE: RefCell<HashMap<String, (f64, f64)>> = RefCell::new(HashMap::new());
    /// How many dots are on their way now.
    static IN_FLIGHT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
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

/// The element drawn for a key: a component's box (`data-component`), or a pod's chip
/// (`pod:NAME`, by its `data-pod`).
fn component_box(key: &str) -> Option<Element> {
    let (attribute, value) = match key.strip_prefix("pod:") {
        Some(pod) => ("data-pod", pod),
        None => ("data-component", key),
    };
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    document()?.query_selector(&format!("[{attribute}=\"{escaped}\"]")).ok().flatten()
}

/// A dot laid over the page at `at`, counted as in flight until it is removed.
fn new_dot(class: &str, at: (f64, f64)) -> Option<HtmlElement> {
    if IN_FLIGHT.get() >= DOTS_IN_FLIGHT {
        return None;
    }
    let doc = document()?;
    let dot = doc.create_element("span").ok()?.dyn_into::<HtmlElement>().ok()?;
    dot.set_class_name(class);
    let _ = dot.style().set_property("transform", &format!("translate({}px, {}px)", at.0, at.1));
    doc.body()?.append_child(&dot).ok()?;
    IN_FLIGHT.set(IN_FLIGHT.get() + 1);
    let _ = dot.get_bounding_client_rect(); // lay out the start before the transition begins
    Some(dot)
}

fn remove_dot(dot: &HtmlElement) {
    dot.remove();
    IN_FLIGHT.set(IN_FLIGHT.get().saturating_sub(1));
}

/// Moves a dot to `to` over `ms` milliseconds.
fn move_dot(dot: &HtmlElement, to: (f64, f64), ms: u32) {
    let style = dot.style();
    let _ = style.set_property("transition", &format!("transform {ms}ms ease-in-out, opacity {ms}ms"));
    let _ = style.set_property("transform", &format!("translate({}px, {}px)", to.0, to.1));
}

/// Sends a dot from the box of component `from` to the box of `to` (both `data-component`
/// keys); a component that is not drawn sends or receives nothing.
pub fn fly(from: &str, to: &str) {
    let (Some(a), Some(b)) = (component_box(from), component_box(to)) else { return };
    let Some(dot) = new_dot("message-dot", centre(&a)) else { return };
    move_dot(&dot, centre(&b), DOT_MS);
    Timeout::new(DOT_MS, move || remove_dot(&dot)).forget();
}

/// Sends a request's dot along its hops (keys as for [`fly`]; hops that are not drawn are
/// skipped). A failed request ends in a red mark where it stopped.
pub fn travel(hops: &[String], failed: bool) {
    let points: Vec<(f64, f64)> = hops.iter().filter_map(|k| component_box(k)).map(|e| centre(&e)).collect();
    let Some((&start, rest)) = points.split_first() else { return };
    let Some(dot) = new_dot(if failed { "traffic-dot is-failing" } else { "traffic-dot" }, start) else { return };
    let mut delay = 0;
    for &point in rest {
        let dot = dot.clone();
        Timeout::new(delay, move || move_dot(&dot, point, HOP_MS)).forget();
        delay += HOP_MS;
    }
    if failed {
        let dot = dot.clone();
        Timeout::new(delay, move || dot.set_class_name("traffic-dot is-failed")).forget();
        delay += HOP_MS * 2;
    }
    Timeout::new(delay, move || remove_dot(&dot)).forget();
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

/// Marks (or unmarks) the chips of these pods: the pods a hovered Service sends traffic to.
pub fn highlight_pods(pods: &[String], on: bool) {
    for pod in pods {
        if let Some(chip) = component_box(&format!("pod:{pod}")) {
            let _ = if on { chip.class_list().add_1("is-served") } else { chip.class_list().remove_1("is-served") };
        }
    }
}
