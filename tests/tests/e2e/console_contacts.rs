//! Contacts in and out of files in the console, in a real headless Chromium against the real
//! gateway: an admin working in Spanish imports a spreadsheet's CSV (semicolons, Spanish
//! headers), sees the preview and the report with each rejected row and why, and erases a
//! contact at their request, who then is gone from the inbox and the API (screenshots
//! console-contacts-*).

use std::time::Duration;

use fantoccini::Locator;
use hyper::StatusCode;
use serde_json::json;
use switchboard_e2e::browser::{click, eventually, shown, texts};
use switchboard_e2e::{Gateway, eventually_within};

use super::console_settings::admin_console;

const SPREADSHEET: &str = "Nombre;Correo;Teléfono;Etiquetas\n\
Luis Pérez;luis@tienda.co;+57 300 111 2233;vip\n\
Marta;marta@;;\n\
;;;\n\
Ana Zuluaga;ana.zuluaga@tienda.co;+57 300 999 8877;\n";

#[tokio::test]
async fn an_admin_imports_a_spanish_csv_sees_the_report_and_erases_a_contact() -> anyhow::Result<()>
{
    let data = tempfile::tempdir()?;
    let gateway = Gateway::start(data.path()).await?;
    let admin = gateway.admin().await?;
    let channel = admin.api_channel().await?;
    let ana = admin
        .post_inbound(
            channel,
            &json!({
                "contact": { "identity": { "kind": "email", "value": "ana.zuluaga@tienda.co" }, "name": "Ana Zuluaga" },
                "external_id": "a-1",
                "text": "Mi pedido quindio no llegó",
            }),
        )
        .await?;
    let file = data.path().join("clientes.csv");
    std::fs::write(&file, SPREADSHEET)?;

    let browser = admin_console(&gateway, "es", false).await?;
    browser
        .client
        .goto(&format!("{}/app/settings/contacts", gateway.base_url))
        .await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("input.csv-file"))
        .await?
        .send_keys(&file.display().to_string())
        .await?;
    shown(&browser, ".preview-counts", "4 filas; se rechazarán 2.").await?;
    shown(&browser, ".import-preview th", "Correo").await?;
    browser.screenshot("console-contacts-preview").await?;
    click(&browser, "button.import").await?;
    shown(
        &browser,
        ".import-report .said",
        "1 creados, 1 actualizados, 0 sin cambios, 0 filas duplicadas combinadas.",
    )
    .await?;
    let rejected = texts(&browser, ".rejected-rows tbody tr").await?;
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert!(
        rejected[0].contains("Correo no válido") && rejected[0].contains("marta@"),
        "{rejected:?}"
    );
    assert!(rejected[1].contains("Fila vacía"), "{rejected:?}");
    browser.screenshot("console-contacts-report").await?;
    let (_, found) = admin.get("/api/v1/contacts?q=ana.zuluaga").await?;
    assert_eq!(
        found["items"][0]["phones"],
        json!(["+57 300 999 8877"]),
        "{found}"
    );

    // Ana asks to be erased.
    browser
        .client
        .goto(&format!("{}/app/", gateway.base_url))
        .await?;
    click(&browser, ".view-all").await?;
    click(&browser, ".row").await?;
    click(&browser, ".show-contact").await?;
    click(&browser, ".contact-panel .erase-contact").await?;
    shown(
        &browser,
        ".confirm-erase p",
        "¿Borrar a Ana Zuluaga definitivamente? Se eliminan sus conversaciones, mensajes y archivos, también de la búsqueda. No se puede deshacer.",
    )
    .await?;
    browser.screenshot("console-contacts-erase").await?;
    click(&browser, ".confirm-erase .erase-for-good").await?;
    eventually_within(Duration::from_secs(15), "Ana is erased", async || {
        let (status, _) = admin
            .get(&format!("/api/v1/contacts/{}", ana.contact_id))
            .await?;
        Ok((status == StatusCode::NOT_FOUND).then_some(()))
    })
    .await?;
    eventually("her conversation gone from the list", async || {
        Ok(texts(&browser, ".row").await?.is_empty().then_some(()))
    })
    .await?;
    let (_, conversations) = admin.get("/api/v1/conversations").await?;
    assert_eq!(conversations["items"], json!([]), "{conversations}");
    browser.screenshot("console-contacts-erased").await?;
    browser.close().await
}
