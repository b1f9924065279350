//! Export: the cluster diagram as a self-contained SVG (inline attributes only, no stylesheet,
//! no script, no external font), drawn from the snapshot in the theme the page shows, and as a
//! PNG painted from that SVG on a canvas. Both are downloaded through `blob:` URLs, so they
//! work under a strict Content-Security-Policy (no inline script, no eval).

use std::collections::BTreeMap;
use std::fmt::Write;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlCanvasElement, HtmlImageElement, Url};
use yew::prelude::*;

use crate::ui::node_card::CROWDED;
use crate::ui::traffic::ServiceView;
use crate::ui::view::{owner_hue, short_pod_name, PodLook};
use crate::{NodeView, PodView, Snapshot};

const WIDTH: u32 = 1200;
const MARGIN: u32 = 24;
const CARD_W: u32 = 222;
const GAP: u32 = 14;
const CHIP_W: u32 = 98;
const CHIP_H: u32 = 20;
/// The PNG is painted at twice the SVG's size, for sharp pictures on high-density screens.
const PNG_SCALE: u32 = 2;

/// The colours of one theme, as the page's stylesheet has them.
struct Palette {
    bg: &'static str,
    surface: &'static str,
    border: &'static str,
    text: &'static str,
    muted: &'static str,
    accent: &'static str,
    ok: &'static str,
    bad: &'static str,
    chip_text: &'static str,
    /// Saturation and lightness of owner colours.
    owner_sl: (f64, f64),
}

const LIGHT: Palette = Palette {
    bg: "#f3f5f8",
    surface: "#ffffff",
    border: "#b9c2ce",
    text: "#1b2330",
    muted: "#5f6b7a",
    accent: "#2d6cb0",
    ok: "#23804f",
    bad: "#c43d1b",
    chip_text: "#ffffff",
    owner_sl: (0.50, 0.42),
};
const DARK: Palette = Palette {
    bg: "#0f1319",
    surface: "#161b22",
    border: "#3b4552",
    text: "#e2e7ee",
    muted: "#97a1af",
    accent: "#79aee8",
    ok: "#5cc98b",
    bad: "#f08a64",
    chip_text: "#0f1319",
    owner_sl: (0.48, 0.64),
};

/// `hsl(h, s, l)` as `#rrggbb`, so that every SVG reader shows the same colour.
fn hsl_hex(h: f64, s: f64, l: f64) -> String {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = (h % 360.0) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text at (x, y): `size` px, `weight`, `fill`; monospace when `mono`.
fn text(out: &mut String, x: u32, y: u32, size: u32, fill: &str, weight: u32, mono: bool, s: &str) {
    let family = if mono {
        "ui-monospace, Menlo, Consolas, 'DejaVu Sans Mono', monospace"
    } else {
        "system-ui, 'Segoe UI', Roboto, Arial, sans-serif"
    };
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" font-family="{family}" font-size="{size}" font-weight="{weight}" fill="{fill}">{}</text>"#,
        esc(s)
    );
}

fn rect(out: &mut String, x: u32, y: u32, w: u32, h: u32, r: u32, fill: &str, stroke: &str, dashed: bool) {
    let dash = if dashed { r#" stroke-dasharray="5 3""# } else { "" };
    let _ = write!(
        out,
        r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{r}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}/>"#
    );
}

/// What a node's card shows: every pod, or one chip per owner with a count when crowded.
fn chips(pods: &[PodView]) -> Vec<(String, Option<String>, PodLook)> {
    if pods.len() <= CROWDED {
        return pods.iter().map(|p| (short_pod_name(&p.name, p.owner.as_deref()), p.owner.clone(), PodLook::of(&p.status))).collect();
    }
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for p in pods {
        *groups.entry(p.owner.clone().unwrap_or_else(|| "bare pods".into())).or_default() += 1;
    }
    groups
        .into_iter()
        .map(|(owner, n)| (format!("{} ×{n}", owner.rsplit('/').next().unwrap_or(&owner)), Some(owner), PodLook::Running))
        .collect()
}

