//! Contacts in and out of files (admins only): a CSV file previewed and imported, all contacts
//! exported to CSV, one contact's data exported and the contact erased at their request.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use switchboard_model::{
    AuditAction, ContactData, ErasedContact, Id, ImportFile, ImportPreview, ImportReport,
};
use switchboard_services::contact_files::{self, MAX_IMPORT_BYTES};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Audit;
use crate::auth::Caller;
use crate::extract::{Json, Path};
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview_import))
        .routes(routes!(import_contacts))
        // The file travels inside JSON, where its line breaks and quotes take more room.
        .layer(DefaultBodyLimit::max(2 * MAX_IMPORT_BYTES))
        .routes(routes!(export_contacts))
        .routes(routes!(export_contact))
        .routes(routes!(erase_contact))
}

/// What importing a CSV file would do: its columns, the field each seems to hold, its first
/// rows, how many rows it has and how many would be refused. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/contacts/import/preview", tag = "contacts", request_body = ImportFile,
    responses((status = 200, body = ImportPreview), (status = 413, body = switchboard_model::ErrorBody, description = "over 5 MB or 10,000 rows")))]
async fn preview_import(
    caller: Caller,
    Json(file): Json<ImportFile>,
) -> ApiResult<axum::Json<ImportPreview>> {
    caller.require_admin()?;
    Ok(axum::Json(contact_files::preview(file)?))
}

/// Imports a CSV file: a new person is created, a stored contact its email or phone names gains
/// what the file adds, rows of one person are combined; the report names every refused row.
#[utoipa::path(post, path = "/api/v1/contacts/import", tag = "contacts", request_body = ImportFile,
    responses((status = 200, body = ImportReport), (status = 413, body = switchboard_model::ErrorBody, description = "over 5 MB or 10,000 rows")))]
async fn import_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Json(file): Json<ImportFile>,
) -> ApiResult<axum::Json<ImportReport>> {
    caller.require_admin()?;
    let report = contact_files::import(state.store.as_ref(), caller.workspace_id, file).await?;
    let summary = format!(
        "{} rows: {} created, {} updated, {} rejected",
        report.rows,
        report.created,
        report.updated,
        report.rejected.len()
    );
    Audit::of(AuditAction::ContactsImported)
        .named(&summary)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(report))
}

/// Every contact as a CSV file (UTF-8 with a byte-order mark, which spreadsheets read);
/// cells a spreadsheet would run as formulas start with an apostrophe.
#[utoipa::path(get, path = "/api/v1/contacts/export", tag = "contacts",
    responses((status = 200, content_type = "text/csv", body = String)))]
async fn export_contacts(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<impl axum::response::IntoResponse> {
    caller.require_admin()?;
    let csv = contact_files::export_csv(state.store.as_ref(), caller.workspace_id).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (CONTENT_DISPOSITION, "attachment; filename=\"contacts.csv\""),
        ],
        format!("\u{feff}{csv}"),
    ))
}

/// Everything the workspace holds about one contact, for the person who asked for it (LGPD,
/// GDPR): the contact, its conversations and messages, and the files they carry.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/export", tag = "contacts",
    params(("id" = u64, Path)), responses((status = 200, body = ContactData)))]
async fn export_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<impl axum::response::IntoResponse> {
    caller.require_admin()?;
    let data = contact_files::contact_data(state.store.as_ref(), caller.workspace_id, id).await?;
    let disposition = format!("attachment; filename=\"contact-{id}.json\"");
    Ok(([(CONTENT_DISPOSITION, disposition)], axum::Json(data)))
}

/// Erases a contact at their request, with the contacts merged into it: their conversations,
/// messages, files no one else's message carries, search entries and every event line. It
/// cannot be undone.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = u64, Path)), responses((status = 200, body = ErasedContact)))]
async fn erase_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<ErasedContact>> {
    caller.require_admin()?;
    let erased = state.store.erase_contact(caller.workspace_id, id).await?;
    // By id only: who they were is what was erased.
    Audit::of(AuditAction::ContactErased)
        .id(id)
        .by(&state, &caller)
        .await;
    Ok(axum::Json(erased))
}
