//! The first run's last two steps, for an admin whose workspace is new (its password step is
//! [`ChoosePassword`](crate::views::choose_password)): the business's name, its time zone (a
//! searchable list, Latin America's first, the browser's own picked) and the languages it serves
//! customers in; then a first channel, chosen among the website chat and the kinds the plugins
//! describe, set up with the Settings' own forms, or skipped. Done or skipped, the workspace is
//! marked onboarded and the inbox shows; the first run never shows again.

use std::rc::Rc;

use switchboard_model::{
    Channel, ChannelForm, ChannelKind, Id, Me, NewChannel, Workspace, WorkspaceUpdate,
};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Locale, first_run_texts, texts};
use crate::state::{Action, Console};
use crate::views::LanguagePicker;
use crate::views::channel_editor::{ChannelEditor, said_line};
use crate::views::list::channel_icon;
use crate::views::profile::edit;
use crate::views::settings::kind_button;
use crate::views::time_zones::{browser_zone, zones};
use crate::views::webchat_settings::WebchatSettings;
use crate::views::workspace::signed_out_on;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub locale: Locale,
    pub on_locale: Callback<Locale>,
    pub on_signed_out: Callback<()>,
}

/// Where the admin is in the first run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Workspace,
    /// The kinds of channel to choose from.
    Kinds,
    /// The form of the `n`th kind a plugin describes.
    Form(usize),
    /// A channel just added.
    Added(Id),
}

/// Saves `update` to the workspace; the console then knows it as the gateway keeps it.
async fn save_workspace(
    update: &WorkspaceUpdate,
    me: &Me,
    dispatch: &UseReducerDispatcher<Console>,
) -> Result<(), Failure> {
    let workspace = api::patch::<Workspace>("/api/v1/workspace", update).await?;
    dispatch.dispatch(Action::Me(Me {
        agent: me.agent.clone(),
        workspace,
    }));
    Ok(())
}

