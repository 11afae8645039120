//! The website chat's identity secret, with which a site signs its logged-in users: whether one
//! is set, and a new one made in the browser (from its cryptographic random source), stored
//! sealed among the channel's secrets and shown once to copy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use switchboard_model::Id;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{Locale, texts};
use crate::views::channel_editor::{copy_on_click, said_line};
use crate::views::workspace::signed_out_on;

/// The secret's name among the channel's secrets, as the gateway checks a signature with it.
const IDENTITY_SECRET: &str = "identity_secret";

#[derive(Deserialize)]
struct SecretNames {
    names: Vec<String>,
}

#[derive(Serialize)]
struct SecretChanges {
    secrets: BTreeMap<String, Option<String>>,
}

/// 32 random bytes as lowercase hex, from the browser's cryptographic source.
fn new_secret() -> Option<String> {
    let mut bytes = [0_u8; 32];
    web_sys::window()?
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut bytes)
        .ok()?;
    Some(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub channel_id: Id,
    pub locale: Locale,
    pub on_signed_out: Callback<()>,
}

#[function_component(IdentitySecret)]
pub fn identity_secret(props: &Props) -> Html {
    let t = texts(props.locale);
    let set = use_state(|| None::<bool>);
    let shown = use_state(|| None::<String>);
    let said = use_state(|| None::<Result<String, String>>);
    let path = format!("/api/v1/channels/{}/secrets", props.channel_id);
    {
        let (set, path) = (set.setter(), path.clone());
        use_effect_with(props.channel_id, move |_| {
            spawn_local(async move {
                if let Ok(found) = api::get::<SecretNames>(&path).await {
                    set.set(Some(found.names.iter().any(|name| name == IDENTITY_SECRET)));
                }
            });
        });
    }
    let on_new = {
        let (set, shown, said) = (set.setter(), shown.setter(), said.setter());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(secret) = new_secret() else {
                return;
            };
            let change = SecretChanges {
                secrets: BTreeMap::from([(IDENTITY_SECRET.to_string(), Some(secret.clone()))]),
            };
            let (set, shown, said, path) = (set.clone(), shown.clone(), said.clone(), path.clone());
            let on_signed_out = on_signed_out.clone();
            spawn_local(async move {
                match api::patch_only(&path, &change).await {
                    Ok(()) => {
                        set.set(Some(true));
                        shown.set(Some(secret));
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(format!(
                            "{} {}",
                            t.not_saved,
                            failure.said(t.unreachable)
                        ))));
                    }
                }
            });
        })
    };
    html! {
        <section class="identity">
            <h3>{ t.identity }</h3>
            <p class="help">{ t.identity_help }</p>
            if let Some(set) = *set {
                <p class="state">{ if set { t.identity_set } else { t.identity_unset } }</p>
            }
            if let Some(secret) = &*shown {
                <div class="field once">
                    <input readonly=true name="identity_secret" value={secret.clone()} />
                    <button type="button" class="copy" onclick={copy_on_click(secret.clone(), &said, t)}>{ t.copy }</button>
                    <small role="status">{ t.identity_secret_once }</small>
                </div>
            }
            { said_line(&said) }
            <button type="button" class="new-identity-secret" onclick={on_new}>{ t.new_identity_secret }</button>
        </section>
    }
}
