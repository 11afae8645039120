//! Settings › Contacts, for admins: a CSV file chosen, previewed (its columns, what each
//! holds, chosen in a select, and its first rows), imported, and the report with every rejected
//! row and why; and a link that downloads every contact as CSV.

use switchboard_model::{ContactColumn, ImportFile, ImportPreview, ImportReport};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;
use crate::i18n::{ContactFilesTexts, contact_files_texts, texts};
use crate::state::Console;

/// The select's value for each field, in the order of `ContactFilesTexts::fields`.
const FIELDS: [&str; 7] = [
    "name", "email", "phone", "tags", "notes", "custom", "ignore",
];

fn field_value(column: &ContactColumn) -> &'static str {
    match column {
        ContactColumn::Name => FIELDS[0],
        ContactColumn::Email => FIELDS[1],
        ContactColumn::Phone => FIELDS[2],
        ContactColumn::Tags => FIELDS[3],
        ContactColumn::Notes => FIELDS[4],
        ContactColumn::Custom(_) => FIELDS[5],
        ContactColumn::Ignore => FIELDS[6],
    }
}

/// The field a select's value names; a custom field takes the column's header.
fn column_of(value: &str, header: &str) -> ContactColumn {
    match value {
        "name" => ContactColumn::Name,
        "email" => ContactColumn::Email,
        "phone" => ContactColumn::Phone,
        "tags" => ContactColumn::Tags,
        "notes" => ContactColumn::Notes,
        "custom" => ContactColumn::Custom(header.to_string()),
        _ => ContactColumn::Ignore,
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub console: UseReducerHandle<Console>,
}

/// Where the import stands.
#[derive(Clone, PartialEq)]
enum Step {
    Choosing,
    Previewed(String, ImportPreview),
    Importing,
    Reported(ImportReport),
}

#[function_component(ContactFiles)]
pub fn contact_files(props: &Props) -> Html {
    let locale = props.console.locale;
    let (t, c) = (texts(locale), contact_files_texts(locale));
    let step = use_state(|| Step::Choosing);
    let said = use_state(|| None::<String>);
    let on_file = {
        let (step, said) = (step.clone(), said.clone());
        Callback::from(move |event: Event| {
            let Some(file) = event
                .target_dyn_into::<HtmlInputElement>()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                return;
            };
            let (step, said) = (step.clone(), said.clone());
            spawn_local(async move {
                let text = JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|text| text.as_string());
                let csv = text.unwrap_or_default();
                let file = ImportFile {
                    csv: csv.clone(),
                    mapping: None,
                };
                match api::post::<ImportPreview>("/api/v1/contacts/import/preview", &file).await {
                    Ok(preview) => {
                        said.set(None);
                        step.set(Step::Previewed(csv, preview));
                    }
                    Err(failure) => said.set(Some(failure.said(t.unreachable))),
                }
            });
        })
    };
    let body = match (*step).clone() {
        Step::Choosing => html! {},
        Step::Previewed(csv, preview) => preview_table(c, &step, &said, csv, preview),
        Step::Importing => html! { <p class="later">{ c.importing }</p> },
        Step::Reported(report) => report_of(c, &report),
    };
    html! {
        <section class="contact-files">
            <h3>{ c.import_title }</h3>
            <p class="later">{ c.import_help }</p>
            <label>{ c.file }
                <input type="file" class="csv-file" accept=".csv,text/csv" onchange={on_file} />
            </label>
            if let Some(said) = &*said {
                <p class="said refused" role="alert">{ said.clone() }</p>
            }
            { body }
            <p><a class="export-csv" href="/api/v1/contacts/export" download="contacts.csv">
                { c.export_csv }</a></p>
        </section>
    }
}

