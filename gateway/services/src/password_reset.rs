//! A forgotten password, reset by email for anyone who signs in to the console: the person
//! gives their address and gets a link through the installation's own mail (`system_mail`),
//! whose page asks for a new password. The link is signed with the gateway's key over the
//! agent, the address, its expiry and a digest of the password it replaces, so it works for an
//! hour and once: after the change, or any other change of the password, it no longer matches.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_model::{Agent, Id, now_millis};

use crate::language::Language;
use crate::throttle::RateLimiter;
use crate::{ServiceResult, Services};

/// How long a reset link works.
const LINK_MINUTES: i64 = 60;
const PURPOSE: &str = "password-reset";

/// Resets one client address (or one email address) may ask for: three, then one every ten
/// minutes.
pub fn limiter() -> RateLimiter {
    RateLimiter::per_hour(3, 6)
}

/// What a reset link names, as its query holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    pub agent: Id,
    pub email: String,
    pub expires: i64,
    pub tag: String,
}

fn signed(agent: Id, email: &str, expires: i64, password_hash: &str) -> Vec<u8> {
    let replaced = hex::encode(Sha256::digest(password_hash.as_bytes()));
    format!("{agent}\n{}\n{expires}\n{replaced}", email.to_lowercase()).into_bytes()
}

/// Emails a reset link to `email` if someone signs in with it; says nothing either way, so the
/// form tells nobody who has an account. Past the limits nothing is sent.
pub async fn ask(
    state: &Services,
    client: Option<&str>,
    email: &str,
    language: Language,
) -> ServiceResult<()> {
    let email = email.trim();
    let over_limit = client.is_some_and(|client| state.mail.resets.take(client).is_err())
        || state.mail.resets.take(&email.to_lowercase()).is_err();
    if over_limit {
        return Ok(());
    }
    let Some((agent, hash)) = state.store.credentials(email).await? else {
        return Ok(());
    };
    if !agent.active {
        return Ok(());
    }
    let expires = now_millis() + LINK_MINUTES * 60_000;
    let claim = Claim {
        agent: agent.id,
        email: agent.email.clone(),
        expires,
        tag: state
            .secrets
            .tag(PURPOSE, &signed(agent.id, &agent.email, expires, &hash)),
    };
    let link = format!(
        "{}/password-reset/finish?{}",
        state.config.public_url.trim_end_matches('/'),
        serde_urlencoded::to_string(&claim).unwrap_or_default()
    );
    let words = words(language);
    let text = format!("{}\n\n{link}", words.email);
    crate::system_mail::send(state, &agent.email, words.subject, &text).await
}

/// The agent the claim names, if its tag matches their password as it is now and it has not
/// expired.
pub async fn checked(state: &Services, claim: &Claim) -> ServiceResult<Option<Agent>> {
    if claim.expires <= now_millis() {
        return Ok(None);
    }
    let Some((agent, hash)) = state.store.credentials(&claim.email).await? else {
        return Ok(None);
    };
    let data = signed(claim.agent, &claim.email, claim.expires, &hash);
    Ok((agent.id == claim.agent
        && agent.active
        && state.secrets.tag_matches(PURPOSE, &data, &claim.tag))
    .then_some(agent))
}

/// The words of the email and the pages, per language.
pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub email_label: &'static str,
    pub send: &'static str,
    pub sent: &'static str,
    pub subject: &'static str,
    pub email: &'static str,
    pub choose: &'static str,
    pub password: &'static str,
    pub save: &'static str,
    pub done: &'static str,
    pub sign_in: &'static str,
    pub expired: &'static str,
    pub weak_password: &'static str,
    pub no_mail: &'static str,
}

const ES: Words = Words {
    title: "Restablecer tu contraseña",
    intro: "Escribe el correo con el que entras a Switchboard: te enviamos un enlace para elegir una contraseña nueva.",
    email_label: "Tu correo",
    send: "Enviarme el enlace",
    sent: "Si ese correo tiene una cuenta, te enviamos un enlace. Funciona durante una hora.",
    subject: "Restablece tu contraseña de Switchboard",
    email: "Alguien (ojalá tú) pidió restablecer la contraseña con la que entras a Switchboard. Abre este enlace para elegir una nueva; si no lo pediste, ignora este correo: tu contraseña no cambia.",
    choose: "Elige tu contraseña nueva (al menos 10 caracteres). Al guardarla se cierran tus otras sesiones.",
    password: "Contraseña nueva",
    save: "Guardar la contraseña",
    done: "Listo: tu contraseña es la nueva.",
    sign_in: "Iniciar sesión",
    expired: "Este enlace ya no es válido (dura una hora y sirve una vez). Pide otro.",
    weak_password: "La contraseña debe tener al menos 10 caracteres.",
    no_mail: "Esta instalación no envía correos: pídele al administrador de tu espacio que restablezca tu contraseña.",
};

const PT_BR: Words = Words {
    title: "Redefinir sua senha",
    intro: "Informe o e-mail com que você entra no Switchboard: enviaremos um link para escolher uma senha nova.",
    email_label: "Seu e-mail",
    send: "Enviar o link",
    sent: "Se esse e-mail tiver uma conta, enviamos um link. Ele funciona por uma hora.",
    subject: "Redefina sua senha do Switchboard",
    email: "Alguém (esperamos que você) pediu para redefinir a senha com que você entra no Switchboard. Abra este link para escolher uma nova; se não foi você, ignore este e-mail: sua senha não muda.",
    choose: "Escolha sua senha nova (pelo menos 10 caracteres). Ao salvá-la, suas outras sessões são encerradas.",
    password: "Senha nova",
    save: "Salvar a senha",
    done: "Pronto: sua senha é a nova.",
    sign_in: "Entrar",
    expired: "Este link não é mais válido (dura uma hora e serve uma vez). Peça outro.",
    weak_password: "A senha deve ter pelo menos 10 caracteres.",
    no_mail: "Esta instalação não envia e-mails: peça ao administrador do seu espaço para redefinir sua senha.",
};

const EN: Words = Words {
    title: "Reset your password",
    intro: "Give the email you sign in to Switchboard with: we send you a link to choose a new password.",
    email_label: "Your email",
    send: "Send me the link",
    sent: "If that email has an account, we sent it a link. It works for an hour.",
    subject: "Reset your Switchboard password",
    email: "Someone (we hope you) asked to reset the password you sign in to Switchboard with. Open this link to choose a new one; if you did not ask, ignore this email: your password stays as it is.",
    choose: "Choose your new password (at least 10 characters). Saving it ends your other sessions.",
    password: "New password",
    save: "Save the password",
    done: "Done: your password is the new one.",
    sign_in: "Sign in",
    expired: "This link is no longer valid (it lasts an hour and works once). Ask for another one.",
    weak_password: "The password must have at least 10 characters.",
    no_mail: "This installation sends no email: ask your workspace's admin to reset your password.",
};

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Spanish => &ES,
        Language::Portuguese => &PT_BR,
        Language::English => &EN,
    }
}
