//! The Graph API as this adapter uses it: the business number's account, requests with its
//! token, the meaning of Meta's error codes, and the approved templates.

use serde::Deserialize;
use serde_json::Value;
use switchboard_channel_sdk::{
    Error, Header, HttpRequest, HttpResponse, Refusal, ResponseOutcome, RetryLater, Template, host,
};

/// The business number the channel sends from.
pub struct Account {
    token: String,
    base: String,
    pub phone_number_id: String,
}

#[derive(Deserialize)]
struct Failure {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: i64,
    #[serde(default)]
    error_data: Option<ErrorData>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

impl Account {
    pub fn from_channel() -> Result<Account, Error> {
        let token = required_secret("access_token")?;
        let phone_number_id = host::setting("phone_number_id")
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::Denied("the channel has no `phone_number_id` setting".into()))?;
        let base = host::setting("api_base")
            .map(|base| base.trim().trim_end_matches('/').to_string())
            .filter(|base| !base.is_empty())
            .unwrap_or_else(|| "https://graph.facebook.com".into());
        let version = host::setting("api_version")
            .map(|version| version.trim().to_string())
            .filter(|version| !version.is_empty())
            .unwrap_or_else(|| "v21.0".into());
        Ok(Account {
            token,
            base: format!("{base}/{version}"),
            phone_number_id,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    pub fn authorization(&self) -> Header {
        Header {
            name: "authorization".into(),
            value: format!("Bearer {}", self.token),
        }
    }

    /// A JSON request to the Graph API.
    pub fn request(&self, method: &str, path: &str, body: Option<&Value>) -> HttpRequest {
        let mut headers = vec![self.authorization()];
        if body.is_some() {
            headers.push(Header {
                name: "content-type".into(),
                value: "application/json".into(),
            });
        }
        HttpRequest {
            method: method.into(),
            url: self.url(path),
            headers,
            body: body
                .map(|body| body.to_string().into_bytes())
                .unwrap_or_default(),
        }
    }

    /// Makes a request now (through the host); its JSON answer, or Meta's refusal.
    pub fn call(&self, request: &HttpRequest) -> Result<Value, Error> {
        let response = host::fetch(request)?;
        if (200..300).contains(&response.status) {
            return serde_json::from_slice(&response.body).map_err(|_| {
                Error::Provider("the Graph API answered with something else than JSON".into())
            });
        }
        Err(Error::Provider(refusal_text(&response)))
    }

    /// The business number as its owner knows it: `Acme (+55 11 4000-0000)`.
    pub fn describe(&self) -> Result<String, Error> {
        let number = self.call(&self.request(
            "GET",
            &format!(
                "{}?fields=display_phone_number,verified_name",
                self.phone_number_id
            ),
            None,
        ))?;
        Ok(format!(
            "{} ({})",
            number["verified_name"]
                .as_str()
                .unwrap_or("WhatsApp Business"),
            number["display_phone_number"].as_str().unwrap_or("?")
        ))
    }

    /// The business account's approved templates.
    pub fn templates(&self) -> Result<Vec<Template>, Error> {
        let account = required_setting("business_account_id")?;
        let listed = self.call(&self.request(
            "GET",
            &format!(
                "{account}/message_templates?fields=name,language,status,components&limit=100"
            ),
            None,
        ))?;
        let mut templates = Vec::new();
        for template in listed["data"].as_array().into_iter().flatten() {
            if template["status"] != "APPROVED" {
                continue;
            }
            let body = template["components"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|component| component["type"] == "BODY")
                .and_then(|component| component["text"].as_str())
                .unwrap_or_default()
                .to_string();
            templates.push(Template {
                name: template["name"].as_str().unwrap_or_default().into(),
                language: template["language"].as_str().unwrap_or_default().into(),
                variables: placeholders(&body),
                text: body,
            });
        }
        Ok(templates)
    }
}

fn required_secret(name: &str) -> Result<String, Error> {
    host::secret(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::Denied(format!("the channel has no `{name}` secret")))
}

pub fn required_setting(name: &str) -> Result<String, Error> {
    host::setting(name)
        .map(|value| value.trim().to_string())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::Denied(format!("the channel has no `{name}` setting")))
}

pub fn app_secret() -> Result<String, Error> {
    required_secret("app_secret")
}

pub fn verify_token() -> Result<String, Error> {
    required_secret("verify_token")
}

/// How many numbered placeholders (`{{1}}`, `{{2}}`…) a template's text has.
fn placeholders(text: &str) -> u32 {
    let mut highest = 0;
    for piece in text.split("{{").skip(1) {
        if let Some(number) = piece
            .split("}}")
            .next()
            .and_then(|n| n.trim().parse::<u32>().ok())
        {
            highest = highest.max(number);
        }
    }
    highest
}

/// Meta's error, in its words and with what its code means for the agent.
fn refusal_text(response: &HttpResponse) -> String {
    match serde_json::from_slice::<Failure>(&response.body) {
        Ok(failure) => {
            let error = failure.error;
            let details = error
                .error_data
                .and_then(|data| data.details)
                .map(|details| format!(" ({details})"))
                .unwrap_or_default();
            match meaning(error.code) {
                Some(meaning) => format!(
                    "WhatsApp error {}: {}{details}. {meaning}",
                    error.code, error.message
                ),
                None => format!("WhatsApp error {}: {}{details}", error.code, error.message),
            }
        }
        Err(_) => format!("WhatsApp answered {}", response.status),
    }
}

/// What an agent should know about the Cloud API's common error codes.
pub fn meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        131047 => {
            "More than 24 hours have passed since the customer last wrote: only an approved template can reach them now"
        }
        131026 => {
            "The message could not be delivered: the number may not be on WhatsApp, or the customer has not accepted the latest terms"
        }
        131050 => "The customer chose to stop receiving marketing messages from this business",
        131051 => "WhatsApp does not support this kind of message",
        131052 | 131053 => "The media file could not be downloaded or uploaded",
        131021 => "The business cannot send a message to its own number",
        132000 | 132001 | 132012 => {
            "The template does not exist in that language or its variables do not match"
        }
        130429 | 131056 | 131048 | 4 | 80007 => {
            "WhatsApp is limiting how fast this number sends; it will be tried again"
        }
        190 => "The access token expired or was revoked: an admin must give the channel a new one",
        368 | 131031 => "WhatsApp restricted this business account",
        _ => return None,
    })
}

/// What Meta's answer to a send meant.
pub fn read_answer(response: &HttpResponse) -> ResponseOutcome {
    if (200..300).contains(&response.status) {
        let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        return ResponseOutcome::Sent(answer["messages"][0]["id"].as_str().map(str::to_string));
    }
    let code = serde_json::from_slice::<Failure>(&response.body)
        .map(|failure| failure.error.code)
        .unwrap_or_default();
    let reason = refusal_text(response);
    if response.status >= 500
        || matches!(code, 130429 | 131056 | 131048 | 4 | 80007)
        || response.status == 429
    {
        return ResponseOutcome::Retry(RetryLater {
            reason,
            after_ms: None,
        });
    }
    ResponseOutcome::Refused(Refusal {
        reason,
        unreachable: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_templates_placeholders_are_counted_by_their_highest_number() {
        assert_eq!(
            placeholders("Hola {{1}}, tu pedido {{2}} sale hoy. {{1}}"),
            2
        );
        assert_eq!(placeholders("Sin variables"), 0);
    }
}
