//! Settings, for admins, in sections with tabs and an address each: Channels
//! (`/app/settings/channels`): the workspace's channels, each with its kind and whether it is
//! active, and the kinds of channel to add; adding or editing a plugin channel goes through the
//! form its plugin describes, and a website chat and an email channel have a page of their own
//! ([`WebchatSettings`], [`EmailSettings`]; API channels are set up through the API). Canned
//! responses ([`CannedSettings`]), Labels ([`LabelSettings`]), People ([`PeopleSettings`]),
//! Teams ([`TeamSettings`]), Contacts ([`ContactFiles`]), Hours & rules ([`RoutingSettings`]),
//! Plugins ([`PluginSettings`]) and Integrations ([`IntegrationSettings`]). Also the pieces the
//! sections share: a delete that asks first, in place, and a refusal told in the admin's
//! language.

use std::rc::Rc;

use switchboard_model::{Channel, ChannelForm, ChannelKind, Id, localized};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{Texts, email_texts, texts};
use crate::state::Console;
use crate::views::canned_settings::CannedSettings;
use crate::views::channel_editor::{ChannelEditor, Said, said_line};
use crate::views::contact_files::ContactFiles;
use crate::views::email_settings::EmailSettings;
use crate::views::integration_settings::IntegrationSettings;
use crate::views::label_settings::LabelSettings;
use crate::views::list::channel_icon;
use crate::views::people_settings::PeopleSettings;
use crate::views::plugin_settings::PluginSettings;
use crate::views::routing_settings::RoutingSettings;
use crate::views::team_settings::TeamSettings;
use crate::views::webchat_settings::WebchatSettings;
use crate::views::workspace::signed_out_on;

/// The settings' first address.
pub const CHANNELS_PATH: &str = "/app/settings/channels";

/// Where a new workspace's admin is sent to set it up (the settings' page shows the first run
/// at any of its addresses until then).
pub const FIRST_RUN_PATH: &str = "/app/settings/first-run";

/// A section of the settings, each at its own address.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Section {
    Channels,
    Canned,
    Labels,
    People,
    Teams,
    Contacts,
    Routing,
    Plugins,
    Integrations,
}

impl Section {
    const ALL: [Section; 9] = [
        Section::Channels,
        Section::Canned,
        Section::Labels,
        Section::People,
        Section::Teams,
        Section::Contacts,
        Section::Routing,
        Section::Plugins,
        Section::Integrations,
    ];

    fn path(self) -> &'static str {
        match self {
            Section::Channels => CHANNELS_PATH,
            Section::Canned => "/app/settings/canned-responses",
            Section::Labels => "/app/settings/labels",
            Section::People => "/app/settings/people",
            Section::Teams => "/app/settings/teams",
            Section::Contacts => "/app/settings/contacts",
            Section::Routing => "/app/settings/routing",
            Section::Plugins => "/app/settings/plugins",
            Section::Integrations => "/app/settings/integrations",
        }
    }

    fn title(self, t: &Texts) -> &'static str {
        match self {
            Section::Channels => t.channels,
            Section::Canned => t.canned,
            Section::Labels => t.labels,
            Section::People => t.people,
            Section::Teams => t.teams,
            Section::Contacts => t.contacts_tab,
            Section::Routing => t.routing,
            Section::Plugins => t.plugins,
            Section::Integrations => t.integrations,
        }
    }

    /// The section the address names, else the channels.
    fn in_address() -> Section {
        let path = web_sys::window()
            .and_then(|window| window.location().pathname().ok())
            .unwrap_or_default();
        Section::ALL
            .into_iter()
            .find(|section| path == section.path())
            .unwrap_or(Section::Channels)
    }
}

#[derive(Properties, PartialEq)]
pub struct ConfirmDeleteProps {
    /// What is asked before deleting.
    pub question: &'static str,
    pub delete: &'static str,
    pub keep: &'static str,
    pub busy: bool,
    pub on_delete: Callback<()>,
}

/// Which form of a catalogue (canned responses, labels) shows, if any: a new entry's, or one's
/// to edit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Editing {
    None,
    New,
    Existing(switchboard_model::Id),
}

/// The button that starts a channel of the kind `form` describes: its icon, title and summary
/// in `language`.
pub fn kind_button(form: &ChannelForm, language: &str, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <button class="kind" data-plugin={form.plugin.clone()} {onclick}>
            { channel_icon(Some(form.kind), form.icon.as_deref()) }
            <strong>{ localized(&form.title, language) }</strong>
            <span>{ localized(&form.summary, language) }</span>
        </button>
    }
}

