//! Self-service sign-up, when the operator turns it on (`signup.enabled`): a person gives an
//! email address and their business's name, gets a link by email through the installation's
//! own mail (`system_mail`), and on the link's page chooses a password; the workspace and its
//! first admin are made only then, so an address nobody owns never gets a workspace. Nothing is
//! stored before: the link carries what was asked, signed with the gateway's key, for a day.
//! Addresses of the domains the operator refuses (disposable mail) are refused when typed, and
//! each client may ask a few times an hour.

use serde::{Deserialize, Serialize};
use switchboard_model::{is_email_address, now_millis, workspace_name_problem};

use crate::language::Language;
use crate::throttle::RateLimiter;
use crate::{Fault, FaultKind, ServiceResult, Services};

/// How long a sign-up link works.
const LINK_HOURS: i64 = 24;
const PURPOSE: &str = "sign-up";

/// What the operator set.
#[derive(Debug, Clone, Default)]
pub struct SignupSettings {
    pub enabled: bool,
    /// Domains whose addresses are refused: `mailinator.com`, or `*.example` for any
    /// subdomain, matched without regard to case.
    pub refused_domains: Vec<String>,
    /// The quotas a workspace made by sign-up starts with.
    pub quotas: switchboard_model::WorkspaceQuotas,
}

/// Sign-ups one client address may ask for: three, then one every ten minutes.
pub fn limiter() -> RateLimiter {
    RateLimiter::per_hour(3, 6)
}

/// What a sign-up link names, as its query holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    pub email: String,
    pub business: String,
    pub expires: i64,
    pub tag: String,
}

fn signed(email: &str, business: &str, expires: i64) -> Vec<u8> {
    format!("{}\n{business}\n{expires}", email.to_lowercase()).into_bytes()
}

/// Whether the operator refuses addresses of this one's domain.
pub fn refused(settings: &SignupSettings, email: &str) -> bool {
    let domain = email.rsplit('@').next().unwrap_or_default().to_lowercase();
    settings.refused_domains.iter().any(|pattern| {
        let pattern = pattern.trim().to_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => domain.ends_with(&format!(".{parent}")),
            None => domain == pattern,
        }
    })
}

/// Checks what was typed and emails the link (or, to an address that has an account already,
/// a note saying so: the page answers the same either way, so it tells nobody who has one).
pub async fn ask(
    state: &Services,
    client: Option<&str>,
    email: &str,
    business: &str,
    language: Language,
) -> ServiceResult<()> {
    let settings = &state.config.signup;
    let (email, business) = (email.trim(), business.trim());
    if !is_email_address(email) {
        return Err(Fault::new(
            FaultKind::Invalid,
            "invalid_email",
            format!("{email:?} is not an email address"),
        )
        .on_field("email"));
    }
    if let Some(problem) = workspace_name_problem(business) {
        return Err(
            Fault::new(FaultKind::Invalid, "invalid_business", problem).on_field("business")
        );
    }
    if refused(settings, email) {
        return Err(Fault::new(
            FaultKind::Invalid,
            "refused_address",
            "addresses of this domain cannot sign up here: use your business's own address",
        )
        .on_field("email"));
    }
    if let Some(client) = client
        && let Err(seconds) = state.mail.signups.take(client)
    {
        return Err(Fault::new(
            FaultKind::Limited,
            "too_many_sign_ups",
            "too many sign-ups from this address: try again later",
        )
        .retry_after(seconds));
    }
    let words = words(language);
    let (subject, text) = if state.store.credentials(email).await?.is_some() {
        (
            words.subject,
            words.has_account.replace("{url}", &sign_in_url(state)),
        )
    } else {
        let link = link(state, email, business);
        (
            words.subject,
            format!("{}\n\n{link}", words.email.replace("{business}", business)),
        )
    };
    crate::system_mail::send(state, email, subject, &text).await
}

fn sign_in_url(state: &Services) -> String {
    format!("{}/app/", state.config.public_url.trim_end_matches('/'))
}

