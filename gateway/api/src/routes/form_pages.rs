//! The gateway's own small pages with a form (sign-up, password reset): a title, a paragraph
//! (an error, when something was refused) and fields that post back to the same address; every
//! value escaped, served under the strict policy of `web::strict_page`.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::{ApiResult, hash_password};

/// A page: its `title`, a paragraph (an error, when `failed`) and, if given, a form's fields
/// and button; the form posts back to the same address.
pub(super) fn page(
    title: &str,
    paragraph: &str,
    failed: bool,
    form: Option<(&str, &str)>,
) -> String {
    let text = html_escape::encode_text;
    let paragraph = if failed {
        format!("<p role=\"alert\">{}</p>", text(paragraph))
    } else {
        format!("<p>{}</p>", text(paragraph))
    };
    let form = form.map_or_else(String::new, |(fields, button)| {
        format!(
            "<form method=\"post\">{fields}<button type=\"submit\">{}</button></form>",
            text(button)
        )
    });
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body><main><h1>{title}</h1>{paragraph}{form}</main></body></html>",
        title = text(title),
    )
}

pub(super) fn field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
) -> String {
    format!(
        "<p><label>{}<br><input name=\"{name}\" type=\"{kind}\" value=\"{}\" autocomplete=\"{autocomplete}\" required></label></p>",
        html_escape::encode_text(label),
        html_escape::encode_double_quoted_attribute(value)
    )
}

/// A page with `status`.
pub(super) fn answer(status: StatusCode, html: String) -> ApiResult<Response> {
    let mut page = crate::web::strict_page(html)?;
    *page.status_mut() = status;
    Ok(page)
}

/// The texts of a page where a person chooses a password.
pub(super) struct PasswordPage<'a> {
    pub title: &'a str,
    pub label: &'a str,
    pub button: &'a str,
    pub too_short: &'a str,
}

/// The field a new password is typed in.
pub(super) fn password_field(label: &str) -> String {
    field("password", label, "password", "", "new-password")
}

/// The hash of the password posted in `body`, or the page asking again when it is too short.
pub(super) async fn chosen_password(
    body: &Bytes,
    texts: PasswordPage<'_>,
) -> ApiResult<Result<String, Response>> {
    #[derive(Default, Deserialize)]
    struct Chosen {
        #[serde(default)]
        password: String,
    }
    let chosen: Chosen = serde_urlencoded::from_bytes(body).unwrap_or_default();
    match hash_password(chosen.password).await {
        Ok(hash) => Ok(Ok(hash)),
        Err(error) if error.code == "weak_password" => {
            let form = password_field(texts.label);
            let html = page(
                texts.title,
                texts.too_short,
                true,
                Some((&form, texts.button)),
            );
            Ok(Err(answer(StatusCode::UNPROCESSABLE_ENTITY, html)?))
        }
        Err(error) => Err(error),
    }
}

/// `html` with a link to the console's sign-in at the end.
pub(super) fn with_sign_in(html: String, label: &str) -> String {
    let link = format!(
        "<p><a href=\"/app/\">{}</a></p>",
        html_escape::encode_text(label)
    );
    html.replace("</main>", &format!("{link}</main>"))
}
