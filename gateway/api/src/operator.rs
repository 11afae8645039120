//! What the installation's operator does to the businesses it hosts: make a workspace with its
//! first admin, list workspaces with what each uses, suspend and resume one. The routes under
//! `/api/v1/operator` and the binary's `workspace` command (on a stopped gateway's store) both
//! call these.

use axum::http::StatusCode;
use switchboard_model::{
    CreatedWorkspace, Id, NewWorkspace, Role, Workspace, WorkspaceQuotas, WorkspaceSummary,
    is_email_address, name_from_email, workspace_name_problem,
};
use switchboard_store::{NewAgentRecord, Store};

use crate::auth::{hash_password, new_password};
use crate::{ApiError, ApiResult};

/// A new workspace and its first admin, who signs in once with the password in the answer.
pub async fn create_workspace(store: &dyn Store, new: NewWorkspace) -> ApiResult<CreatedWorkspace> {
    if let Some(problem) = workspace_name_problem(&new.name) {
        return Err(invalid("name", problem));
    }
    let name = new.name.trim();
    let email = new.admin_email.trim();
    if !is_email_address(email) {
        return Err(invalid(
            "admin_email",
            format!("{email:?} is not an email address"),
        ));
    }
    let admin_name = match new.admin_name.as_deref().map(str::trim) {
        Some(given) if !given.is_empty() => given.to_string(),
        _ => name_from_email(email).to_string(),
    };
    let password = new_password();
    let admin = NewAgentRecord {
        name: admin_name,
        email: email.to_string(),
        role: Role::Admin,
        password_hash: hash_password(password.clone()).await?,
        must_choose_password: true,
    };
    let (workspace, admin) = store
        .create_workspace_with_admin(name, admin, WorkspaceQuotas::default())
        .await?;
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
    if let Some((field, problem)) = quotas.problem() {
        return Err(invalid(field, problem));
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