fn chip(out: &mut String, p: &Palette, x: u32, y: u32, name: &str, owner: Option<&str>, look: PodLook) {
    let colour = owner.map_or_else(|| p.muted.to_string(), |o| hsl_hex(f64::from(owner_hue(o)), p.owner_sl.0, p.owner_sl.1));
    let solid = matches!(look, PodLook::Running | PodLook::Terminating);
    let (fill, ink) = if solid { (colour.as_str(), p.chip_text) } else { (p.surface, p.text) };
    let dashed = matches!(look, PodLook::Pending | PodLook::Completed);
    let stroke = if look == PodLook::Failing { p.bad } else { colour.as_str() };
    let opacity = if look == PodLook::Terminating { r#" opacity="0.45""# } else { "" };
    let _ = write!(out, "<g{opacity}>");
    rect(out, x, y, CHIP_W, CHIP_H, CHIP_H / 2, fill, stroke, dashed);
    text(out, x + 6, y + 14, 11, ink, 500, true, &format!("{} {}", look.glyph(), crate::ui::view::ellipsize(name, 12)));
    out.push_str("</g>");
}

/// Height of a node card holding `n` chips, two per row.
fn card_height(n: usize) -> u32 {
    let rows = u32::try_from(n.div_ceil(2)).unwrap_or(u32::MAX / 64).max(1);
    58 + rows * (CHIP_H + 6)
}

fn node_card(out: &mut String, p: &Palette, x: u32, y: u32, h: u32, node: &NodeView) {
    let ready = node.status == "Ready";
    rect(out, x, y, CARD_W, h, 10, p.surface, p.border, !ready);
    text(out, x + 10, y + 20, 13, p.text, 600, true, &crate::ui::view::ellipsize(&node.name, 18));
    let (mark, colour) = if ready { ("●", p.ok) } else { ("○", p.bad) };
    text(out, x + 10, y + 38, 11, colour, 600, false, &format!("{mark} {}", node.status));
    let count = if node.pods.len() == 1 { "1 pod".to_string() } else { format!("{} pods", node.pods.len()) };
    text(out, x + CARD_W - 60, y + 38, 11, p.muted, 400, false, &count);
    for (i, (name, owner, look)) in chips(&node.pods).iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        chip(out, p, x + 10 + (i % 2) * (CHIP_W + 6), y + 48 + (i / 2) * (CHIP_H + 6), name, owner.as_deref(), *look);
    }
}

/// The whole diagram as one SVG document.
pub fn svg(snapshot: &Snapshot, services: &[ServiceView], dark: bool, clock: &str) -> String {
    let p = if dark { &DARK } else { &LIGHT };
    let mut body = String::new();
    let mut y = MARGIN;
    text(&mut body, MARGIN, y + 16, 18, p.text, 700, false, "kubeglass");
    text(&mut body, MARGIN + 112, y + 16, 13, p.muted, 400, false, &format!("the cluster at virtual time {clock}"));
    y += 34;

    // The control plane: its components, and the pods waiting for a node.
    let control = snapshot.nodes.iter().find(|n| n.control_plane);
    let waiting = chips(&snapshot.unscheduled);
    let cp_h = 100 + if waiting.is_empty() { 0 } else { 26 };
    rect(&mut body, MARGIN, y, WIDTH - 2 * MARGIN, cp_h, 12, p.surface, p.border, false);
    let name = control.map_or("control plane", |n| n.name.as_str());
    text(&mut body, MARGIN + 12, y + 22, 13, p.text, 600, true, &format!("{name} · control plane"));
    let parts = ["API server", "etcd", "scheduler", "controller manager"];
    let part_w = (WIDTH - 2 * MARGIN - 24 - 3 * GAP) / 4;
    for (i, part) in (0u32..).zip(parts) {
        let x = MARGIN + 12 + i * (part_w + GAP);
        rect(&mut body, x, y + 34, part_w, 34, 8, p.bg, if i == 0 { p.accent } else { p.border }, false);
        text(&mut body, x + 10, y + 56, 13, p.text, 600, false, part);
    }
    let queue = if waiting.is_empty() {
        "waiting at the scheduler: none".to_string()
    } else {
        format!("waiting at the scheduler: {}", snapshot.unscheduled.len())
    };
    text(&mut body, MARGIN + 12, y + 88, 11, p.muted, 400, false, &queue);
    for (i, (name, owner, look)) in (0u32..).zip(waiting.iter().take(10)) {
        chip(&mut body, p, MARGIN + 12 + i * (CHIP_W + 6), y + 96, name, owner.as_deref(), *look);
    }
    y += cp_h + 16;

    // Services, with how many endpoints serve each.
    if !services.is_empty() {
        text(&mut body, MARGIN, y + 12, 11, p.muted, 600, false, "SERVICES");
        y += 20;
        let per_row = (WIDTH - 2 * MARGIN + GAP) / (CARD_W + GAP);
        for (i, s) in (0u32..).zip(services) {
            let (x, row_y) = (MARGIN + (i % per_row) * (CARD_W + GAP), y + (i / per_row) * 58);
            rect(&mut body, x, row_y, CARD_W, 48, 8, p.surface, p.accent, false);
            text(&mut body, x + 10, row_y + 19, 12, p.text, 600, true, &format!("⇄ {}", crate::ui::view::ellipsize(&s.name, 22)));
            let ready = s.endpoints.iter().filter(|e| e.ready).count();
            text(&mut body, x + 10, row_y + 37, 11, p.muted, 400, false, &format!("{} · {ready} ready endpoints", s.type_));
        }
        let rows = u32::try_from(services.len()).unwrap_or(0).div_ceil(per_row.max(1));
        y += rows * 58 + 8;
    }

    // The worker nodes, in rows of cards.
    let workers: Vec<&NodeView> = snapshot.nodes.iter().filter(|n| !n.control_plane).collect();
    let per_row = ((WIDTH - 2 * MARGIN + GAP) / (CARD_W + GAP)).max(1);
    for row in workers.chunks(per_row as usize) {
        let h = row.iter().map(|n| card_height(chips(&n.pods).len())).max().unwrap_or(80);
        for (i, node) in (0u32..).zip(row) {
            node_card(&mut body, p, MARGIN + i * (CARD_W + GAP), y, h, node);
        }
        y = y.saturating_add(h + GAP);
    }

    // The key: shapes of the states.
    let mut x = MARGIN;
    for (look, name) in [
        (PodLook::Pending, "Pending"),
        (PodLook::Creating, "Creating"),
        (PodLook::Running, "Running"),
        (PodLook::Terminating, "Terminating"),
        (PodLook::Failing, "Failing"),
    ] {
        chip(&mut body, p, x, y + 4, name, Some("Deployment/key"), look);
        x += CHIP_W + 10;
    }
    y += CHIP_H + MARGIN + 8;
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y}" viewBox="0 0 {WIDTH} {y}" role="img"><title>kubeglass: the cluster at {}</title><rect width="100%" height="100%" fill="{}"/>{body}</svg>"#,
        esc(clock),
        p.bg
    )
}