#[function_component(FirstRun)]
pub fn first_run(props: &Props) -> Html {
    let console = &props.console;
    let (t, f) = (texts(props.locale), first_run_texts(props.locale));
    let step = use_state(|| Step::Workspace);
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    // The kinds the plugins describe, once read.
    let forms = use_state(|| Rc::new(Vec::<ChannelForm>::new()));
    {
        let (forms, on_signed_out) = (forms.setter(), props.on_signed_out.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::get::<Vec<ChannelForm>>("/api/v1/channel-forms").await {
                    Ok(read) => forms.set(Rc::new(read)),
                    Err(failure) => signed_out_on(&failure, &on_signed_out),
                }
            });
        });
    }
    let finish = {
        let (me, dispatch) = (console.me.clone(), console.dispatcher());
        let (said, busy, on_signed_out) = (said.clone(), busy.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            let (me, dispatch) = (me.clone(), dispatch.clone());
            let (said, busy, on_signed_out) = (said.clone(), busy.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let done = WorkspaceUpdate {
                    onboarded: Some(true),
                    ..WorkspaceUpdate::default()
                };
                if let Err(failure) = save_workspace(&done, &me, &dispatch).await {
                    signed_out_on(&failure, &on_signed_out);
                    said.set(Some(Err(format!(
                        "{} {}",
                        t.not_saved,
                        failure.said(t.unreachable)
                    ))));
                    busy.set(false);
                }
            });
        })
    };
    let go = |to: Step| {
        let (step, said) = (step.setter(), said.setter());
        Callback::from(move |()| {
            said.set(None);
            step.set(to);
        })
    };
    let add_chat = {
        let (step, said, busy) = (step.setter(), said.clone(), busy.clone());
        let (dispatch, on_signed_out) = (console.dispatcher(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            let (step, said, busy) = (step.clone(), said.clone(), busy.clone());
            let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                let new = NewChannel::new(ChannelKind::WEBCHAT, t.website_chat);
                match api::post::<Channel>("/api/v1/channels", &new).await {
                    Ok(channel) => {
                        let id = channel.id;
                        dispatch.dispatch(Action::Channel(channel));
                        step.set(Step::Added(id));
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
                busy.set(false);
            });
        })
    };
    let language = props.locale.tag();
    let to_inbox = html! {
        <div class="buttons">
            <button type="button" class="primary go-to-inbox" disabled={*busy} onclick={finish.clone()}>
                { f.go_to_inbox }</button>
        </div>
    };
    let body = match *step {
        Step::Workspace => html! {
            <WorkspaceStep console={console.clone()} locale={props.locale}
                on_saved={go(Step::Kinds)} on_signed_out={props.on_signed_out.clone()} />
        },
        Step::Kinds => {
            let existing: Vec<&str> = console
                .channels
                .iter()
                .filter(|channel| channel.deleted_at.is_none())
                .map(|channel| channel.name.as_str())
                .collect();
            html! {
                <section class="card first-run-channel" aria-labelledby="first-run-title">
                    <p class="step-of">{ f.step_of.replace("{n}", "3") }</p>
                    <h1 id="first-run-title">{ f.channel_title }</h1>
                    <p>{ f.channel_intro }</p>
                    <ul class="kinds">
                        <li>
                            <button class="kind" data-kind="webchat" disabled={*busy} onclick={add_chat}>
                                { channel_icon(Some(ChannelKind::WEBCHAT), None) }
                                <strong>{ t.website_chat }</strong>
                                <span>{ f.website_chat_summary }</span>
                            </button>
                        </li>
                        { for forms.iter().enumerate().map(|(index, form)| html! {
                            <li>{ kind_button(form, language, go(Step::Form(index)).reform(|_: MouseEvent| ())) }</li>
                        }) }
                    </ul>
                    if !existing.is_empty() {
                        <p class="connected-already">{ f.connected_already }{ " " }{ existing.join(", ") }</p>
                    }
                    { said_line(&said) }
                    <div class="buttons">
                        <button type="button" class="skip" disabled={*busy} onclick={finish.clone()}>{ f.skip }</button>
                    </div>
                </section>
            }
        }
        Step::Form(index) => match forms.get(index) {
            Some(form) => html! {
                <ChannelEditor console={console.clone()} form={form.clone()} channel={None::<Channel>}
                    on_back={go(Step::Kinds)} on_signed_out={props.on_signed_out.clone()}
                    on_saved={{
                        let step = step.setter();
                        Callback::from(move |channel: Channel| step.set(Step::Added(channel.id)))
                    }} />
            },
            None => html! {},
        },
        Step::Added(id) => match console.channels.iter().find(|channel| channel.id == id) {
            Some(channel) if channel.kind == ChannelKind::WEBCHAT => html! {
                <>
                    <p class="saved first-run-added" role="status">{ f.channel_added.replace("{name}", &channel.name) }</p>
                    <WebchatSettings console={console.clone()} channel={channel.clone()}
                        on_back={go(Step::Kinds)} on_signed_out={props.on_signed_out.clone()} />
                    { said_line(&said) }
                    { to_inbox.clone() }
                </>
            },
            Some(channel) => html! {
                <section class="card first-run-added" aria-live="polite">
                    <p class="saved" role="status">{ f.channel_added.replace("{name}", &channel.name) }</p>
                    { said_line(&said) }
                    { to_inbox.clone() }
                </section>
            },
            None => to_inbox.clone(),
        },
    };
    html! {
        <main class="first-run">
            <header class="first-run-head">
                <strong>{ t.switchboard }</strong>
                <LanguagePicker locale={props.locale} label={t.language} on_locale={props.on_locale.clone()} />
            </header>
            { body }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct WorkspaceStepProps {
    console: UseReducerHandle<Console>,
    locale: Locale,
    on_saved: Callback<()>,
    on_signed_out: Callback<()>,
}

/// The business's name, time zone and languages.
#[function_component(WorkspaceStep)]
fn workspace_step(props: &WorkspaceStepProps) -> Html {
    let console = &props.console;
    let (t, f) = (texts(props.locale), first_run_texts(props.locale));
    let workspace = &console.me.workspace;
    let zones = use_memo((), |_| zones());
    let name = use_state(|| workspace.name.clone());
    let zone = use_state(|| {
        (workspace.time_zone != "UTC")
            .then(|| workspace.time_zone.clone())
            .or_else(browser_zone)
            .unwrap_or_else(|| "UTC".to_string())
    });
    // A new workspace serves every language until told: the admin's own is offered instead.
    let every = workspace.languages.len() == Locale::ALL.len();
    let languages = use_state(|| match every {
        true => vec![props.locale.tag().to_string()],
        false => workspace.languages.clone(),
    });
    let default = use_state(|| match every {
        true => props.locale.tag().to_string(),
        false => workspace.default_language.clone(),
    });
    let said = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (name, zone, languages, default) = (
            name.clone(),
            zone.clone(),
            languages.clone(),
            default.clone(),
        );
        let (said, busy, zones) = (said.clone(), busy.clone(), zones.clone());
        let (me, dispatch) = (console.me.clone(), console.dispatcher());
        let (on_saved, on_signed_out) = (props.on_saved.clone(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let problem = if name.trim().is_empty() {
                Some(t.fill_in.replace("{field}", f.workspace_name))
            } else if !zones.iter().any(|known| known.name == zone.trim()) {
                Some(f.not_a_zone.to_string())
            } else if languages.is_empty() {
                Some(f.pick_language.to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                said.set(Some(Err(problem)));
                return;
            }
            let update = WorkspaceUpdate {
                name: Some(name.trim().to_string()),
                time_zone: Some(zone.trim().to_string()),
                languages: Some((*languages).clone()),
                default_language: Some((*default).clone()),
                onboarded: None,
            };
            let (me, dispatch) = (me.clone(), dispatch.clone());
            let (said, busy) = (said.clone(), busy.clone());
            let (on_saved, on_signed_out) = (on_saved.clone(), on_signed_out.clone());
            busy.set(true);
            spawn_local(async move {
                match save_workspace(&update, &me, &dispatch).await {
                    Ok(()) => on_saved.emit(()),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        let why = match &failure {
                            Failure::Refused {
                                field: Some(field), ..
                            } if field == "time_zone" => f.not_a_zone.to_string(),
                            _ => failure.said(t.unreachable),
                        };
                        said.set(Some(Err(format!("{} {why}", t.not_saved))));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let on_zone = {
        let zone = zone.setter();
        Callback::from(move |event: InputEvent| {
            zone.set(
                event
                    .target_unchecked_into::<web_sys::HtmlInputElement>()
                    .value(),
            )
        })
    };
    let toggle = |locale: Locale| {
        let (languages, default) = (languages.clone(), default.clone());
        Callback::from(move |_: Event| {
            let tag = locale.tag().to_string();
            let mut next = (*languages).clone();
            match next.iter().position(|known| *known == tag) {
                Some(at) => {
                    next.remove(at);
                }
                None => next.push(tag),
            }
            if !next.contains(&default)
                && let Some(first) = next.first()
            {
                default.set(first.clone());
            }
            languages.set(next);
        })
    };
    let on_default = {
        let default = default.setter();
        Callback::from(move |event: Event| {
            default.set(
                event
                    .target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            )
        })
    };
    html! {
        <form class="card first-run-workspace" novalidate=true {onsubmit} aria-labelledby="first-run-title">
            <p class="step-of">{ f.step_of.replace("{n}", "2") }</p>
            <h1 id="first-run-title">{ f.workspace_title }</h1>
            <p>{ f.workspace_intro }</p>
            <label>{ f.workspace_name }
                <input name="workspace-name" maxlength="100" required=true value={(*name).clone()} oninput={edit(&name)} />
            </label>
            <label>{ f.time_zone }
                <input name="time-zone" type="search" list="time-zones" autocomplete="off" required=true
                    value={(*zone).clone()} oninput={on_zone} aria-describedby="time-zone-help" />
            </label>
            <datalist id="time-zones">
                { for zones.iter().map(|zone| html! {
                    <option value={zone.name.clone()} label={zone.label.clone()} />
                }) }
            </datalist>
            <small id="time-zone-help">{ f.time_zone_help }</small>
            <fieldset class="languages">
                <legend>{ f.languages }</legend>
                { for Locale::ALL.iter().map(|locale| html! {
                    <label class="switch">
                        <input type="checkbox" name={format!("language-{}", locale.tag())}
                            checked={languages.iter().any(|tag| tag == locale.tag())}
                            onchange={toggle(*locale)} />
                        { locale.name() }
                    </label>
                }) }
            </fieldset>
            if languages.len() > 1 {
                <label>{ f.default_language }
                    <select name="default-language" onchange={on_default}>
                        { for Locale::ALL.iter().filter(|locale| languages.iter().any(|tag| tag == locale.tag())).map(|locale| html! {
                            <option value={locale.tag()} selected={*default == locale.tag()}>{ locale.name() }</option>
                        }) }
                    </select>
                </label>
            }
            { said_line(&said) }
            <div class="buttons">
                <button type="submit" class="primary" disabled={*busy}>{ f.continue_ }</button>
            </div>
        </form>
    }
}
