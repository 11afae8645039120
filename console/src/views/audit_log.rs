//! The audit log of Settings › Integrations: a table, newest first, of when (in the admin's
//! locale), who, what (in the admin's language), which record and which fields a change set,
//! a page at a time with "Load more".

use switchboard_model::{AuditActor, AuditEntry, Page};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::i18n::{action_words, integration_texts, texts};
use crate::state::Console;
use crate::views::channel_editor::said_line;
use crate::views::integration_settings::written_date;
use crate::views::workspace::signed_out_on;

/// How many entries a page holds.
const PAGE_LENGTH: u32 = 25;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
    pub on_signed_out: Callback<()>,
    /// Changes when a change was made on this screen: the log is read again from the top.
    pub changes: u32,
}

/// The entries read so far, and where the next page starts.
#[derive(Clone, Default, PartialEq)]
struct Read {
    entries: Vec<AuditEntry>,
    next_cursor: Option<String>,
}

#[function_component(AuditLog)]
pub fn audit_log(props: &Props) -> Html {
    let locale = props.console.locale;
    let (t, i) = (texts(locale), integration_texts(locale));
    let read = use_state(Read::default);
    let said = use_state(|| None::<Result<String, String>>);
    // Reads the page after `cursor` (the first without one) onto what was read before it.
    let read_page = {
        let (read, said, on_signed_out) = (read.clone(), said.clone(), props.on_signed_out.clone());
        move |cursor: Option<String>| {
            let (read, said, on_signed_out) = (read.clone(), said.clone(), on_signed_out.clone());
            spawn_local(async move {
                let after = cursor
                    .as_ref()
                    .map(|cursor| format!("&cursor={cursor}"))
                    .unwrap_or_default();
                let path = format!("/api/v1/audit-log?limit={PAGE_LENGTH}{after}");
                match api::get::<Page<AuditEntry>>(&path).await {
                    Ok(page) => {
                        let mut entries = if cursor.is_some() {
                            read.entries.clone()
                        } else {
                            Vec::new()
                        };
                        entries.extend(page.items);
                        read.set(Read {
                            entries,
                            next_cursor: page.next_cursor,
                        });
                    }
                    Err(failure) => {
                        signed_out_on(&failure, &on_signed_out);
                        said.set(Some(Err(failure.said(t.unreachable))));
                    }
                }
            });
        }
    };
    {
        let read_page = read_page.clone();
        use_effect_with(props.changes, move |_| read_page(None));
    }
    let load_more = {
        let next = read.next_cursor.clone();
        Callback::from(move |_: MouseEvent| read_page(next.clone()))
    };
    let language = locale.tag();
    let row = |entry: &AuditEntry| {
        let record = &entry.record;
        let who = match &record.actor {
            AuditActor::Agent { name, .. } => name.clone(),
            AuditActor::Operator => i.operator.to_string(),
            AuditActor::System => i.gateway_itself.to_string(),
        };
        let which = record
            .record_name
            .clone()
            .or_else(|| record.record_id.map(|id| format!("#{id}")))
            .unwrap_or_default();
        // The action's name on the wire, for the end-to-end tests to find the row by.
        let action = serde_json::to_value(record.action)
            .ok()
            .and_then(|name| name.as_str().map(str::to_string))
            .unwrap_or_default();
        html! {
            <tr class="audit-entry" data-action={action}>
                <td><time>{ written_date(entry.at, language, true) }</time></td>
                <td class="who">{ who }</td>
                <td class="what">{ action_words(locale, record.action) }</td>
                <td class="which">{ which }</td>
                <td class="changed">{ record.changed.join(", ") }</td>
            </tr>
        }
    };
    html! {
        <>
            { said_line(&said) }
            if read.entries.is_empty() {
                <p class="later">{ i.no_entries }</p>
            } else {
                <div class="table-scroll">
                    <table class="audit-log">
                        <thead><tr>
                            <th>{ i.when }</th><th>{ i.who }</th><th>{ i.what }</th>
                            <th>{ i.record }</th><th>{ i.changed }</th>
                        </tr></thead>
                        <tbody>{ for read.entries.iter().map(row) }</tbody>
                    </table>
                </div>
                if read.next_cursor.is_some() {
                    <button class="load-more" onclick={load_more}>{ i.load_more }</button>
                }
            }
        </>
    }
}
