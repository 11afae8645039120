//! Contacts in and out of files: a CSV of 1,000 contacts with 20 bad rows imports with a report
//! naming each bad row and why, rows of one person and stored contacts are merged by email or
//! phone, an export reads back as it was with formulas guarded, limits are named, and an erased
//! contact leaves nothing in search, messages or files.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Auth, TestApp, assert_error};

/// A Spanish spreadsheet's export (semicolons) of 1,000 rows, with the line and reason of
/// each of the 20 bad ones, and rows 3 and 4 of one person (the same email, another phone).
fn spreadsheet() -> (String, Vec<(u64, &'static str)>) {
    let mut csv = String::from("Nombre;Correo electrónico;Teléfono;Etiquetas;Plan\n");
    let mut bad = Vec::new();
    for n in 0..1_000u64 {
        let line = n + 2;
        let mut reject = |reason| {
            bad.push((line, reason));
        };
        let row = if [7, 57, 107, 157, 207, 257, 307, 357].contains(&n) {
            reject("bad_email");
            format!("Cliente {n};cliente{n}@;;;\n")
        } else if [407, 457, 507, 557].contains(&n) {
            reject("bad_phone");
            format!("Cliente {n};;tel-{n};;\n")
        } else if [33, 133, 233].contains(&n) {
            reject("empty_row");
            ";;;;\n".into()
        } else if [333, 433].contains(&n) {
            reject("no_name_or_address");
            ";;;vip;\n".into()
        } else if [533, 633, 733].contains(&n) {
            reject("bad_email");
            format!("Cliente {n};=cmd|'/c calc'!A0;;;\n")
        } else if n == 2 {
            "Cliente 1 bis;CLIENTE1@tienda.co;+57 301 000 0002;mayorista;\n".into()
        } else {
            format!("Cliente {n};cliente{n}@tienda.co;+57 300 {n:07};\"vip, norte\";oro\n")
        };
        csv.push_str(&row);
    }
    (csv, bad)
}

#[tokio::test]
async fn a_thousand_rows_with_twenty_bad_ones_import_with_a_report_naming_each() {
    let app = TestApp::new().await;
    // Already a contact: the file's row for this address adds to it.
    app.inbound("cliente10@tienda.co", "m-1", "Hola").await;
    let (csv, bad) = spreadsheet();
    assert_eq!(bad.len(), 20);

    let (status, preview) = app
        .post(
            "/api/v1/contacts/import/preview",
            &app.admin,
            json!({ "csv": csv }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["headers"][1], "Correo electrónico");
    assert_eq!(
        preview["mapping"],
        json!([{ "field": "name" }, { "field": "email" }, { "field": "phone" }, { "field": "tags" }, { "field": "custom", "name": "Plan" }])
    );
    assert_eq!(preview["rows"], 1_000);
    assert_eq!(preview["rejected"], 20);
    assert_eq!(preview["sample"][0][0], "Cliente 0");
    let (_, none_yet) = app.get("/api/v1/contacts?q=cliente5", &app.admin).await;
    assert_eq!(none_yet["items"], json!([]), "a preview stores nothing");

    let (status, report) = app
        .post(
            "/api/v1/contacts/import",
            &app.admin,
            json!({ "csv": csv, "mapping": preview["mapping"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let rejected: Vec<(u64, &str)> = report["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .map(|row| {
            (
                row["row"].as_u64().expect("a row"),
                row["reason"].as_str().expect("a reason"),
            )
        })
        .collect();
    assert_eq!(rejected, bad, "{report}");
    let first = &report["rejected"][0];
    assert_eq!(first["value"], "cliente7@", "the cell at fault: {first}");
    assert_eq!(report["rows"], 1_000);
    assert_eq!(report["combined"], 1, "rows 3 and 4 are one person");
    assert_eq!(
        report["updated"], 1,
        "the stored contact gained the file's data"
    );
    assert_eq!(report["created"], 1_000 - 20 - 1 - 1);

    let (_, found) = app.get("/api/v1/contacts?q=cliente1@", &app.admin).await;
    let one = &found["items"][0];
    assert_eq!(one["name"], "Cliente 1");
    assert_eq!(
        one["phones"],
        json!(["+57 300 0000001", "+57 301 000 0002"])
    );
    assert_eq!(one["tags"], json!(["mayorista", "norte", "vip"]));
    assert_eq!(one["custom_fields"]["Plan"], "oro");
    let (_, stored) = app.get("/api/v1/contacts?q=cliente10@", &app.admin).await;
    assert_eq!(
        stored["items"].as_array().map(Vec::len),
        Some(1),
        "{stored}"
    );
    assert_eq!(
        stored["items"][0]["name"], "Cliente 10",
        "named after its address before"
    );
    assert_eq!(stored["items"][0]["phones"], json!(["+57 300 0000010"]));

    // The same file again changes nothing and creates nobody.
    let (_, again) = app
        .post("/api/v1/contacts/import", &app.admin, json!({ "csv": csv }))
        .await;
    assert_eq!(
        (&again["created"], &again["updated"]),
        (&json!(0), &json!(0)),
        "{again}"
    );
    assert_eq!(again["unchanged"], 1_000 - 20 - 1);
}

/// Answers the text of a CSV export.
async fn export(app: &TestApp, auth: &Auth) -> String {
    let (status, csv) = app.get("/api/v1/contacts/export", auth).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    csv.as_str().expect("CSV text").to_string()
}

#[tokio::test]
async fn an_export_reads_back_as_it_was_and_guards_formulas() {
    let app = TestApp::new().await;
    for contact in [
        json!({ "name": "=HYPERLINK(\"http://evil.test\")", "emails": ["ana@tienda.co"], "phones": ["+55 11 99999-0000"], "tags": ["vip"], "custom_fields": { "Ciudad": "São Paulo", "Nota": "@SUM(A1)" } }),
        json!({ "name": "Pérez, Luis \"Lucho\"", "emails": ["luis@tienda.co", "l@casa.co"], "notes": "Línea 1\nLínea 2" }),
        json!({ "name": "-Ramón", "phones": ["300 123 4567"] }),
    ] {
        let (status, made) = app.post("/api/v1/contacts", &app.admin, contact).await;
        assert_eq!(status, StatusCode::CREATED, "{made}");
    }
    let csv = export(&app, &app.admin).await;
    assert!(
        csv.starts_with('\u{feff}'),
        "spreadsheets read UTF-8 by its mark"
    );
    assert!(
        csv.contains("name,email,phone,tags,notes,Ciudad,Nota\n"),
        "{csv}"
    );
    for guarded in [
        "\"'=HYPERLINK(\"\"http://evil.test\"\")\"",
        "'+55 11 99999-0000",
        "'@SUM(A1)",
        "'-Ramón",
    ] {
        assert!(csv.contains(guarded), "{guarded} in {csv}");
    }
    assert!(csv.contains("\"Pérez, Luis \"\"Lucho\"\"\""), "{csv}");

    // Another workspace imports the file and holds the same contacts.
    let (status, report) = app
        .post(
            "/api/v1/contacts/import",
            &app.stranger,
            json!({ "csv": csv }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["rejected"], json!([]));
    let fields = |page: &Value| -> Vec<Value> {
        let mut contacts: Vec<Value> = page["items"]
            .as_array()
            .expect("contacts")
            .iter()
            .map(|c| {
                json!([
                    c["name"],
                    c["emails"],
                    c["phones"],
                    c["tags"],
                    c["notes"],
                    c["custom_fields"]
                ])
            })
            .collect();
        contacts.sort_by_key(|c| c.to_string());
        contacts
    };
    let (_, ours) = app.get("/api/v1/contacts", &app.admin).await;
    let (_, theirs) = app.get("/api/v1/contacts", &app.stranger).await;
    assert_eq!(fields(&ours), fields(&theirs));
}

#[tokio::test]
async fn limits_and_roles_are_named() {
    let app = TestApp::new().await;
    let long = format!("name\n{}", "Ana\n".repeat(10_001));
    let answer = app
        .post(
            "/api/v1/contacts/import/preview",
            &app.admin,
            json!({ "csv": long }),
        )
        .await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "too_many_rows");
    let answer = app
        .post(
            "/api/v1/contacts/import",
            &app.admin,
            json!({ "csv": "name,email\nAna,ana@x.co\n", "mapping": [{ "field": "name" }] }),
        )
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_mapping");
    let answer = app
        .post("/api/v1/contacts/import", &app.admin, json!({ "csv": "" }))
        .await;
    assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv");

    let (_, ana) = app
        .post("/api/v1/contacts", &app.admin, json!({ "name": "Ana" }))
        .await;
    let ana = &ana["id"];
    for (method, path) in [
        (Method::POST, "/api/v1/contacts/import".to_string()),
        (Method::POST, "/api/v1/contacts/import/preview".to_string()),
        (Method::GET, "/api/v1/contacts/export".to_string()),
        (Method::GET, format!("/api/v1/contacts/{ana}/export")),
        (Method::DELETE, format!("/api/v1/contacts/{ana}")),
    ] {
        let body = (method == Method::POST).then(|| json!({ "csv": "name\nEve\n" }));
        let answer = app.call(method.clone(), &path, &app.agent, body).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
    }
    let (status, _) = app
        .get(&format!("/api/v1/contacts/{ana}"), &app.admin)
        .await;
    assert_eq!(status, StatusCode::OK, "the agent erased nothing");
}

/// The conversations and contacts the search index holds for `word`, once it caught up (or
/// after 5 s): `(conversations, contacts)`.
async fn indexed(app: &TestApp, word: &str, expected: usize) -> (usize, usize) {
    let mut found = (0, 0);
    for _ in 0..50 {
        let hits = app
            .state
            .search
            .search(app.workspace, word, 50)
            .expect("search");
        found = (hits.conversations.len(), hits.contacts.len());
        if found.0 + found.1 == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

/// Uploads a file as the admin; answers it as a reply names it.
async fn upload(app: &TestApp, name: &str, bytes: &str) -> Value {
    let (status, stored) = app
        .call_raw(
            Method::POST,
            &format!("/api/v1/attachments?name={name}"),
            &app.admin,
            Some(bytes),
            Some("application/pdf"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    stored
}

#[tokio::test]
async fn an_erased_contact_leaves_nothing_in_search_messages_or_files() {
    let app = TestApp::new().await;
    let ana = app
        .inbound("ana.zuluaga@tienda.co", "a-1", "Mi pedido quindio no llegó")
        .await;
    let luis = app.inbound("luis@tienda.co", "l-1", "Hola, soy Luis").await;
    let (ana_conversation, ana_id) = (&ana["conversation_id"], &ana["contact_id"]);
    let only_hers = upload(&app, "factura.pdf", "%PDF-1.4 quindio factura").await;
    let shared = upload(&app, "catalogo.pdf", "%PDF-1.4 catalogo").await;
    for (conversation, files) in [
        (ana_conversation, json!([only_hers, shared])),
        (&luis["conversation_id"], json!([shared])),
    ] {
        let (status, reply) = app
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                &app.admin,
                json!({ "text": "Te envío quindio la factura", "attachments": files }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{reply}");
    }
    assert_eq!(
        indexed(&app, "quindio", 2).await,
        (2, 0),
        "both conversations hold the word"
    );
    assert_eq!(indexed(&app, "zuluaga", 1).await, (0, 1));

    // Her data first, as she asked.
    let (status, data) = app
        .get(&format!("/api/v1/contacts/{ana_id}/export"), &app.admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(data["contact"]["emails"], json!(["ana.zuluaga@tienda.co"]));
    assert_eq!(
        data["conversations"][0]["messages"][0]["text"],
        "Mi pedido quindio no llegó"
    );
    assert_eq!(
        data["attachments"].as_array().map(Vec::len),
        Some(2),
        "{data}"
    );
    assert_eq!(
        data["attachments"][0]["url"],
        format!(
            "/api/v1/attachments/{}",
            only_hers["sha256"].as_str().expect("sha")
        )
    );

    let (status, erased) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/contacts/{ana_id}"),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["conversations"], 1);
    assert!(erased["messages"].as_u64() >= Some(2), "{erased}");
    assert_eq!(erased["files"], 1, "the file Luis also got stays");
    assert!(erased["event_lines"].as_u64() > Some(3), "{erased}");

    assert_eq!(
        indexed(&app, "zuluaga", 0).await,
        (0, 0),
        "her contact is out of the index"
    );
    assert_eq!(
        indexed(&app, "quindio", 1).await,
        (1, 0),
        "only Luis's conversation is left"
    );
    let (_, search) = app.get("/api/v1/search?q=zuluaga", &app.admin).await;
    assert_eq!(search["items"], json!([]), "{search}");
    for gone in [
        format!("/api/v1/contacts/{ana_id}"),
        format!("/api/v1/conversations/{ana_conversation}"),
        format!("/api/v1/conversations/{ana_conversation}/messages"),
        format!(
            "/api/v1/attachments/{}",
            only_hers["sha256"].as_str().expect("sha")
        ),
    ] {
        let (status, answer) = app.get(&gone, &app.admin).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}: {answer}");
    }
    let (status, _) = app
        .get(
            &format!(
                "/api/v1/attachments/{}",
                shared["sha256"].as_str().expect("sha")
            ),
            &app.admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "Luis's file stays");
    let (_, conversations) = app.get("/api/v1/conversations", &app.admin).await;
    assert_eq!(
        conversations["items"].as_array().map(Vec::len),
        Some(1),
        "{conversations}"
    );
    let (_, events) = app.get("/api/v1/events?after=0", &app.admin).await;
    let text = events.to_string();
    assert!(
        !text.contains("zuluaga") && !text.contains("no llegó"),
        "{text}"
    );
    assert!(text.contains("contact_erased"), "clients are told: {text}");

    // The same address writes again: a new contact, who knows nothing of the old one.
    let again = app
        .inbound("ana.zuluaga@tienda.co", "a-2", "Hola de nuevo")
        .await;
    assert_ne!(again["contact_id"], *ana_id);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/contacts/{ana_id}"),
            &app.admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
