//! Faults and operations from the diagram: a menu button on each node and control-plane
//! component whose items are the very `sim …` and `kubectl …` commands a reader would type.
//! Choosing one runs it through the console, so it is echoed there and the reader learns it.
//! Keyboard: Enter or Space opens the menu, the arrow keys move, Escape closes it.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

/// The commands offered for a worker node.
pub fn node_actions(node: &str, ready: bool) -> Vec<(String, String)> {
    let mut actions = vec![
        (format!("Stop {node} (power off)"), format!("sim node stop {node}")),
        (format!("Start {node}"), format!("sim node start {node}")),
        (format!("Partition {node} from the control plane"), format!("sim node partition {node}")),
        (format!("Drain {node}"), format!("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data")),
        (format!("Cordon {node}"), format!("kubectl cordon {node}")),
        (format!("Uncordon {node}"), format!("kubectl uncordon {node}")),
        (format!("Stop the kubelet on {node}"), format!("sim stop kubelet {node}")),
        (format!("Start the kubelet on {node}"), format!("sim start kubelet {node}")),
        (format!("Stop kube-proxy on {node}"), format!("sim stop kube-proxy {node}")),
        (format!("Start kube-proxy on {node}"), format!("sim start kube-proxy {node}")),
        (format!("Delete {node}"), format!("sim node delete {node}")),
    ];
    // The one that undoes what is wrong first.
    if !ready {
        actions.swap(0, 1);
    }
    actions
}

/// The commands offered for a control-plane component (`api-server`, `scheduler`,
/// `controller-manager`), by its `data-component` key.
pub fn component_actions(key: &str) -> Vec<(String, String)> {
    let (name, title) = match key {
        "api-server" => ("apiserver", "the API server"),
        "scheduler" => ("scheduler", "the scheduler"),
        "controller-manager" => ("controller-manager", "the controller manager"),
        _ => return Vec::new(),
    };
    vec![(format!("Stop {title}"), format!("sim stop {name}")), (format!("Start {title}"), format!("sim start {name}"))]
}

#[derive(Properties, PartialEq)]
pub struct ActionMenuProps {
    /// What the menu acts on, for its accessible name: `Actions for worker-1`.
    pub subject: AttrValue,
    /// (label, command) pairs.
    pub actions: Vec<(String, String)>,
    /// Runs a command in the console.
    pub on_run: Callback<String>,
}

fn items(menu: &NodeRef) -> Vec<HtmlElement> {
    let Some(menu) = menu.cast::<HtmlElement>() else { return Vec::new() };
    let Ok(list) = menu.query_selector_all("[role=menuitem]") else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok()).collect()
}

#[function_component(ActionMenu)]
pub fn action_menu(props: &ActionMenuProps) -> Html {
    let open = use_state(|| false);
    let menu = use_node_ref();
    let button = use_node_ref();
    // Opening moves the focus to the first item, as a menu button does.
    {
        let menu = menu.clone();
        use_effect_with(*open, move |open| {
            if *open {
                if let Some(first) = items(&menu).first() {
                    let _ = first.focus();
                }
            }
        });
    }
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let on_key = {
        let (open, menu, button) = (open.clone(), menu.clone(), button.clone());
        Callback::from(move |e: KeyboardEvent| {
            let all = items(&menu);
            let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
            let at = all.iter().position(|i| active.as_ref().is_some_and(|a| a == i.unchecked_ref::<web_sys::Element>()));
            let go = |i: usize| {
                if let Some(item) = all.get(i % all.len().max(1)) {
                    let _ = item.focus();
                }
            };
            match e.key().as_str() {
                "Escape" => {
                    e.prevent_default();
                    open.set(false);
                    if let Some(b) = button.cast::<HtmlElement>() {
                        let _ = b.focus();
                    }
                }
                "ArrowDown" => {
                    e.prevent_default();
                    go(at.map_or(0, |i| i + 1));
                }
                "ArrowUp" => {
                    e.prevent_default();
                    go(at.map_or(0, |i| i + all.len().saturating_sub(1)));
                }
                "Home" => go(0),
                "End" => go(all.len().saturating_sub(1)),
                _ => {}
            }
        })
    };
    html! {
        <div class="action-menu" onkeydown={on_key}>
            <button type="button" ref={button} class="menu-button" aria-haspopup="menu" aria-expanded={open.to_string()}
                aria-label={format!("Actions for {}", props.subject)} title={format!("Actions for {}", props.subject)} onclick={toggle}>
                <span aria-hidden="true">{"⋯"}</span>
            </button>
            if *open {
                <ul class="menu" role="menu" ref={menu} aria-label={format!("Actions for {}", props.subject)}>
                    { for props.actions.iter().map(|(label, command)| {
                        let run = {
                            let (open, on_run, command) = (open.clone(), props.on_run.clone(), command.clone());
                            Callback::from(move |_: MouseEvent| {
                                open.set(false);
                                on_run.emit(command.clone());
                            })
                        };
                        html! {
                            <li role="none">
                                <button type="button" role="menuitem" tabindex="-1" onclick={run}>
                                    <span class="menu-label">{label}</span>
                                    <code class="menu-command">{command}</code>
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
        </div>
    }
}
