//! What the installation's operator does to the businesses it hosts: make a workspace with its
//! first admin, list workspaces with what each uses, suspend and resume one. The routes under
//! `/api/v1/operator` and the binary's `workspace` command (on a stopped gateway's store) both
//! call these.

use axum::http::StatusCode;
use switchboard_model::{
    CreatedWorkspace, Id, NewWorkspace, Role, Workspace, WorkspaceQuotas, WorkspaceSummary,
    is_email_address,
};
use switchboard_store::{NewAgentRecord, Store};

use crate::auth::{hash_password, new_password};
use crate::{ApiError, ApiResult};

/// The longest workspace name.
const MAX_NAME_CHARS: usize = 100;
/// The largest quota of anything counted; no quota is no limit.
const MAX_QUOTA: u32 = 1_000_000;
/// The largest storage quota, 1 PiB.
const MAX_STORAGE_MIB: u64 = 1 << 30;

/// A new workspace and its first admin, who signs in once with the password in the answer.
pub async fn create_workspace(store: &dyn Store, new: NewWorkspace) -> ApiResult<CreatedWorkspace> {
    let name = new.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(invalid(
            "name",
            format!(
                "the workspace's name must have 1 to {MAX_NAME_CHARS} characters, none of them a control character"
            ),
        ));
    }
    let email = new.admin_email.trim();
    if !is_email_address(email) {
        return Err(invalid(
            "admin_email",
            format!("{email:?} is not an email address"),
        ));
    }
    let admin_name = match new.admin_name.as_deref().map(str::trim) {
        Some(given) if !given.is_empty() => given.to_string(),
        _ => email.split('@').next().unwrap_or(email).to_string(),
    };
    let password = new_password();
    let admin = NewAgentRecord {
        name: admin_name,
        email: email.to_string(),
        role: Role::Admin,
        password_hash: hash_password(password.clone()).await?,
    };
    let (workspace, admin) = store.create_workspace_with_admin(name, admin).await?;
    tracing::info!(
        workspace_id = workspace.id,
        "the operator created a workspace"
    );
    Ok(CreatedWorkspace {
        workspace,
        admin,
        password,
    })
}

/// Every workspace, oldest first, with what it uses.
pub async fn summaries(store: &dyn Store) -> ApiResult<Vec<WorkspaceSummary>> {
    let mut summaries = Vec::new();
    for workspace in store.workspaces().await? {
        summaries.push(summary(store, workspace).await?);
    }
    Ok(summaries)
}

/// One workspace with what it uses.
pub async fn summary(store: &dyn Store, workspace: Workspace) -> ApiResult<WorkspaceSummary> {
    let usage = store.workspace_usage(workspace.id).await?;
    Ok(WorkspaceSummary { workspace, usage })
}

/// Suspends the workspace (its people are signed out; nothing is deleted) or resumes it.
pub async fn suspend(store: &dyn Store, id: Id, suspended: bool) -> ApiResult<Workspace> {
    let workspace = store.suspend_workspace(id, suspended).await?;
    tracing::info!(
        workspace_id = id,
        suspended,
        "the operator changed a workspace"
    );
    Ok(workspace)
}

/// Sets the workspace's quotas; what it has beyond a lower quota stays, only more is refused.
pub async fn set_quotas(
    store: &dyn Store,
    id: Id,
    quotas: WorkspaceQuotas,
) -> ApiResult<Workspace> {
    for (field, quota) in [
        ("agents", quotas.agents),
        ("channels", quotas.channels),
        ("plugins", quotas.plugins),
        ("messages_per_day", quotas.messages_per_day),
    ] {
        if quota.is_some_and(|quota| quota > MAX_QUOTA) {
            return Err(invalid(
                field,
                format!("a quota of {field} is at most {MAX_QUOTA}; leave it out for no limit"),
            ));
        }
    }
    if quotas.storage_mib.is_some_and(|mib| mib > MAX_STORAGE_MIB) {
        return Err(invalid(
            "storage_mib",
            format!("a storage quota is at most {MAX_STORAGE_MIB} MiB; leave it out for no limit"),
        ));
    }
    let workspace = store.set_workspace_quotas(id, quotas).await?;
    tracing::info!(
        workspace_id = id,
        ?quotas,
        "the operator set a workspace's quotas"
    );
    Ok(workspace)
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError {
        field: Some(field.to_string()),
        ..ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_workspace",
            message,
        )
    }
}