/// The end of a catalogue entry's form: what the admin was last told, Cancel and Save, and for
/// an entry that exists, Delete asking `question` first.
pub fn form_end(
    t: &Texts,
    said: &Said,
    editing: &UseStateHandle<Editing>,
    busy: bool,
    question: &'static str,
    on_delete: Callback<()>,
) -> Html {
    let cancel = {
        let editing = editing.setter();
        Callback::from(move |_: MouseEvent| editing.set(Editing::None))
    };
    html! {
        <>
            { said_line(said) }
            <div class="buttons">
                <button type="button" class="back-to-list" onclick={cancel}>{ t.cancel }</button>
                <button type="submit" class="primary" disabled={busy}>{ t.save }</button>
            </div>
            if matches!(**editing, Editing::Existing(_)) {
                <ConfirmDelete {question} delete={t.delete} keep={t.keep} {busy} {on_delete} />
            }
        </>
    }
}

/// A catalogue's list, for [`catalogue_page`]: what its button, rows and empty line say.
pub struct Catalogue {
    /// Names the classes: `new-{kind}` on the button, `{kind}-rows` on the list and
    /// `{kind}-row` on each row, e.g. `"team"`.
    pub kind: &'static str,
    /// The button's words after "+ ", e.g. "New team".
    pub new: &'static str,
    pub on_new: Callback<MouseEvent>,
    /// The line shown instead of the list when there are no entries.
    pub none: &'static str,
    /// The list's name, read out (its `aria-label`).
    pub title: &'static str,
    pub rows: Vec<Row>,
}

/// One entry of a [`Catalogue`]'s list.
pub struct Row {
    /// The row's `data-` attribute, which the end-to-end tests find it by, e.g.
    /// `("data-team", team.name)`.
    pub data: (&'static str, String),
    /// Whom the row's Edit button names when read out ("Edit {name}").
    pub name: String,
    pub on_edit: Callback<MouseEvent>,
    /// What the row shows before its Edit button.
    pub cells: Html,
}

/// A catalogue's page (canned responses, labels, teams): the entry's form while one is open;
/// else a "+ New …" button, what the admin was last told, and the entries as rows, each ending
/// with an Edit button, or a line saying there are none.
pub fn catalogue_page(t: &Texts, form: Option<Html>, said: &Said, list: Catalogue) -> Html {
    let Catalogue {
        kind,
        new,
        on_new,
        none,
        title,
        rows,
    } = list;
    let row = |row: Row| -> Html {
        // Built by hand: `html!` cannot take an attribute's name from a variable.
        let mut li = yew::virtual_dom::VTag::new("li");
        li.add_attribute(row.data.0, row.data.1);
        li.add_attribute("class", format!("settings-row {kind}-row"));
        li.add_child(row.cells);
        li.add_child(html! {
            <button class="edit" aria-label={format!("{} {}", t.edit, row.name)}
                onclick={row.on_edit}>{ t.edit }</button>
        });
        li.into()
    };
    html! {
        <>
            if let Some(form) = form {
                { form }
            } else {
                <button class={format!("primary new-{kind}")} onclick={on_new}>
                    { "+ " }{ new }</button>
                { said_line(said) }
                if rows.is_empty() {
                    <p class="later">{ none }</p>
                } else {
                    <ul class={format!("settings-rows {kind}-rows")} aria-label={title}>
                        { for rows.into_iter().map(row) }
                    </ul>
                }
            }
        </>
    }
}

/// What a catalogue entry's Delete does: deletes the entry the form shows (`{path}/{id}`),
/// reads the catalogue again with `reload` and goes back to the list, or says why not.
pub fn delete_entry<Reloaded>(
    t: &'static Texts,
    (editing, said, busy): (&UseStateHandle<Editing>, &Said, &UseStateHandle<bool>),
    dispatch: UseReducerDispatcher<Console>,
    on_signed_out: &Callback<()>,
    path: &'static str,
    reload: fn(UseReducerDispatcher<Console>) -> Reloaded,
) -> Callback<()>
where
    Reloaded: Future<Output = Result<(), Failure>> + 'static,
{
    let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
    let on_signed_out = on_signed_out.clone();
    Callback::from(move |()| {
        let Editing::Existing(id) = *editing else {
            return;
        };
        let (editing, said, busy) = (editing.clone(), said.clone(), busy.clone());
        let (dispatch, on_signed_out) = (dispatch.clone(), on_signed_out.clone());
        busy.set(true);
        spawn_local(async move {
            let deleted = api::delete_only(&format!("{path}/{id}")).await;
            busy.set(false);
            match deleted.and(reload(dispatch).await) {
                Ok(()) => editing.set(Editing::None),
                Err(failure) => said.set(Some(Err(refusal(
                    &failure,
                    t,
                    &[],
                    String::new(),
                    &on_signed_out,
                )))),
            }
        });
    })
}

/// A Delete button that asks first, in place: the question and Keep it, then Delete again.
#[function_component(ConfirmDelete)]
pub fn confirm_delete(props: &ConfirmDeleteProps) -> Html {
    let confirming = use_state(|| false);
    let on_delete = {
        let (confirming, on_delete) = (confirming.clone(), props.on_delete.clone());
        Callback::from(move |_: MouseEvent| {
            if *confirming {
                on_delete.emit(());
            }
            confirming.set(!*confirming);
        })
    };
    let on_keep = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(false))
    };
    html! {
        <div class="danger">
            if *confirming {
                <p role="alert">{ props.question }</p>
                <button type="button" class="keep" onclick={on_keep}>{ props.keep }</button>
            }
            <button type="button" class="delete" disabled={props.busy} onclick={on_delete}>
                { props.delete }</button>
        </div>
    }
}