/// The link that finishes the sign-up of `email` for `business`.
fn link(state: &Services, email: &str, business: &str) -> String {
    let expires = now_millis() + LINK_HOURS * 3_600_000;
    let claim = Claim {
        email: email.to_string(),
        business: business.to_string(),
        expires,
        tag: state
            .secrets
            .tag(PURPOSE, &signed(email, business, expires)),
    };
    format!(
        "{}/signup/finish?{}",
        state.config.public_url.trim_end_matches('/'),
        serde_urlencoded::to_string(&claim).unwrap_or_default()
    )
}

/// The claim, if its tag matches and it has not expired.
pub fn checked<'a>(state: &Services, claim: &'a Claim) -> Option<&'a Claim> {
    let data = signed(&claim.email, &claim.business, claim.expires);
    (claim.expires > now_millis() && state.secrets.tag_matches(PURPOSE, &data, &claim.tag))
        .then_some(claim)
}

/// The words of the email and the pages, per language.
pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub business: &'static str,
    pub email_label: &'static str,
    pub start: &'static str,
    pub sent: &'static str,
    pub subject: &'static str,
    pub email: &'static str,
    pub has_account: &'static str,
    pub choose_password: &'static str,
    pub password: &'static str,
    pub finish: &'static str,
    pub ready: &'static str,
    pub sign_in: &'static str,
    pub expired: &'static str,
    pub taken: &'static str,
    pub closed: &'static str,
    /// What was wrong with the form, by the fault's code.
    pub invalid_email: &'static str,
    pub invalid_business: &'static str,
    pub refused_address: &'static str,
    pub too_many: &'static str,
    pub weak_password: &'static str,
}

const ES: Words = Words {
    title: "Crea tu espacio en Switchboard",
    intro: "Todos los mensajes de tus clientes (correo, chat del sitio, Telegram, SMS y WhatsApp) en una sola bandeja. Escribe el nombre de tu negocio y tu correo: te enviamos un enlace para elegir tu contraseña.",
    business: "Nombre de tu negocio",
    email_label: "Tu correo",
    start: "Enviarme el enlace",
    sent: "Listo: revisa tu correo. El enlace para terminar funciona durante un día.",
    subject: "Termina de crear tu espacio en Switchboard",
    email: "Pediste crear el espacio de {business} en Switchboard. Abre este enlace para elegir tu contraseña; si no lo pediste, ignora este correo.",
    has_account: "Pediste crear un espacio en Switchboard con esta dirección, pero ya tienes una cuenta. Inicia sesión en {url} (si olvidaste tu contraseña, pídele al administrador de tu espacio que la restablezca).",
    choose_password: "Elige la contraseña con la que entrarás a {business} (al menos 10 caracteres).",
    password: "Contraseña",
    finish: "Crear mi espacio",
    ready: "Tu espacio {business} está listo.",
    sign_in: "Iniciar sesión",
    expired: "Este enlace ya no es válido. Vuelve a pedir uno en la página de registro.",
    taken: "Ya existe una cuenta con esta dirección: inicia sesión.",
    closed: "El registro no está abierto en esta instalación. Pídele una cuenta a quien la administra.",
    invalid_email: "Esa no es una dirección de correo: revísala.",
    invalid_business: "Escribe el nombre de tu negocio (hasta 100 caracteres).",
    refused_address: "Las direcciones de ese dominio no pueden registrarse aquí: usa el correo de tu negocio.",
    too_many: "Se pidieron demasiados registros desde tu conexión: inténtalo de nuevo más tarde.",
    weak_password: "La contraseña debe tener al menos 10 caracteres.",
};

