//! The Services row of the diagram: each Service with the pods that serve it (its endpoints),
//! and the latest requests (`sim curl`), whose dots travel client → kube-proxy → pod. A request
//! that a stale rule sends to a pod that is gone ends in a red mark at the kube-proxy.

use std::rc::Rc;

use yew::prelude::*;

use crate::ui::motion;
use crate::ui::state::{Target, Traffic};
use crate::ui::traffic::ServiceView;
use crate::ui::view::ellipsize;

/// At most this many of a burst of new requests get a dot.
const DOTS_PER_BURST: usize = 4;

#[derive(Properties, PartialEq)]
pub struct ServicesProps {
    pub services: Rc<Vec<ServiceView>>,
    pub traffic: Rc<Traffic>,
    pub on_inspect: Callback<Target>,
}

#[function_component(Services)]
pub fn services(props: &ServicesProps) -> Html {
    use_effect_with(props.traffic.clone(), |traffic| {
        if !motion::reduced_motion() {
            for t in traffic.latest.iter().rev().take(traffic.fresh.min(DOTS_PER_BURST)) {
                let hops: Vec<String> = [Some(t.from.clone()), t.via.clone(), t.to.clone()].into_iter().flatten().collect();
                motion::travel(&hops, t.failed);
            }
        }
    });
    if props.services.is_empty() && props.traffic.latest.is_empty() {
        return html! {};
    }
    html! {
        <section class="services" aria-label="Services">
            <h3 class="section-label">{"Services"}</h3>
            <ul class="service-list">
                { for props.services.iter().map(|s| service(s, &props.on_inspect)) }
            </ul>
            if !props.traffic.latest.is_empty() {
                <ol class="traffic-list" aria-label="Latest requests">
                    { for props.traffic.latest.iter().map(|t| html! {
                        <li class={classes!(t.failed.then_some("is-failed"), t.stale.then_some("is-stale"))}>
                            <span class="traffic-mark" aria-hidden="true">{if t.failed { "✕" } else { "✓" }}</span>
                            <span class="traffic-caption">{&t.caption}</span>
                        </li>
                    }) }
                </ol>
            }
        </section>
    }
}

fn service(s: &ServiceView, on_inspect: &Callback<Target>) -> Html {
    let target = Target::Object { kind: "service".into(), namespace: Some(s.namespace.clone()), name: s.name.clone() };
    let onclick = on_inspect.reform(move |_: MouseEvent| target.clone());
    let pods: Vec<String> = s.endpoints.iter().filter_map(|e| e.pod.clone()).collect();
    let highlight = |on: bool| {
        let pods = pods.clone();
        Callback::from(move |_: FocusEvent| motion::highlight_pods(&pods, on))
    };
    let hover = |on: bool| {
        let pods = pods.clone();
        Callback::from(move |_: MouseEvent| motion::highlight_pods(&pods, on))
    };
    let ready = s.endpoints.iter().filter(|e| e.ready).count();
    html! {
        <li class="service card" key={format!("{}/{}", s.namespace, s.name)} data-service={s.name.clone()}
            onmouseenter={hover(true)} onmouseleave={hover(false)}>
            <div class="service-head">
                <button type="button" class="link service-name" {onclick} onfocus={highlight(true)} onblur={highlight(false)}
                    aria-label={format!("Service {}/{}", s.namespace, s.name)}>
                    <span class="service-glyph" aria-hidden="true">{"⇄"}</span>{&s.name}
                </button>
                <span class="service-type">{&s.type_}</span>
            </div>
            <div class="service-address">{&s.address}</div>
            if s.endpoints.is_empty() {
                <p class="service-none">{"no endpoints: no Ready pod matches its selector"}</p>
            } else {
                <ul class="endpoints" aria-label={format!("endpoints of {}: {ready} ready of {}", s.name, s.endpoints.len())}>
                    { for s.endpoints.iter().map(|e| {
                        let who = e.pod.clone().unwrap_or_else(|| e.ip.clone());
                        let place = e.node.as_ref().map(|n| format!(" on {n}")).unwrap_or_default();
                        html! {
                            <li class={classes!("endpoint", (!e.ready).then_some("is-unready"))}
                                title={format!("{who} ({}){place}{}", e.ip, if e.ready { "" } else { ", not ready" })}>
                                <span aria-hidden="true">{if e.ready { "●" } else { "◌" }}</span>
                                {ellipsize(&who, 22)}
                            </li>
                        }
                    }) }
                </ul>
            }
        </li>
    }
}
