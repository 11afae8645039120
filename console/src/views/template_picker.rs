//! An approved template for a reply, on channels whose provider takes only those outside its
//! reply window (WhatsApp), and which businesses use inside it too: the agent picks one by
//! name and language, fills its numbered values, reads the text the customer will get, and
//! sends it. The gateway fills the text again and refuses a template it does not know.

use std::rc::Rc;

use switchboard_model::{ChannelTemplate, ChannelTemplates, Id, TemplateUse};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{Locale, Texts, texts};
use crate::state::{Action, Console};

/// Asks the gateway for the reply window and templates of `channel_id`, for the console to keep.
pub fn learn_templates(dispatch: UseReducerDispatcher<Console>, channel_id: Id) {
    spawn_local(async move {
        let path = format!("/api/v1/channels/{channel_id}/templates");
        let answer = api::get::<ChannelTemplates>(&path)
            .await
            .map_err(|failure| failure.reason().map(str::to_string));
        dispatch.dispatch(Action::Templates { channel_id, answer });
    });
}

/// Why the channel's templates are not offered.
pub fn unavailable(t: &Texts, why: &Option<String>) -> String {
    match why {
        Some(why) => format!("{}: {why}", t.templates_unavailable),
        None => format!("{}.", t.templates_unavailable),
    }
}

/// A piece of a template's text: as written, or a numbered placeholder (`{{1}}` is value 0).
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Value(usize),
}

/// The template's text cut at its placeholders; anything else between braces stays text.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let number = after
            .split_once("}}")
            .filter(|(digits, _)| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|(digits, tail)| Some((digits.parse::<usize>().ok()?, tail)));
        match number {
            Some((number, tail)) if number >= 1 => {
                if start > 0 {
                    pieces.push(Piece::Text(&rest[..start]));
                }
                pieces.push(Piece::Value(number - 1));
                rest = tail;
            }
            _ => {
                pieces.push(Piece::Text(&rest[..start + 2]));
                rest = after;
            }
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// The text the customer will get: values filled in where the agent wrote one, the
/// placeholder still showing where not.
fn preview(template: &ChannelTemplate, values: &[String]) -> Html {
    html! {
        { for pieces(&template.text).into_iter().map(|piece| match piece {
            Piece::Text(text) => html! { { text } },
            Piece::Value(index) => match values.get(index).map(|value| value.trim()) {
                Some(value) if !value.is_empty() => html! { <mark>{ value }</mark> },
                _ => html! { <span class="blank">{ format!("{{{{{}}}}}", index + 1) }</span> },
            },
        }) }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub locale: Locale,
    /// The channel's approved templates.
    pub templates: Rc<Vec<ChannelTemplate>>,
    /// A reply is on its way: the button waits.
    pub sending: bool,
    pub on_send: Callback<TemplateUse>,
    /// Back to writing freely, where the window allows it.
    #[prop_or_default]
    pub on_free_text: Option<Callback<()>>,
}

#[function_component(TemplatePicker)]
pub fn template_picker(props: &Props) -> Html {
    let t = texts(props.locale);
    let chosen = use_state(|| None::<usize>);
    let values = use_state(Vec::<String>::new);
    let template = chosen.and_then(|index| props.templates.get(index));
    let on_choose = {
        let (chosen, values) = (chosen.clone(), values.clone());
        let templates = props.templates.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let index = select.value().parse::<usize>().ok();
            let wanted = index
                .and_then(|index| templates.get(index))
                .map_or(0, |template| template.variables as usize);
            values.set(vec![String::new(); wanted]);
            chosen.set(index);
        })
    };
    // The values as they go, once the template takes them all.
    let ready = template.and_then(|template| {
        template.fill(&values).ok().map(|_| TemplateUse {
            name: template.name.clone(),
            language: template.language.clone(),
            values: values
                .iter()
                .map(|value| value.trim().to_string())
                .collect(),
        })
    });
    let send = {
        let (on_send, ready) = (props.on_send.clone(), ready.clone());
        let sending = props.sending;
        Callback::from(move |()| {
            if let Some(ready) = ready.clone().filter(|_| !sending) {
                on_send.emit(ready);
            }
        })
    };
    let value_input = |index: usize| {
        let value = values.get(index).cloned().unwrap_or_default();
        let values = values.clone();
        let oninput = Callback::from(move |event: InputEvent| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let mut changed = (*values).clone();
            if let Some(value) = changed.get_mut(index) {
                *value = input.value();
            }
            values.set(changed);
        });
        let onkeydown = {
            let send = send.clone();
            Callback::from(move |event: KeyboardEvent| {
                if event.key() == "Enter" && !event.is_composing() {
                    event.prevent_default();
                    send.emit(());
                }
            })
        };
        let label = t.template_value.replace("{n}", &(index + 1).to_string());
        html! {
            <label>{ label }
                <input class="template-value" name={format!("value-{}", index + 1)} autocomplete="off"
                    {value} {oninput} {onkeydown} /></label>
        }
    };
    html! {
        <div class="template-picker">
            if props.templates.is_empty() {
                <p class="no-templates">{ t.no_templates }</p>
            } else {
                <label class="template-choice">{ t.template }
                    <select name="template" onchange={on_choose}>
                        <option value="" selected={chosen.is_none()} disabled=true>{ t.choose_template }</option>
                        { for props.templates.iter().enumerate().map(|(index, template)| html! {
                            <option value={index.to_string()} selected={*chosen == Some(index)}>
                                { &template.name }{ " · " }{ &template.language }</option>
                        }) }
                    </select></label>
            }
            if let Some(template) = template {
                if template.variables > 0 {
                    <div class="template-values">
                        { for (0..template.variables as usize).map(value_input) }
                    </div>
                }
                <p class="template-preview" aria-label={t.preview} title={t.preview}>{ preview(template, &values) }</p>
            }
            <div class="send-row">
                if let Some(on_free_text) = &props.on_free_text {
                    <button type="button" class="free-text link"
                        onclick={on_free_text.reform(|_: MouseEvent| ())}>{ t.free_text }</button>
                }
                <span class="hint"></span>
                <button type="button" class="send send-template" disabled={ready.is_none() || props.sending}
                    onclick={send.reform(|_: MouseEvent| ())}>{ t.send_template }</button>
            </div>
        </div>
    }
}