/// Whether the page shows the dark theme (the reader's choice, else the system's).
fn page_is_dark() -> bool {
    let window = web_sys::window();
    let chosen = window.as_ref().and_then(|w| w.document()).and_then(|d| d.document_element()).and_then(|e| e.get_attribute("data-theme"));
    match chosen.as_deref() {
        Some(theme) => theme == "dark",
        None => window.and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten()).is_some_and(|m| m.matches()),
    }
}

fn svg_blob(svg: &str) -> Option<Blob> {
    let parts = js_sys::Array::of1(&JsValue::from_str(svg));
    let options = BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    Blob::new_with_str_sequence_and_options(&parts, &options).ok()
}

/// Offers `blob` as a download named `file` (a `blob:` URL, revoked once the click is done).
fn download(blob: &Blob, file: &str) -> Option<()> {
    let url = Url::create_object_url_with_blob(blob).ok()?;
    let document = web_sys::window()?.document()?;
    let link: HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
    link.set_href(&url);
    link.set_download(file);
    link.click();
    gloo::timers::callback::Timeout::new(1000, move || {
        let _ = Url::revoke_object_url(&url);
    })
    .forget();
    Some(())
}

/// Paints the SVG on a canvas at [`PNG_SCALE`] and downloads the PNG.
fn download_png(svg: &str, width: u32, height: u32) -> Option<()> {
    let url = Url::create_object_url_with_blob(&svg_blob(svg)?).ok()?;
    let image = HtmlImageElement::new().ok()?;
    let loaded = image.clone();
    let source = url.clone();
    let onload = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&source);
        let paint = || -> Option<()> {
            let document = web_sys::window()?.document()?;
            let canvas: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
            canvas.set_width(width * PNG_SCALE);
            canvas.set_height(height * PNG_SCALE);
            let context: web_sys::CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
            context
                .draw_image_with_html_image_element_and_dw_and_dh(
                    &loaded,
                    0.0,
                    0.0,
                    f64::from(width * PNG_SCALE),
                    f64::from(height * PNG_SCALE),
                )
                .ok()?;
            let done = Closure::once_into_js(move |blob: JsValue| {
                if let Ok(blob) = blob.dyn_into::<Blob>() {
                    let _ = download(&blob, "kubeglass-cluster.png");
                }
            });
            canvas.to_blob(done.unchecked_ref()).ok()
        };
        let _ = paint();
    });
    image.set_onload(Some(onload.unchecked_ref()));
    image.set_src(&url);
    Some(())
}

/// The size an SVG document declares (`width="…" height="…"` of its root).
fn declared_size(svg: &str) -> (u32, u32) {
    let attr = |name: &str| svg.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next()).and_then(|v| v.parse().ok());
    (attr("width").unwrap_or(WIDTH), attr("height").unwrap_or(600))
}

#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub snapshot: std::rc::Rc<Snapshot>,
    pub services: std::rc::Rc<Vec<ServiceView>>,
    /// The virtual clock, as the timeline shows it.
    pub clock: AttrValue,
}

/// Two buttons: the diagram as SVG, and as PNG.
#[function_component(Export)]
pub fn export(props: &ExportProps) -> Html {
    let make = {
        let (snapshot, services, clock) = (props.snapshot.clone(), props.services.clone(), props.clock.clone());
        move || svg(&snapshot, &services, page_is_dark(), &clock)
    };
    let as_svg = {
        let make = make.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(blob) = svg_blob(&make()) {
                let _ = download(&blob, "kubeglass-cluster.svg");
            }
        })
    };
    let as_png = Callback::from(move |_: MouseEvent| {
        let svg = make();
        let (w, h) = declared_size(&svg);
        let _ = download_png(&svg, w, h);
    });
    html! {
        <div class="export" role="group" aria-label="Export the diagram">
            <button type="button" class="btn btn-small" onclick={as_svg} aria-label="Export the diagram as SVG">{"Export SVG"}</button>
            <button type="button" class="btn btn-small" onclick={as_png} aria-label="Export the diagram as PNG">{"Export PNG"}</button>
        </div>
    }
}