/// A refused save in the admin's language: a field at fault by its label (`labels` maps the
/// gateway's field names), a conflict by `taken`, anything else in the gateway's words. The
/// console ends if the session did.
pub fn refusal(
    failure: &Failure,
    t: &Texts,
    labels: &[(&str, &str)],
    taken: String,
    on_signed_out: &Callback<()>,
) -> String {
    signed_out_on(failure, on_signed_out);
    let said = match failure {
        Failure::Refused { status: 409, .. } => taken,
        Failure::Refused {
            field: Some(field), ..
        } => match labels.iter().find(|(name, _)| name == field) {
            Some((_, label)) => t.check_field.replace("{field}", label),
            None => failure.said(t.unreachable),
        },
        _ => failure.reason().unwrap_or(t.unreachable).to_string(),
    };
    format!("{} {said}", t.not_saved)
}

/// Which part of the channel settings shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Page {
    List,
    /// The form of the `n`th kind, for a new channel.
    New(usize),
    /// A new email channel's page.
    NewEmail,
    Edit(Id),
}

/// The channel the address names (`?channel=12`, where a provider's sign-in sends the admin
/// back), if any.
fn channel_in_query() -> Option<Id> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("channel")?
        .parse()
        .ok()
}

/// A kind's name, for channels whose plugin describes no form.
fn kind_name(kind: ChannelKind, t: &Texts) -> String {
    match kind {
        ChannelKind::EMAIL => t.email.to_string(),
        ChannelKind::WEBCHAT => t.website_chat.to_string(),
        ChannelKind::API => "API".to_string(),
        other => other.name().to_string(),
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    /// Back to the inbox.
    pub on_close: Callback<()>,
    pub on_signed_out: Callback<()>,
}

#[function_component(Settings)]
pub fn settings(props: &Props) -> Html {
    let console = &props.console;
    let t = texts(console.locale);
    let language = console.locale.tag();
    let section = use_state(Section::in_address);
    let page = use_state(|| channel_in_query().map_or(Page::List, Page::Edit));
    // The kinds an admin can add, each with its plugin's form, or why they could not be read.
    let forms = use_state(|| None::<Result<Rc<Vec<ChannelForm>>, String>>);
    // The address names the settings, and the forms are asked for, once.
    {
        let forms = forms.setter();
        let on_signed_out = props.on_signed_out.clone();
        let path = section.path();
        use_effect_with((), move |_| {
            crate::show_path(path);
            spawn_local(async move {
                let answer = api::get::<Vec<ChannelForm>>("/api/v1/channel-forms").await;
                forms.set(Some(answer.map(Rc::new).map_err(|failure| {
                    signed_out_on(&failure, &on_signed_out);
                    failure.reason().unwrap_or(t.unreachable).to_string()
                })));
            });
        });
    }
    let go = |to: Page| {
        let page = page.setter();
        Callback::from(move |_: MouseEvent| page.set(to))
    };
    let loaded: &[ChannelForm] = match &*forms {
        Some(Ok(forms)) => forms,
        _ => &[],
    };
    let form_of = |channel: &Channel| {
        loaded
            .iter()
            .find(|form| channel.plugin.as_ref() == Some(&form.plugin))
    };
    // Why the forms are not in, if they could not be read.
    let waiting = match &*forms {
        Some(Err(why)) => html! { <p class="error" role="alert">{ why }</p> },
        _ => html! {},
    };
    let on_back = {
        let page = page.setter();
        Callback::from(move |()| page.set(Page::List))
    };
    let editor = |form: Option<&ChannelForm>, channel: Option<&Channel>| match form {
        Some(form) => html! {
            <ChannelEditor console={console.clone()} form={form.clone()}
                channel={channel.cloned()} on_back={on_back.clone()}
                on_signed_out={props.on_signed_out.clone()} />
        },
        None => waiting.clone(),
    };
    let body = match *page {
        Page::List => html! {
            <>
                <ul class="channel-rows">
                    { for console.channels.iter().filter(|channel| channel.deleted_at.is_none()).map(|channel| {
                        let form = form_of(channel);
                        html! {
                            <li class="channel-row" data-kind={channel.kind.name().to_string()}>
                                { channel_icon(Some(channel.kind), console.kind_icon(Some(channel.kind))) }
                                <span class="name">{ &channel.name }</span>
                                <span class="kind">{ form.map_or(kind_name(channel.kind, t), |form| localized(&form.title, language).to_string()) }</span>
                                if channel.active {
                                    <span class="state on">{ t.active }</span>
                                } else {
                                    <span class="state">{ t.inactive }</span>
                                }
                                if form.is_some() || [ChannelKind::WEBCHAT, ChannelKind::EMAIL].contains(&channel.kind) {
                                    <button class="edit" onclick={go(Page::Edit(channel.id))}>{ t.edit }</button>
                                } else {
                                    <span class="later">{ t.api_for_now }</span>
                                }
                            </li>
                        }
                    }) }
                </ul>
                <h2>{ t.add_channel }</h2>
                <ul class="kinds">
                    <li><button class="kind" data-kind="email" onclick={go(Page::NewEmail)}>
                        { channel_icon(Some(ChannelKind::EMAIL), None) }
                        <strong>{ email_texts(console.locale).title }</strong>
                        <span>{ email_texts(console.locale).pick_provider }</span>
                    </button></li>
                    { for loaded.iter().enumerate().map(|(index, form)| html! {
                        <li>{ kind_button(form, language, go(Page::New(index))) }</li>
                    }) }
                </ul>
                { waiting.clone() }
            </>
        },
        Page::New(index) => editor(loaded.get(index), None),
        Page::NewEmail => html! {
            <EmailSettings console={console.clone()} channel={None::<Channel>}
                on_back={on_back.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Page::Edit(id) => match console.channels.iter().find(|channel| channel.id == id) {
            Some(channel) if channel.kind == ChannelKind::EMAIL => html! {
                <EmailSettings console={console.clone()} channel={Some(channel.clone())}
                    on_back={on_back.clone()} on_signed_out={props.on_signed_out.clone()} />
            },
            Some(channel) if channel.kind == ChannelKind::WEBCHAT => html! {
                <WebchatSettings console={console.clone()} channel={channel.clone()}
                    on_back={on_back.clone()} on_signed_out={props.on_signed_out.clone()} />
            },
            channel => editor(channel.and_then(form_of), channel),
        },
    };
    let tab = |to: Section| {
        let current = *section == to;
        let (section, page) = (section.setter(), page.setter());
        let onclick = Callback::from(move |_: MouseEvent| {
            if !current {
                crate::push_path(to.path());
                section.set(to);
                page.set(Page::List);
            }
        });
        html! {
            <li><button class={classes!("tab", current.then_some("current"))}
                data-section={to.path().trim_start_matches("/app/settings/")}
                aria-current={current.then_some("page")} {onclick}>{ to.title(t) }</button></li>
        }
    };
    let body = match *section {
        Section::Channels => body,
        Section::Canned => html! {
            <CannedSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::Labels => html! {
            <LabelSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::People => html! {
            <PeopleSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::Teams => html! {
            <TeamSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::Contacts => html! { <ContactFiles console={console.clone()} /> },
        Section::Routing => html! {
            <RoutingSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::Plugins => html! {
            <PluginSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
        Section::Integrations => html! {
            <IntegrationSettings console={console.clone()} on_signed_out={props.on_signed_out.clone()} />
        },
    };
    html! {
        <section class="settings" aria-labelledby="settings-title">
            <header class="settings-head">
                <button class="to-inbox" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                    { "← " }{ t.conversations }</button>
                <h1 id="settings-title">{ t.settings }{ " › " }{ section.title(t) }</h1>
            </header>
            <nav class="settings-tabs" aria-label={t.settings_sections}>
                <ul>{ for Section::ALL.into_iter().map(tab) }</ul>
            </nav>
            { body }
        </section>
    }
}