/// The file's columns, each with a select of what it holds, its first rows, and Import.
fn preview_table(
    c: &'static ContactFilesTexts,
    step: &UseStateHandle<Step>,
    said: &UseStateHandle<Option<String>>,
    csv: String,
    preview: ImportPreview,
) -> Html {
    let on_change = |column: usize| {
        let (step, csv, preview) = (step.clone(), csv.clone(), preview.clone());
        Callback::from(move |event: Event| {
            let Some(select) = event.target_dyn_into::<HtmlSelectElement>() else {
                return;
            };
            let mut preview = preview.clone();
            preview.mapping[column] = column_of(&select.value(), &preview.headers[column]);
            step.set(Step::Previewed(csv.clone(), preview));
        })
    };
    let on_import = {
        let (step, said) = (step.clone(), said.clone());
        let file = ImportFile {
            csv: csv.clone(),
            mapping: Some(preview.mapping.clone()),
        };
        Callback::from(move |_: MouseEvent| {
            let (step, said, file) = (step.clone(), said.clone(), file.clone());
            step.set(Step::Importing);
            spawn_local(async move {
                match api::post::<ImportReport>("/api/v1/contacts/import", &file).await {
                    Ok(report) => step.set(Step::Reported(report)),
                    Err(failure) => {
                        said.set(Some(failure.said("")));
                        step.set(Step::Choosing);
                    }
                }
            });
        })
    };
    let counts = c
        .preview_counts
        .replace("{rows}", &preview.rows.to_string())
        .replace("{rejected}", &preview.rejected.to_string());
    let select = |(column, mapped): (usize, &ContactColumn)| {
        let chosen = field_value(mapped);
        html! {
            <th>
                <span>{ preview.headers[column].clone() }</span>
                <select aria-label={preview.headers[column].clone()} onchange={on_change(column)}>
                    { for FIELDS.iter().zip(c.fields).map(|(value, words)| html! {
                        <option value={*value} selected={*value == chosen}>{ words }</option>
                    }) }
                </select>
            </th>
        }
    };
    html! {
        <>
            <p class="preview-counts">{ counts }</p>
            <table class="import-preview">
                <thead><tr>{ for preview.mapping.iter().enumerate().map(select) }</tr></thead>
                <tbody>
                    { for preview.sample.iter().map(|row| html! {
                        <tr>{ for row.iter().map(|cell| html! { <td>{ cell.clone() }</td> }) }</tr>
                    }) }
                </tbody>
            </table>
            <button class="primary import" onclick={on_import}>{ c.import }</button>
        </>
    }
}

/// What the import did, and each rejected row with why.
fn report_of(c: &ContactFilesTexts, report: &ImportReport) -> Html {
    let summary = c
        .report
        .replace("{created}", &report.created.to_string())
        .replace("{updated}", &report.updated.to_string())
        .replace("{unchanged}", &report.unchanged.to_string())
        .replace("{combined}", &report.combined.to_string());
    html! {
        <div class="import-report">
            <p class="said" role="status">{ summary }</p>
            <h4>{ c.rejected }</h4>
            if report.rejected.is_empty() {
                <p class="later">{ c.none_rejected }</p>
            } else {
                <table class="rejected-rows">
                    <thead><tr><th>{ c.row }</th><th>{ c.reason }</th><th>{ c.value }</th></tr></thead>
                    <tbody>
                        { for report.rejected.iter().map(|rejected| html! {
                            <tr data-row={rejected.row.to_string()}>
                                <td>{ rejected.row }</td>
                                <td>{ c.reason(rejected.reason) }</td>
                                <td>{ rejected.value.clone() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ContactDataProps {
    pub console: UseReducerHandle<Console>,
    pub contact_id: switchboard_model::Id,
    pub name: String,
    /// Called once the contact is erased.
    pub on_erased: Callback<()>,
}

/// A contact's data at their request, for admins: a link that downloads it as JSON, and Erase,
/// which first says what goes and that it cannot be undone.
#[function_component(ContactDataActions)]
pub fn contact_data_actions(props: &ContactDataProps) -> Html {
    let c = contact_files_texts(props.console.locale);
    let id = props.contact_id;
    let asking = use_state(|| false);
    let said = use_state(|| None::<String>);
    let ask = {
        let asking = asking.clone();
        Callback::from(move |_: MouseEvent| asking.set(!*asking))
    };
    let erase = {
        let (said, on_erased) = (said.clone(), props.on_erased.clone());
        Callback::from(move |_: MouseEvent| {
            let (said, on_erased) = (said.clone(), on_erased.clone());
            spawn_local(async move {
                let path = format!("/api/v1/contacts/{id}");
                match api::delete::<switchboard_model::ErasedContact>(&path).await {
                    Ok(_) => {
                        crate::show_path("/app/");
                        on_erased.emit(());
                    }
                    Err(failure) => said.set(Some(failure.said(""))),
                }
            });
        })
    };
    html! {
        <section class="contact-data">
            <a class="export-data" href={format!("/api/v1/contacts/{id}/export")}
                download={format!("contact-{id}.json")}>{ c.export_data }</a>
            <button class="erase-contact danger" onclick={ask.clone()}>{ c.erase }</button>
            if *asking {
                <div class="confirm-erase" role="alertdialog">
                    <p>{ c.erase_question.replace("{name}", &props.name) }</p>
                    <button class="danger erase-for-good" onclick={erase}>{ c.erase_for_good }</button>
                    <button onclick={ask}>{ c.keep }</button>
                </div>
            }
            if let Some(said) = &*said {
                <p class="said refused" role="alert">{ said.clone() }</p>
            }
        </section>
    }
}
