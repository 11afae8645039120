//! Labels: the chip a conversation's label is drawn as, in the colour the workspace's catalogue
//! gives it (uncoloured when the catalogue does not have it), and Settings › Labels, where an
//! admin adds labels and renames, recolours or deletes them in place.

use switchboard_model::{Label, LabelUpdate, NewLabel};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::texts;
use crate::state::{Action, Console};
use crate::views::profile::edit;
use crate::views::settings::{
    Catalogue, Editing, Row, catalogue_page, delete_entry, form_end, refusal,
};
use crate::views::webchat_settings::for_color_input;

/// A new label's colour until the admin picks one.
const FIRST_COLOUR: &str = "#1f6feb";

/// The style of a label's chip in `colour`: that background, with dark or light text,
/// whichever reads on it.
fn chip_style(colour: &str) -> String {
    let long = for_color_input(colour);
    let channel = |at: usize| {
        long.get(at..at + 2)
            .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            .map_or(0.0, f64::from)
    };
    // Perceived brightness (ITU-R BT.601 weights), 0 to 255.
    let brightness = 0.299 * channel(1) + 0.587 * channel(3) + 0.114 * channel(5);
    let ink = if brightness > 150.0 {
        "#1b1f24"
    } else {
        "#ffffff"
    };
    format!("background:{long};color:{ink}")
}

/// A label's chip, coloured as the catalogue says; `remove`, when given, is drawn inside it.
pub fn label_chip(console: &Console, name: &str, remove: Html) -> Html {
    let colour = console.label_colour(name);
    html! {
        <li class={classes!("label-chip", colour.is_some().then_some("coloured"))}
            data-label={name.to_string()} style={colour.map(chip_style)}>
            { name.to_string() }{ remove }
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// Reads the catalogue again into the console, after a change.
async fn reload(dispatch: UseReducerDispatcher<Console>) -> Result<(), Failure> {
    let labels = api::get::<Vec<Label>>("/api/v1/labels").await?;
    dispatch.dispatch(Action::Labels(labels));
    Ok(())
}

#[function_component(LabelSettings)]
pub fn label_settings(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let editing = use_state(|| Editing::None);
    let name = use_state(String::new);
    let colour = use_state(|| FIRST_COLOUR.to_string());
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let open = |to: Editing| {
        let (editing, name, colour, said) = (
            editing.setter(),
            name.setter(),
            colour.setter(),
            said.setter(),
        );
        let known = match to {
            Editing::Existing(id) => console.labels.iter().find(|label| label.id == id).cloned(),
            _ => None,
        };
        Callback::from(move |_: MouseEvent| {
            name.set(
                known
                    .as_ref()
                    .map(|label| label.name.clone())
                    .unwrap_or_default(),
            );
            colour.set(known.as_ref().map_or(FIRST_COLOUR.to_string(), |label| {
                for_color_input(&label.colour)
            }));
            said.set(None);
            editing.set(to);
        })
    };
    let onsubmit = {
        let (editing, name, colour, said, busy) = (
            editing.clone(),
            name.clone(),
            colour.clone(),
            said.clone(),
            busy.clone(),
        );
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (typed_name, picked) = ((*name).clone(), (*colour).clone());
            let to = *editing;
            let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let saved = match to {
                    Editing::Existing(id) => {
                        let change = LabelUpdate {
                            name: Some(typed_name.clone()),
                            colour: Some(picked),
                        };
                        api::patch::<Label>(&format!("/api/v1/labels/{id}"), &change).await
                    }
                    _ => {
                        let new = NewLabel {
                            name: typed_name.clone(),
                            colour: picked,
                        };
                        api::post::<Label>("/api/v1/labels", &new).await
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
                        &[("name", t.name), ("colour", t.color)],
                        t.label_taken
                            .replace("{name}", &Label::name_of(&typed_name)),
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
        "/api/v1/labels",
        reload,
    );
    let form = match *editing {
        Editing::None => None,
        to => Some(html! {
            <form class="card label-editor" novalidate=true {onsubmit}>
                <h2>{ if to == Editing::New { t.new_label } else { t.edit_label } }</h2>
                <div class="field required">
                    <label><span>{ t.name }</span>
                        <input name="name" maxlength="50" autocomplete="off" required=true
                            aria-describedby="label-help"
                            value={(*name).clone()} oninput={edit(&name)} /></label>
                </div>
                <div class="field">
                    <label><span>{ t.color }</span>
                        <input type="color" name="colour" aria-describedby="label-help"
                            value={(*colour).clone()} oninput={edit(&colour)} /></label>
                    <small id="label-help" class="help">{ t.label_help }</small>
                </div>
                <ul class="labels preview" aria-hidden="true">
                    <li class="label-chip coloured" style={chip_style(&colour)}>
                        { if name.trim().is_empty() { t.name.to_string() } else { Label::name_of(&name) } }</li>
                </ul>
                { form_end(t, &said, &editing, *busy, t.delete_label_confirm, on_delete) }
            </form>
        }),
    };
    let rows = console.labels.iter().map(|label| Row {
        data: ("data-label", label.name.clone()),
        name: label.name.clone(),
        on_edit: open(Editing::Existing(label.id)),
        cells: html! {
            <>
                <ul class="labels">{ label_chip(console, &label.name, html! {}) }</ul>
                <code class="colour">{ &label.colour }</code>
            </>
        },
    });
    let list = Catalogue {
        kind: "label",
        new: t.new_label,
        on_new: open(Editing::New),
        none: t.no_labels,
        title: t.labels,
        rows: rows.collect(),
    };
    catalogue_page(t, form, &said, list)
}