const PT_BR: Words = Words {
    title: "Crie seu espaço no Switchboard",
    intro: "Todas as mensagens dos seus clientes (e-mail, chat do site, Telegram, SMS e WhatsApp) em uma só caixa de entrada. Informe o nome do seu negócio e seu e-mail: enviaremos um link para você escolher sua senha.",
    business: "Nome do seu negócio",
    email_label: "Seu e-mail",
    start: "Enviar o link",
    sent: "Pronto: confira seu e-mail. O link para terminar funciona por um dia.",
    subject: "Termine de criar seu espaço no Switchboard",
    email: "Você pediu para criar o espaço de {business} no Switchboard. Abra este link para escolher sua senha; se não foi você, ignore este e-mail.",
    has_account: "Você pediu para criar um espaço no Switchboard com este endereço, mas já tem uma conta. Entre em {url} (se esqueceu a senha, peça ao administrador do seu espaço para redefini-la).",
    choose_password: "Escolha a senha com que você entrará em {business} (pelo menos 10 caracteres).",
    password: "Senha",
    finish: "Criar meu espaço",
    ready: "Seu espaço {business} está pronto.",
    sign_in: "Entrar",
    expired: "Este link não é mais válido. Peça outro na página de cadastro.",
    taken: "Já existe uma conta com este endereço: entre.",
    closed: "O cadastro não está aberto nesta instalação. Peça uma conta a quem a administra.",
    invalid_email: "Isso não é um endereço de e-mail: confira.",
    invalid_business: "Informe o nome do seu negócio (até 100 caracteres).",
    refused_address: "Endereços desse domínio não podem se cadastrar aqui: use o e-mail do seu negócio.",
    too_many: "Foram pedidos cadastros demais a partir da sua conexão: tente de novo mais tarde.",
    weak_password: "A senha deve ter pelo menos 10 caracteres.",
};

const EN: Words = Words {
    title: "Create your Switchboard workspace",
    intro: "Every message of your customers (email, website chat, Telegram, SMS and WhatsApp) in one inbox. Give your business's name and your email: we send you a link to choose your password.",
    business: "Your business's name",
    email_label: "Your email",
    start: "Send me the link",
    sent: "Done: check your email. The link to finish works for a day.",
    subject: "Finish creating your Switchboard workspace",
    email: "You asked to create the workspace of {business} on Switchboard. Open this link to choose your password; if you did not ask, ignore this email.",
    has_account: "You asked to create a Switchboard workspace with this address, but you have an account already. Sign in at {url} (if you forgot your password, ask your workspace's admin to reset it).",
    choose_password: "Choose the password you will sign in to {business} with (at least 10 characters).",
    password: "Password",
    finish: "Create my workspace",
    ready: "Your workspace {business} is ready.",
    sign_in: "Sign in",
    expired: "This link is no longer valid. Ask for another one on the sign-up page.",
    taken: "There is an account with this address already: sign in.",
    closed: "Sign-up is not open on this installation. Ask whoever runs it for an account.",
    invalid_email: "That is not an email address: check it.",
    invalid_business: "Give your business's name (up to 100 characters).",
    refused_address: "Addresses of that domain cannot sign up here: use your business's own address.",
    too_many: "Too many sign-ups from your connection: try again later.",
    weak_password: "The password must have at least 10 characters.",
};

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Spanish => &ES,
        Language::Portuguese => &PT_BR,
        Language::English => &EN,
    }
}

impl Words {
    /// What to tell a person whose form the fault `code` refused, if the form is to blame.
    pub fn refusal(&self, code: &str) -> Option<&'static str> {
        Some(match code {
            "invalid_email" => self.invalid_email,
            "invalid_business" => self.invalid_business,
            "refused_address" => self.refused_address,
            "too_many_sign_ups" => self.too_many,
            "weak_password" => self.weak_password,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_domain_is_matched_exactly_or_as_a_parent_without_regard_to_case() {
        let settings = SignupSettings {
            enabled: true,
            refused_domains: vec!["mailinator.com".into(), " *.TempMail.example ".into()],
            ..SignupSettings::default()
        };
        for refused_address in [
            "ana@mailinator.com",
            "ana@MAILINATOR.com",
            "ana@x.tempmail.example",
            "ana@a.b.tempmail.example",
        ] {
            assert!(refused(&settings, refused_address), "{refused_address}");
        }
        for taken in [
            "ana@notmailinator.com",
            "ana@mailinator.com.br",
            "ana@tempmail.example",
            "ana@cafe-aurora.example",
        ] {
            assert!(!refused(&settings, taken), "{taken}");
        }
    }
}
