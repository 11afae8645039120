//! Installing a plugin from Settings › Plugins: the admin picks its `.wasm` and manifest, or a
//! signed package; the gateway reads what it asks for (`POST /api/v1/plugins/preview`, which
//! installs nothing), and every capability is shown in words (hosts it may reach, settings and
//! secrets it reads, its memory, time and output budgets, a schedule, a reply window) with
//! Approve and install and Cancel. Only then is it installed, granted what was shown.

use switchboard_model::{PluginPreview, PluginPreviewRequest, PluginState, PluginUpload};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{File, HtmlInputElement};
use yew::prelude::*;

use crate::api::{self, Failure};
use crate::i18n::{PluginTexts, plugin_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::{Said, said_line};
use crate::views::plugin_settings::plugin_refusal;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    /// A plugin was installed: the list is read again.
    pub on_installed: Callback<()>,
    pub on_signed_out: Callback<()>,
}

/// What the admin picked.
#[derive(Clone, Default)]
struct Picked {
    component: Option<File>,
    manifest: Option<String>,
    package: Option<File>,
}

/// The file an input holds, if one was picked.
fn picked_file(event: &Event) -> Option<File> {
    event
        .target_dyn_into::<HtmlInputElement>()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
}

/// A file's bytes in base64, as the API takes them in JSON (by the browser's `btoa`, which
/// takes one character per byte).
async fn base64_of(file: &File) -> Option<String> {
    let buffer = JsFuture::from(file.array_buffer()).await.ok()?;
    let bytes: String = js_sys::Uint8Array::new(&buffer)
        .to_vec()
        .into_iter()
        .map(char::from)
        .collect();
    web_sys::window()?.btoa(&bytes).ok()
}

#[function_component(PluginInstaller)]
pub fn plugin_installer(props: &Props) -> Html {
    let locale = props.console.locale;
    let (t, p) = (texts(locale), plugin_texts(locale));
    let picked = use_mut_ref(Picked::default);
    let preview = use_state(|| None::<PluginPreview>);
    let said: Said = use_state(|| None);
    let busy = use_state(|| false);
    // Bumped to empty the file inputs (after Cancel, or an install).
    let form_key = use_state(|| 0_u32);
    // Asks the gateway what the picked manifest or package asks for.
    let read = {
        let (picked, preview, said) = (picked.clone(), preview.clone(), said.clone());
        let on_signed_out = props.on_signed_out.clone();
        move || {
            let chosen = picked.borrow().clone();
            let (preview, said, on_signed_out) =
                (preview.clone(), said.clone(), on_signed_out.clone());
            spawn_local(async move {
                let request = match (&chosen.package, chosen.manifest) {
                    (Some(package), _) => PluginPreviewRequest {
                        package_base64: base64_of(package).await,
                        ..PluginPreviewRequest::default()
                    },
                    (None, Some(manifest)) => PluginPreviewRequest {
                        manifest: Some(manifest),
                        ..PluginPreviewRequest::default()
                    },
                    (None, None) => return,
                };
                match api::post::<PluginPreview>("/api/v1/plugins/preview", &request).await {
                    Ok(read) => {
                        said.set(None);
                        preview.set(Some(read));
                    }
                    Err(failure) => {
                        preview.set(None);
                        said.set(Some(Err(plugin_refusal(&failure, t, p, &on_signed_out))));
                    }
                }
            });
        }
    };
    let on_component = {
        let picked = picked.clone();
        Callback::from(move |event: Event| picked.borrow_mut().component = picked_file(&event))
    };
    let on_manifest = {
        let (picked, read) = (picked.clone(), read.clone());
        Callback::from(move |event: Event| {
            let Some(file) = picked_file(&event) else {
                return;
            };
            let (picked, read) = (picked.clone(), read.clone());
            spawn_local(async move {
                let text = JsFuture::from(file.text()).await.ok();
                picked.borrow_mut().manifest = text.and_then(|text| text.as_string());
                read();
            });
        })
    };
    let on_package = {
        let (picked, read) = (picked.clone(), read.clone());
        Callback::from(move |event: Event| {
            picked.borrow_mut().package = picked_file(&event);
            read();
        })
    };
    let on_cancel = {
        let (picked, preview, form_key) = (picked.clone(), preview.clone(), form_key.clone());
        Callback::from(move |_: MouseEvent| {
            *picked.borrow_mut() = Picked::default();
            preview.set(None);
            form_key.set(form_key.wrapping_add(1));
        })
    };
    let on_approve = {
        let (picked, preview, said, busy) =
            (picked.clone(), preview.clone(), said.clone(), busy.clone());
        let (form_key, on_installed) = (form_key.clone(), props.on_installed.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(approved) = (*preview).clone() else {
                return;
            };
            let chosen = picked.borrow().clone();
            let (picked, preview, said, busy) =
                (picked.clone(), preview.clone(), said.clone(), busy.clone());
            let (form_key, on_installed) = (form_key.clone(), on_installed.clone());
            let on_signed_out = on_signed_out.clone();
            busy.set(true);
            spawn_local(async move {
                let installed = match (&chosen.package, &chosen.component) {
                    (Some(package), _) => {
                        api::post_file::<PluginState>("/api/v1/plugins/packages", package).await
                    }
                    (None, Some(component)) => match base64_of(component).await {
                        Some(wasm_base64) => {
                            let upload = PluginUpload {
                                manifest: approved.manifest.clone(),
                                wasm_base64,
                                grants: None,
                            };
                            api::post::<PluginState>("/api/v1/plugins", &upload).await
                        }
                        None => Err(Failure::Offline),
                    },
                    (None, None) => {
                        busy.set(false);
                        said.set(Some(Err(p.choose_files.to_string())));
                        return;
                    }
                };
                busy.set(false);
                match installed {
                    Ok(state) => {
                        said.set(Some(Ok(p
                            .installed_now
                            .replace("{name}", &state.name)
                            .replace("{version}", &state.active_version))));
                        *picked.borrow_mut() = Picked::default();
                        preview.set(None);
                        form_key.set(form_key.wrapping_add(1));
                        on_installed.emit(());
                    }
                    Err(failure) => {
                        said.set(Some(Err(plugin_refusal(&failure, t, p, &on_signed_out))))
                    }
                }
            });
        })
    };
    html! {
        <section class="plugin-install">
            <h2>{ p.install }</h2>
            <p class="later">{ p.install_help }</p>
            <div class="plugin-files" key={*form_key}>
                <label>{ p.component }
                    <input type="file" class="plugin-component" accept=".wasm,application/wasm"
                        onchange={on_component} /></label>
                <label>{ p.manifest }
                    <input type="file" class="plugin-manifest" accept=".toml,.json"
                        onchange={on_manifest} /></label>
                <label>{ p.or_package }{ " · " }{ p.package }
                    <input type="file" class="plugin-package" accept=".sbplugin"
                        onchange={on_package} /></label>
            </div>
            if let Some(asked) = &*preview {
                { grants(p, asked) }
                <div class="buttons">
                    <button type="button" class="cancel" onclick={on_cancel}>{ t.cancel }</button>
                    <button type="button" class="primary approve" disabled={*busy}
                        onclick={on_approve}>{ p.approve }</button>
                </div>
            }
            { said_line(&said) }
        </section>
    }
}

