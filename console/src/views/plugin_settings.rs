//! Settings › Plugins (admins): the installed plugins, each with its version, whether it runs
//! (active, disabled, or failing: its channels hold dead letters), the channels using it, Disable
//! or Enable, and its versions with "Use this version" (an upgrade or a rollback); installing one
//! ([`PluginInstaller`]); and each channel's dead letters ([`DeadLetters`]).

use switchboard_model::{DeadLetter, Id, LocalizedText, Page, PluginState, localized};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{PluginTexts, Texts, plugin_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::{Said, said_line};
use crate::views::dead_letters::DeadLetters;
use crate::views::plugin_installer::PluginInstaller;
use crate::views::settings::refusal;
use crate::views::thread::written_time;
use crate::views::workspace::signed_out_on;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
}

/// What the list shows: the plugins, and the channels that hold dead letters.
#[derive(Clone, PartialEq)]
struct Listed {
    plugins: Vec<PluginState>,
    failing_channels: Vec<Id>,
}

#[function_component(PluginSettings)]
pub fn plugin_settings(props: &Props) -> Html {
    let console = &props.console;
    let (t, p) = (texts(console.locale), plugin_texts(console.locale));
    let listed = use_state(|| None::<Listed>);
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    // Bumped to read the list again (after a change, or a dead letter replayed or deleted).
    let generation = use_state(|| 0_u32);
    {
        let (listed, said, on_signed_out) =
            (listed.clone(), said.clone(), props.on_signed_out.clone());
        use_effect_with(*generation, move |_| {
            spawn_local(async move {
                let plugins = api::get::<Vec<PluginState>>("/api/v1/plugins").await;
                let letters = api::get::<Page<DeadLetter>>("/api/v1/dead-letters?limit=100").await;
                match plugins.and_then(|plugins| Ok((plugins, letters?))) {
                    Ok((plugins, letters)) => listed.set(Some(Listed {
                        plugins,
                        failing_channels: letters.items.iter().map(|l| l.channel_id).collect(),
                    })),
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        });
    }
    let reload = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(generation.wrapping_add(1)))
    };
    // A change to one plugin (`/api/v1/plugins/{name}/{action}`), then the list read again.
    let change = |name: &str, action: &'static str, body: serde_json::Value, done: String| {
        let path = format!("/api/v1/plugins/{name}/{action}");
        let (said, busy, reload) = (said.clone(), busy.clone(), reload.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let (path, body, done) = (path.clone(), body.clone(), done.clone());
            let (said, busy, reload) = (said.clone(), busy.clone(), reload.clone());
            let on_signed_out = on_signed_out.clone();
            busy.set(true);
            spawn_local(async move {
                let changed = api::post::<PluginState>(&path, &body).await;
                busy.set(false);
                said.set(Some(match changed {
                    Ok(_) => Ok(done),
                    Err(failure) => Err(plugin_refusal(&failure, t, p, &on_signed_out)),
                }));
                reload.emit(());
            });
        })
    };
    let row = |plugin: &PluginState, failing_channels: &[Id]| {
        let channels: Vec<_> = console
            .channels
            .iter()
            .filter(|channel| channel.deleted_at.is_none())
            .filter(|channel| channel.plugin.as_deref() == Some(plugin.name.as_str()))
            .collect();
        let failing = channels
            .iter()
            .any(|channel| failing_channels.contains(&channel.id));
        let (state, class) = match (plugin.enabled, failing) {
            (false, _) => (p.disabled, "state"),
            (true, true) => (p.failing, "state failing"),
            (true, false) => (p.active, "state on"),
        };
        let toggle = if plugin.enabled {
            change(
                &plugin.name,
                "disable",
                serde_json::json!({}),
                format!("{} · {}", plugin.name, p.disabled),
            )
        } else {
            change(
                &plugin.name,
                "enable",
                serde_json::json!({}),
                format!("{} · {}", plugin.name, p.active),
            )
        };
        let used_by = match channels.is_empty() {
            true => p.no_channel.to_string(),
            false => channels
                .iter()
                .map(|channel| channel.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let version = |version: &switchboard_model::PluginVersion| {
            let running = version.version == plugin.active_version;
            let use_it = change(
                &plugin.name,
                "activate",
                serde_json::json!({ "version": version.version }),
                p.now_running.replace("{version}", &version.version),
            );
            html! {
                <li class="plugin-version" data-version={version.version.clone()}>
                    <span class="version">{ &version.version }</span>
                    <time>{ written_time(version.installed_at, console.locale.tag()) }</time>
                    if running {
                        <span class="state on">{ p.in_use }</span>
                    } else {
                        <button class="use-version" disabled={*busy} onclick={use_it}>
                            { p.use_version }</button>
                    }
                </li>
            }
        };
        let title = title(plugin, console.locale.tag());
        html! {
            <li class="settings-row plugin-row" data-plugin={plugin.name.clone()}>
                <div class="plugin-head">
                    <strong class="title">{ &title }</strong>
                    if title != plugin.name {
                        <code class="name">{ &plugin.name }</code>
                    }
                    <span class="version">{ &plugin.active_version }</span>
                    <span class={class}>{ state }</span>
                    <button class="toggle" disabled={*busy} onclick={toggle}>
                        { if plugin.enabled { p.disable } else { p.enable } }</button>
                </div>
                <p class="used-by">{ p.used_by }{ " " }{ used_by }</p>
                <details class="versions">
                    <summary>{ p.versions }{ format!(" ({})", plugin.versions.len()) }</summary>
                    <ul>{ for plugin.versions.iter().rev().map(version) }</ul>
                </details>
            </li>
        }
    };
    let list = match &*listed {
        None => html! {},
        Some(listed) if listed.plugins.is_empty() => html! { <p class="later">{ p.none }</p> },
        Some(listed) => html! {
            <ul class="settings-rows plugin-rows" aria-label={p.installed}>
                { for listed.plugins.iter().map(|plugin| row(plugin, &listed.failing_channels)) }
            </ul>
        },
    };
    html! {
        <section class="plugin-settings">
            <h2>{ p.installed }</h2>
            { said_line(&said) }
            { list }
            <PluginInstaller console={console.clone()} on_installed={reload.clone()}
                on_signed_out={props.on_signed_out.clone()} />
            <DeadLetters console={console.clone()} on_changed={reload}
                on_signed_out={props.on_signed_out.clone()} />
        </section>
    }
}

/// The plugin's title in `language` as its active version's manifest gives it, else its name.
fn title(plugin: &PluginState, language: &str) -> String {
    let titled = plugin
        .versions
        .iter()
        .find(|version| version.version == plugin.active_version)
        .and_then(|version| {
            serde_json::from_value::<LocalizedText>(version.manifest["form"]["title"].clone()).ok()
        });
    match titled.as_ref().map(|title| localized(title, language)) {
        Some(title) if !title.is_empty() => title.to_string(),
        _ => plugin.name.clone(),
    }
}

/// A refusal of a plugin action in the admin's language: a plugin that is off or busy is said
/// so, anything else as [`refusal`] says it.
pub fn plugin_refusal(
    failure: &api::Failure,
    t: &Texts,
    p: &PluginTexts,
    on_signed_out: &Callback<()>,
) -> String {
    match failure {
        api::Failure::Refused { code, .. } if code == "busy" || code == "plugin_disabled" => {
            format!("{} {}", t.not_saved, p.busy)
        }
        api::Failure::Refused { status: 409, .. } => {
            refusal(failure, t, &[], p.version_taken.to_string(), on_signed_out)
        }
        _ => refusal(failure, t, &[], String::new(), on_signed_out),
    }
}
