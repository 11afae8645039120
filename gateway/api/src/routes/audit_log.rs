//! The workspace's audit log (admins only): who changed which setting, invited or removed
//! whom, installed which plugin, and when.

use axum::extract::State;
use serde::Deserialize;
use switchboard_model::{AuditEntry, Id, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::page_size;
use crate::auth::Caller;
use crate::extract::Query;
use crate::{ApiResult, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// Paging through the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct AuditQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<Id>,
    limit: Option<u32>,
}

/// The audit log, newest first: who (an agent, the operator or the gateway), what, which
/// record, when, and which fields a change set (never their values).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit log", params(AuditQuery), responses((status = 200, body = Page<AuditEntry>)))]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> ApiResult<axum::Json<Page<AuditEntry>>> {
    caller.require_admin()?;
    Ok(axum::Json(
        state
            .store
            .audit_log(caller.workspace_id, query.cursor, page_size(query.limit))
            .await?,
    ))
}
