//! Contacts: list and search, create, read, update, tag and merge; files in and out in
//! `contacts/files.rs`.

mod files;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use switchboard_model::{Contact, ContactUpdate, Id, MergeContacts, NewContact, Page, TagChange};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{page_size, require_text};
use crate::auth::Caller;
use crate::extract::{Json, Path, Query};
use crate::{ApiError, ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(change_tags))
        .routes(routes!(merge_contacts))
        .merge(files::routes())
}

/// Search and paging for the contact list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ContactQuery {
    /// Matches name, email addresses and phone numbers.
    q: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<Id>,
    limit: Option<u32>,
    /// Only these contacts, comma-separated (at most 200), in this order; ids the workspace
    /// does not hold are left out. The console asks for a page of the list's contacts at once.
    ids: Option<String>,
}

/// Most contacts one call names with `ids`.
const MAX_IDS: usize = 200;

/// Contacts, newest first; or the contacts `ids` names.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactQuery), responses((status = 200, body = Page<Contact>)))]
async fn list_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ContactQuery>,
) -> ApiResult<axum::Json<Page<Contact>>> {
    if let Some(ids) = &query.ids {
        let ids = ids
            .split(',')
            .filter(|id| !id.trim().is_empty())
            .map(|id| {
                id.trim().parse::<Id>().map_err(|_| {
                    ApiError::bad_request("invalid_query", format!("`ids` holds {id:?}, not an id"))
                })
            })
            .collect::<ApiResult<Vec<Id>>>()?;
        if ids.len() > MAX_IDS {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("`ids` names at most {MAX_IDS} contacts"),
            ));
        }
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            match state.store.contact(caller.workspace_id, id).await {
                Ok(contact) => items.push(contact),
                Err(switchboard_store::StoreError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        return Ok(axum::Json(Page {
            items,
            next_cursor: None,
        }));
    }
    let page = state
        .store
        .contacts(
            caller.workspace_id,
            query.q.as_deref(),
            query.cursor,
            page_size(query.limit),
        )
        .await?;
    Ok(axum::Json(page))
}

/// Creates a contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContact,
    responses((status = 201, body = Contact), (status = 409, body = switchboard_model::ErrorBody, description = "an identity belongs to another contact")))]
async fn create_contact(
    State(state): State<AppState>,
    caller: Caller,
    Json(new): Json<NewContact>,
) -> ApiResult<(StatusCode, axum::Json<Contact>)> {
    require_text("name", &new.name, 200)?;
    require_emails(&new.emails)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(state.store.create_contact(caller.workspace_id, new).await?),
    ))
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = u64, Path)), responses((status = 200, body = Contact)))]
async fn get_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
) -> ApiResult<axum::Json<Contact>> {
    Ok(axum::Json(
        state.store.contact(caller.workspace_id, id).await?,
    ))
}

/// Changes a contact's name, addresses, custom fields or notes.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", request_body = ContactUpdate,
    params(("id" = u64, Path)), responses((status = 200, body = Contact)))]
async fn update_contact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(update): Json<ContactUpdate>,
) -> ApiResult<axum::Json<Contact>> {
    if let Some(name) = &update.name {
        require_text("name", name, 200)?;
    }
    if let Some(emails) = &update.emails {
        require_emails(emails)?;
    }
    Ok(axum::Json(
        state
            .store
            .update_contact(caller.workspace_id, id, update)
            .await?,
    ))
}

/// Adds and removes tags in one step.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/tags", tag = "contacts", request_body = TagChange,
    params(("id" = u64, Path)), responses((status = 200, body = Contact)))]
async fn change_tags(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(change): Json<TagChange>,
) -> ApiResult<axum::Json<Contact>> {
    for tag in change.add.iter().chain(&change.remove) {
        require_text("tag", tag, 50)?;
    }
    Ok(axum::Json(
        state
            .store
            .change_tags(caller.workspace_id, id, change)
            .await?,
    ))
}

/// Merges another contact into this one: identities, addresses, tags and conversations move.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", request_body = MergeContacts,
    params(("id" = u64, Path)), responses((status = 200, body = Contact)))]
async fn merge_contacts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Id>,
    Json(merge): Json<MergeContacts>,
) -> ApiResult<axum::Json<Contact>> {
    Ok(axum::Json(
        state
            .store
            .merge_contacts(caller.workspace_id, id, merge.from_id)
            .await?,
    ))
}

/// Refuses a contact's addresses unless each is an email address, naming the first that is not.
fn require_emails(emails: &[String]) -> ApiResult<()> {
    match emails
        .iter()
        .find(|email| !switchboard_model::is_email_address(email.trim()))
    {
        Some(wrong) => Err(ApiError::invalid_body(format!(
            "`emails` holds {wrong:?}, which is not an email address"
        ))),
        None => Ok(()),
    }
}
