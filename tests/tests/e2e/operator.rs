//! The operator's `switchboard workspace` commands on the real binary: while the gateway runs
//! they go through its operator routes, while it is stopped straight to its store; a second
//! business made from the command line signs in beside the first.

use std::path::Path;

use anyhow::{Context, ensure};
use hyper::StatusCode;
use switchboard_e2e::{Client, Gateway, gateway_binary};

const OPERATOR_TOKEN: &str = "an operator token for the e2e test";

/// The settings the gateway and the command share.
fn settings(data: &Path, port: u16, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SWITCHBOARD_SERVER__LISTEN", format!("127.0.0.1:{port}")),
        ("SWITCHBOARD_OPERATOR__TOKEN", token.to_string()),
        (
            "SWITCHBOARD_STORE__PATH",
            data.join("store").display().to_string(),
        ),
    ]
}

/// Runs `switchboard workspace ARGS`; its standard output, or its error.
fn workspace(settings: &[(&str, String)], args: &[&str]) -> anyhow::Result<String> {
    let output = std::process::Command::new(gateway_binary()?)
        .arg("workspace")
        .args(args)
        .envs(settings.iter().map(|(name, value)| (*name, value.as_str())))
        .env_remove("RUST_BACKTRACE")
        .output()?;
    ensure!(
        output.status.success(),
        "`switchboard workspace {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}

/// The status of a sign-in, and the error code if it was refused.
async fn sign_in(
    gateway: &Gateway,
    email: &str,
    password: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let (status, _, body) = Client::new(&gateway.base_url)
        .attempt_login(email, password, &[])
        .await?;
    Ok((
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_makes_suspends_resumes_and_removes_a_business_with_the_gateway_running_or_stopped()
-> anyhow::Result<()> {
    let data = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let shared = settings(data.path(), port, OPERATOR_TOKEN);
    let gateway = Gateway::start_with(data.path(), &shared).await?;

    // Running: through the gateway.
    let created = workspace(
        &shared,
        &[
            "create",
            "--name",
            "Café Aurora",
            "--admin-email",
            "ana@cafe-aurora.example",
        ],
    )?;
    let password = created
        .lines()
        .find_map(|line| line.strip_prefix("    "))
        .context("the one-time password on its own line")?
        .trim()
        .to_string();
    let id = created
        .split_whitespace()
        .nth(2)
        .and_then(|id| id.parse::<u64>().ok())
        .with_context(|| format!("the new workspace's id in {created:?}"))?;
    assert!(created.contains("ana@cafe-aurora.example"), "{created}");
    let ana = Client::new(&gateway.base_url)
        .session("ana@cafe-aurora.example", &password)
        .await?;
    // The printed password is for choosing her own, before anything else.
    let (status, refused) = ana.get("/api/v1/channels").await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"]["code"], "choose_password");
    let own = serde_json::json!({ "password": "la contraseña de Ana" });
    let (status, chosen) = ana.post("/api/v1/auth/password", &own).await?;
    assert_eq!(status, StatusCode::OK, "{chosen}");
    assert_eq!(
        sign_in(&gateway, "ana@cafe-aurora.example", &password).await?,
        (StatusCode::UNAUTHORIZED, "invalid_credentials".into()),
        "the printed password still signs in"
    );
    let password = "la contraseña de Ana";
    let (status, channels) = ana.get("/api/v1/channels").await?;
    assert_eq!((status, channels), (StatusCode::OK, serde_json::json!([])));
    // A quota set from the command line refuses one more channel, naming it.
    let limited = workspace(&shared, &["quotas", &id.to_string(), "--channels", "0"])?;
    assert!(limited.contains("channels 0"), "{limited}");
    let (status, refused) = ana
        .post(
            "/api/v1/channels",
            &serde_json::json!({ "kind": "webchat", "name": "Tienda" }),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"]["code"], "quota_reached");
    assert_eq!(refused["error"]["field"], "channels");

    // The first business goes on beside it, and its export holds its conversation and files.
    let demo = gateway.admin().await?;
    demo.post_inbound(
        demo.api_channel().await?,
        &switchboard_e2e::inbound_message("ana@example.com", "x-1", "Hola, ¿abren el domingo?"),
    )
    .await?;
    let (_, channels) = demo.get("/api/v1/channels").await?;
    let demo_id = channels[0]["workspace_id"].to_string();
    let exported = data.path().join("export-while-running");
    workspace(
        &shared,
        &["export", &demo_id, "--to", &exported.display().to_string()],
    )?;
    let records = std::fs::read_to_string(exported.join("records.jsonl"))?;
    assert!(records.contains("Hola, ¿abren el domingo?"), "{records}");
    assert!(
        records
            .lines()
            .last()
            .is_some_and(|line| line.contains("\"kind\":\"end\"")),
        "the export is whole"
    );
    assert!(
        std::fs::read_dir(exported.join("files"))?.count() > 0,
        "the demo's files"
    );
    let listed = workspace(&shared, &["list"])?;
    for name in ["Demo", "Café Aurora"] {
        assert!(listed.contains(name), "{name} in {listed}");
    }

    // Without the operator's token, a running gateway's store is not reachable.
    let mut tokenless = shared.clone();
    tokenless[1].1 = String::new();
    let refused = workspace(&tokenless, &["list"]).expect_err("refused");
    assert!(format!("{refused}").contains("operator.token"), "{refused}");

    // Stopped: straight to the store.
    gateway.kill_hard().await?;
    let offline = data.path().join("export-while-stopped");
    workspace(
        &shared,
        &["export", &demo_id, "--to", &offline.display().to_string()],
    )?;
    assert_eq!(
        std::fs::read_to_string(offline.join("records.jsonl"))?
            .lines()
            .filter(|line| line.contains("\"kind\":\"message\""))
            .count(),
        records
            .lines()
            .filter(|line| line.contains("\"kind\":\"message\""))
            .count(),
        "the same messages either way"
    );
    let suspended = workspace(&shared, &["suspend", &id.to_string()])?;
    assert!(suspended.contains("Café Aurora"), "{suspended}");
    let gateway = Gateway::start_with(data.path(), &shared).await?;
    assert_eq!(
        sign_in(&gateway, "ana@cafe-aurora.example", password).await?,
        (StatusCode::FORBIDDEN, "workspace_suspended".into())
    );
    assert!(workspace(&shared, &["list"])?.contains("suspended"));

    workspace(&shared, &["resume", &id.to_string()])?;
    assert_eq!(
        sign_in(&gateway, "ana@cafe-aurora.example", password)
            .await?
            .0,
        StatusCode::OK
    );

    // Removal: refused while the business is active, then everything of it goes.
    let active = workspace(&shared, &["delete", &id.to_string()]).expect_err("active");
    assert!(format!("{active}").contains("suspend it first"), "{active}");
    workspace(&shared, &["suspend", &id.to_string()])?;
    let removed = workspace(&shared, &["delete", &id.to_string()])?;
    assert!(removed.contains("Removed workspace"), "{removed}");
    assert_eq!(
        sign_in(&gateway, "ana@cafe-aurora.example", password)
            .await?
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert!(!workspace(&shared, &["list"])?.contains("Café Aurora"));
    gateway.admin().await?;
    Ok(())
}
