//! What an admin sees in the top bar while the workspace has reached a quota the installation's
//! operator set: "Limit reached", which opens which limit, how much of it is used, what it
//! stops and whom to ask. The gateway also emails the admins when a quota first refuses
//! something each day.

use switchboard_model::QuotaUse;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{Locale, texts};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub locale: Locale,
}

#[function_component]
pub fn QuotaNotice(props: &Props) -> Html {
    let reached = use_state(Vec::<QuotaUse>::new);
    let open = use_state(|| false);
    {
        let reached = reached.setter();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(uses) = api::get::<Vec<QuotaUse>>("/api/v1/quotas").await {
                    reached.set(uses.into_iter().filter(QuotaUse::reached).collect());
                }
            });
        });
    }
    if reached.is_empty() {
        return html! {};
    }
    let t = texts(props.locale);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    html! {
        <>
            <button class="quota-reached" aria-expanded={open.to_string()} onclick={toggle.clone()}>
                { t.quota_pill }
            </button>
            if *open {
                <div class="quota-detail" role="status">
                    { for reached.iter().map(|quota_use| html! { <p>{ t.quota_notice(quota_use) }</p> }) }
                    <p>{ t.quota_ask }</p>
                    <button onclick={toggle}>{ t.close }</button>
                </div>
            }
        </>
    }
}