/// Everything the plugin asks for, in words, as the admin approves it.
fn grants(p: &PluginTexts, asked: &PluginPreview) -> Html {
    let listed = |class: &'static str, label: &'static str, items: &[String], none: &str| {
        html! {
            <li class={class}>
                <span>{ label }{ ": " }</span>
                if items.is_empty() {
                    <em>{ none.to_string() }</em>
                } else {
                    { for items.iter().map(|item| html! { <code>{ item }</code> }) }
                }
            </li>
        }
    };
    let number = |n: u32| n.to_string();
    html! {
        <div class="plugin-grants" role="group" aria-label={p.asks_for.replace("{name}", &asked.name).replace("{version}", &asked.version)}>
            <h3>{ p.asks_for.replace("{name}", &asked.name).replace("{version}", &asked.version) }</h3>
            <ul>
                if asked.allowed_hosts.is_empty() {
                    <li class="grant-hosts"><span>{ p.no_hosts }</span></li>
                } else {
                    { listed("grant-hosts", p.hosts, &asked.allowed_hosts, p.nothing) }
                }
                { listed("grant-settings", p.settings, &asked.settings, p.nothing) }
                { listed("grant-secrets", p.secrets, &asked.secrets, p.nothing) }
                <li class="grant-memory">{ p.memory.replace("{mib}", &number(asked.memory_mib)) }</li>
                <li class="grant-time">{ p.time.replace("{ms}", &number(asked.time_ms)) }</li>
                <li class="grant-output">{ p.output.replace("{kib}", &number(asked.output_kib)) }</li>
                if let Some(seconds) = asked.tick_seconds {
                    <li class="grant-tick">{ p.tick.replace("{seconds}", &number(seconds)) }</li>
                }
                if let Some(hours) = asked.reply_window_hours {
                    <li class="grant-window">{ p.reply_window.replace("{hours}", &number(hours)) }</li>
                }
                <li class="grant-kind">{ p.kind_contract.replace("{kind}", &asked.channel_kind)
                    .replace("{contract}", &asked.contract) }</li>
            </ul>
            if let Some(installed) = &asked.installed_version {
                <p class="replaces">{ p.replaces.replace("{version}", installed) }</p>
            }
        </div>
    }
}
