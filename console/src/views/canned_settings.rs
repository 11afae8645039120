//! Settings › Canned responses: the workspace's canned responses (shortcut and the start of the
//! text), each edited or deleted in place, and new ones added; the text's variables are offered
//! as chips that insert them where the cursor is. After each change the list is read again, so
//! the composer's shortcut picker offers what the gateway keeps.

use switchboard_model::{CannedResponse, CannedResponseUpdate, NewCannedResponse};
use wasm_bindgen_futures::spawn_local;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::texts;
use crate::state::{Action, Console};
use crate::views::profile::edit;
use crate::views::settings::{
    Catalogue, Editing, Row, catalogue_page, delete_entry, form_end, refusal,
};

/// The characters of a response's text shown in the list.
const PREVIEW_CHARS: usize = 90;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// The start of a response's text, on one line.
fn preview(content: &str) -> String {
    let line = content.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(PREVIEW_CHARS) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

/// Where in `text` a browser's selection offset (UTF-16 units) falls, as a byte index; its end
/// when there is none.
fn byte_at(text: &str, units: Option<u32>) -> usize {
    let Some(units) = units else {
        return text.len();
    };
    let mut counted = 0;
    for (at, c) in text.char_indices() {
        if counted >= units as usize {
            return at;
        }
        counted += c.len_utf16();
    }
    text.len()
}

/// Reads the canned responses again into the console, after a change.
async fn reload(dispatch: UseReducerDispatcher<Console>) -> Result<(), Failure> {
    let canned = api::get::<Vec<CannedResponse>>("/api/v1/canned-responses").await?;
    dispatch.dispatch(Action::Canned(canned));
    Ok(())
}

#[function_component(CannedSettings)]
pub fn canned_settings(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let editing = use_state(|| Editing::None);
    let shortcut = use_state(String::new);
    let content = use_state(String::new);
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let text_area = use_node_ref();
    let open = |to: Editing| {
        let (editing, shortcut, content, said) = (
            editing.setter(),
            shortcut.setter(),
            content.setter(),
            said.setter(),
        );
        let known = match to {
            Editing::Existing(id) => console
                .canned
                .iter()
                .find(|canned| canned.id == id)
                .cloned(),
            _ => None,
        };
        Callback::from(move |_: MouseEvent| {
            shortcut.set(
                known
                    .as_ref()
                    .map(|canned| canned.shortcut.clone())
                    .unwrap_or_default(),
            );
            content.set(
                known
                    .as_ref()
                    .map(|canned| canned.content.clone())
                    .unwrap_or_default(),
            );
            said.set(None);
            editing.set(to);
        })
    };
    let onsubmit = {
        let (editing, shortcut, content, said, busy) = (
            editing.clone(),
            shortcut.clone(),
            content.clone(),
            said.clone(),
            busy.clone(),
        );
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (typed_shortcut, typed_content) = (
                shortcut.trim().trim_start_matches('/').to_string(),
                (*content).clone(),
            );
            let to = *editing;
            let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let saved = match to {
                    Editing::Existing(id) => {
                        let change = CannedResponseUpdate {
                            shortcut: Some(typed_shortcut.clone()),
                            content: Some(typed_content),
                        };
                        api::patch::<CannedResponse>(
                            &format!("/api/v1/canned-responses/{id}"),
                            &change,
                        )
                        .await
                    }
                    _ => {
                        let new = NewCannedResponse {
                            shortcut: typed_shortcut.clone(),
                            content: typed_content,
                        };
                        api::post::<CannedResponse>("/api/v1/canned-responses", &new).await
                    }
                };
                busy.set(false);
                match saved.and(reload(dispatch.clone()).await) {
                    Ok(()) => {
                        said.set(Some(Ok(t.saved.to_string())));
                        editing.set(Editing::None);
                    }
                    Err(failure) => said.set(Some(Err(refusal(
                        &failure,
                        t,
                        &[("shortcut", t.shortcut), ("content", t.content)],
                        t.shortcut_taken.replace("{shortcut}", &typed_shortcut),
                        &on_signed_out,
                    )))),
                }
            });
        })
    };
    let on_delete = delete_entry(
        t,
        (&editing, &said, &busy),
        console.dispatcher(),
        &props.on_signed_out,
        "/api/v1/canned-responses",
        reload,
    );
    // A variable chip puts `{{name}}` where the cursor is in the text, and the cursor after it.
    let insert = |variable: &'static str| {
        let (content, text_area) = (content.clone(), text_area.clone());
        Callback::from(move |_: MouseEvent| {
            let written = format!("{{{{{variable}}}}}");
            let Some(area) = text_area.cast::<HtmlTextAreaElement>() else {
                return;
            };
            let text = area.value();
            let start = byte_at(&text, area.selection_start().ok().flatten());
            let end = byte_at(&text, area.selection_end().ok().flatten()).max(start);
            let next = format!("{}{written}{}", &text[..start], &text[end..]);
            let cursor = text[..start].encode_utf16().count() + written.len();
            let cursor = u32::try_from(cursor).unwrap_or(u32::MAX);
            area.set_value(&next);
            let _ = area.focus();
            let _ = area.set_selection_range(cursor, cursor);
            content.set(next);
        })
    };
    let form = match *editing {
        Editing::None => None,
        to => Some(html! {
            <form class="card canned-editor" novalidate=true {onsubmit}>
                <h2>{ if to == Editing::New { t.new_canned } else { t.edit_canned } }</h2>
                <div class="field required">
                    <label><span>{ t.shortcut }</span>
                        <span class="shortcut-input">{ "/" }
                            <input name="shortcut" maxlength="40" autocomplete="off" required=true
                                aria-describedby="shortcut-help"
                                value={(*shortcut).clone()} oninput={edit(&shortcut)} /></span></label>
                    <small id="shortcut-help" class="help">{ t.shortcut_help }</small>
                </div>
                <div class="field required">
                    <label><span>{ t.content }</span>
                        <textarea ref={text_area.clone()} name="content" rows="5" required=true
                            aria-describedby="variables-help"
                            value={(*content).clone()} oninput={edit(&content)} /></label>
                    <p id="variables-help" class="help">{ t.variables }</p>
                    <ul class="variables" aria-label={t.variables}>
                        { for CannedResponse::VARIABLES.into_iter().zip(t.variable_names).map(|(variable, name)| html! {
                            <li><button type="button" class="variable" data-variable={variable}
                                title={name} onclick={insert(variable)}>
                                <code>{ format!("{{{{{variable}}}}}") }</code><span>{ name }</span></button></li>
                        }) }
                    </ul>
                </div>
                { form_end(t, &said, &editing, *busy, t.delete_canned_confirm, on_delete) }
            </form>
        }),
    };
    let rows = console.canned.iter().map(|canned| Row {
        data: ("data-shortcut", canned.shortcut.clone()),
        name: format!("/{}", canned.shortcut),
        on_edit: open(Editing::Existing(canned.id)),
        cells: html! {
            <>
                <code class="name">{ "/" }{ &canned.shortcut }</code>
                <span class="preview">{ preview(&canned.content) }</span>
            </>
        },
    });
    let list = Catalogue {
        kind: "canned",
        new: t.new_canned,
        on_new: open(Editing::New),
        none: t.no_canned,
        title: t.canned,
        rows: rows.collect(),
    };
    catalogue_page(t, form, &said, list)
}
