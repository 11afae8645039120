//! The keyboard: `j`/`k` (or the arrows) next and previous conversation, `r` reply, `n` note,
//! `a` assign to me, `e` resolve, `z` the snooze menu, `/` search, `Escape` out of a field or
//! back to the list, `?` the overlay that lists them.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use yew::prelude::*;

use crate::i18n::{Locale, texts};
use crate::state::{Action, Console};
use crate::views::composer;
use crate::views::thread::{self, Act};

/// Listens to the document's keys for as long as the console is signed in, and acts on them.
#[hook]
pub fn use_shortcuts(console: &UseReducerHandle<Console>, help: UseStateSetter<bool>) {
    let latest = use_mut_ref(|| None);
    *latest.borrow_mut() = Some(console.clone());
    use_effect_with((), move |_| {
        let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |event: KeyboardEvent| {
            if let Some(console) = latest.borrow().clone() {
                shortcut(&console, &help, &event);
            }
        });
        let document = web_sys::window().and_then(|window| window.document());
        if let Some(document) = &document {
            let _ = document
                .add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(document) = document {
                let _ = document.remove_event_listener_with_callback(
                    "keydown",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

fn shortcut(
    console: &UseReducerHandle<Console>,
    help: &UseStateSetter<bool>,
    event: &KeyboardEvent,
) {
    if event.ctrl_key() || event.meta_key() || event.alt_key() {
        return;
    }
    let typing = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        });
    if event.key() == "Escape" {
        help.set(false);
        if typing {
            if let Some(element) = web_sys::window()
                .and_then(|window| window.document())
                .and_then(|document| document.active_element())
                .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = element.blur();
            }
        } else {
            console.dispatch(Action::Select(None));
        }
        return;
    }
    if typing {
        return;
    }
    let step = |by: isize| {
        let list = console.visible();
        let here = console
            .selected
            .and_then(|id| list.iter().position(|conversation| conversation.id == id));
        let next = match here {
            Some(here) => here
                .saturating_add_signed(by)
                .min(list.len().saturating_sub(1)),
            None => 0,
        };
        if let Some(conversation) = list.get(next) {
            console.dispatch(Action::Select(Some(conversation.id)));
        }
    };
    let handled = match event.key().as_str() {
        "j" | "ArrowDown" => {
            step(1);
            true
        }
        "k" | "ArrowUp" => {
            step(-1);
            true
        }
        "r" => composer::focus(false),
        "n" => composer::focus(true),
        "a" => thread::act(console, Act::AssignToMe),
        "e" => thread::act(console, Act::Resolve),
        "/" => focus_first(".search input"),
        "z" => {
            // The snooze menu, opened, its first choice under the cursor.
            let opened = web_sys::window()
                .and_then(|window| window.document())
                .and_then(|document| document.query_selector(".snooze").ok().flatten())
                .is_some_and(|menu| menu.set_attribute("open", "").is_ok());
            opened && focus_first(".snooze ul button")
        }
        "?" => {
            help.set(true);
            true
        }
        _ => false,
    };
    if handled {
        event.prevent_default();
    }
}

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub locale: Locale,
    pub on_close: Callback<()>,
}

/// The overlay `?` opens.
#[function_component(ShortcutHelp)]
pub fn shortcut_help(props: &HelpProps) -> Html {
    let t = texts(props.locale);
    let keys = [
        ("j ↓", t.key_next),
        ("k ↑", t.key_previous),
        ("r", t.key_reply),
        ("n", t.key_note),
        ("a", t.key_assign),
        ("e", t.key_resolve),
        ("z", t.key_snooze),
        ("/", t.key_search),
        ("Esc", t.key_back),
        ("?", t.key_help),
    ];
    let on_close = props.on_close.clone();
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
            <div class="card">
                <h2 id="shortcuts-title">{ t.shortcuts }</h2>
                <dl>
                    { for keys.iter().map(|(key, what)| html! {
                        <><dt><kbd>{ *key }</kbd></dt><dd>{ *what }</dd></>
                    }) }
                </dl>
                <button onclick={Callback::from(move |_| on_close.emit(()))}>{ t.close }</button>
            </div>
        </div>
    }
}

/// Puts the cursor in the first element `selector` finds; `false` when there is none.
fn focus_first(selector: &str) -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.query_selector(selector).ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|element| element.focus().is_ok())
}
