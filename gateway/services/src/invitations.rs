//! Inviting people to a workspace: an admin names them, their role and teams; they get a link
//! through the installation's own mail (`system_mail`), or from the admin when it sends none,
//! whose page lets them choose their password and makes them an agent. The link is signed with
//! the gateway's key over the invitation, its address, when it was sent and when it expires, so
//! it works for [`INVITATION_DAYS`] days, until it is sent again or withdrawn, and once.

use serde::{Deserialize, Serialize};
use switchboard_model::{
    Agent, INVITATION_DAYS, Id, Invitation, NewInvitation, Quota, SentInvitation, now_millis,
};
use switchboard_store::StoreError;

use crate::language::Language;
use crate::throttle::RateLimiter;
use crate::{ServiceResult, Services};

const PURPOSE: &str = "invitation";

/// Choices of a password one client may post on invitation pages: ten, then one a minute.
pub fn limiter() -> RateLimiter {
    RateLimiter::new(10, 1)
}

/// What an invitation link names, as its query holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    pub workspace: Id,
    pub invitation: Id,
    pub expires: i64,
    pub tag: String,
}

fn signed(invitation: &Invitation) -> Vec<u8> {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        invitation.workspace_id,
        invitation.id,
        invitation.email,
        invitation.sent_at,
        invitation.expires_at
    )
    .into_bytes()
}

fn link(state: &Services, invitation: &Invitation) -> String {
    let claim = Claim {
        workspace: invitation.workspace_id,
        invitation: invitation.id,
        expires: invitation.expires_at,
        tag: state.secrets.tag(PURPOSE, &signed(invitation)),
    };
    format!(
        "{}/invitation?{}",
        state.config.public_url.trim_end_matches('/'),
        serde_urlencoded::to_string(&claim).unwrap_or_default()
    )
}

fn expiry() -> i64 {
    now_millis() + INVITATION_DAYS * 86_400_000
}

/// Invites `new` to the workspace on behalf of admin `inviter`, in `new.language` (else the
/// inviter's), and sends them the link.
pub async fn invite(
    state: &Services,
    inviter: &Agent,
    mut new: NewInvitation,
) -> ServiceResult<SentInvitation> {
    let workspace_id = inviter.workspace_id;
    crate::quotas::ensure_room(state, workspace_id, Quota::Agents).await?;
    let language = new.language.as_deref().or(inviter.language.as_deref());
    new.language = Some(Language::of(language.unwrap_or("en")).tag().to_string());
    let invitation = state
        .store
        .create_invitation(workspace_id, inviter.id, new, expiry())
        .await?;
    send(state, invitation, inviter).await
}

/// Sends invitation `id` again with a new link; the earlier links stop working.
pub async fn resend(state: &Services, inviter: &Agent, id: Id) -> ServiceResult<SentInvitation> {
    let invitation = state
        .store
        .renew_invitation(inviter.workspace_id, id, expiry())
        .await?;
    send(state, invitation, inviter).await
}

/// Mails the invitation's link, or hands it back when the installation sends no mail or the
/// mail did not go out.
async fn send(
    state: &Services,
    invitation: Invitation,
    inviter: &Agent,
) -> ServiceResult<SentInvitation> {
    let link = link(state, &invitation);
    if state.config.system_mail.is_none() {
        return Ok(SentInvitation {
            invitation,
            mailed: false,
            link: Some(link),
            mail_problem: None,
        });
    }
    let workspace = state.store.workspace(invitation.workspace_id).await?;
    let words = words(Language::of(&invitation.language));
    let fill = |text: &str| {
        text.replace("{name}", &invitation.name)
            .replace("{inviter}", &inviter.name)
            .replace("{workspace}", &workspace.name)
    };
    let text = format!("{}\n\n{link}", fill(words.email));
    let sent =
        crate::system_mail::send(state, &invitation.email, &fill(words.subject), &text).await;
    Ok(match sent {
        Ok(()) => SentInvitation {
            invitation,
            mailed: true,
            link: None,
            mail_problem: None,
        },
        Err(fault) => {
            tracing::warn!(reason = %fault.message, invitation_id = invitation.id, "an invitation was not mailed");
            SentInvitation {
                invitation,
                mailed: false,
                link: Some(link),
                mail_problem: Some(fault.message),
            }
        }
    })
}

/// What a link is worth now.
pub enum Checked {
    /// It works: the person may choose their password.
    Valid(Invitation),
    /// Its week is over.
    Expired,
    /// Withdrawn, sent again since, already used, or not ours.
    Gone,
}

/// Whether the claim is the latest link of a pending invitation, and still in time.
pub async fn checked(state: &Services, claim: &Claim) -> ServiceResult<Checked> {
    let invitation = match state
        .store
        .invitation(claim.workspace, claim.invitation)
        .await
    {
        Ok(invitation) => invitation,
        Err(StoreError::NotFound { .. }) => return Ok(Checked::Gone),
        Err(error) => return Err(error.into()),
    };
    let latest = invitation.expires_at == claim.expires
        && state
            .secrets
            .tag_matches(PURPOSE, &signed(&invitation), &claim.tag);
    Ok(if !latest {
        Checked::Gone
    } else if invitation.expires_at <= now_millis() {
        Checked::Expired
    } else {
        Checked::Valid(invitation)
    })
}

/// The words of the email and the pages, per language; `{name}`, `{inviter}` and
/// `{workspace}` are filled in.
pub struct Words {
    /// The title of a page that cannot name the workspace.
    pub heading: &'static str,
    pub title: &'static str,
    pub subject: &'static str,
    pub email: &'static str,
    pub choose: &'static str,
    pub password: &'static str,
    pub save: &'static str,
    pub done: &'static str,
    pub sign_in: &'static str,
    pub expired: &'static str,
    pub gone: &'static str,
    pub taken: &'static str,
    /// The workspace reached its quota of people since the invitation was sent.
    pub full: &'static str,
    pub weak_password: &'static str,
    pub too_many: &'static str,
}

const ES: Words = Words {
    heading: "Invitación a Switchboard",
    title: "Únete a {workspace}",
    subject: "{inviter} te invita a {workspace} en Switchboard",
    email: "Hola, {name}: {inviter} te invitó a atender a los clientes de {workspace} en Switchboard. Abre este enlace para elegir tu contraseña; funciona durante 7 días.",
    choose: "Hola, {name}: elige la contraseña con la que entrarás a Switchboard (al menos 10 caracteres).",
    password: "Tu contraseña",
    save: "Crear mi cuenta",
    done: "¡Listo! Tu cuenta está creada: inicia sesión con tu correo y tu contraseña.",
    sign_in: "Iniciar sesión",
    expired: "Esta invitación venció (dura 7 días). Pídele al administrador de tu espacio que te la envíe de nuevo.",
    gone: "Esta invitación ya no es válida: la retiraron, la enviaron de nuevo o ya la usaste. Si ya creaste tu cuenta, inicia sesión.",
    taken: "Ese correo ya tiene una cuenta: inicia sesión con él.",
    full: "Este espacio ya tiene todas las personas que su plan permite. Pídele a su administrador que libere un lugar y vuelve a abrir este enlace.",
    weak_password: "La contraseña debe tener al menos 10 caracteres.",
    too_many: "Demasiados intentos desde tu conexión. Espera un minuto y vuelve a intentarlo.",
};

const PT_BR: Words = Words {
    heading: "Convite para o Switchboard",
    title: "Entre para {workspace}",
    subject: "{inviter} convidou você para {workspace} no Switchboard",
    email: "Olá, {name}: {inviter} convidou você para atender os clientes de {workspace} no Switchboard. Abra este link para escolher sua senha; ele funciona por 7 dias.",
    choose: "Olá, {name}: escolha a senha com que você vai entrar no Switchboard (pelo menos 10 caracteres).",
    password: "Sua senha",
    save: "Criar minha conta",
    done: "Pronto! Sua conta foi criada: entre com seu e-mail e sua senha.",
    sign_in: "Entrar",
    expired: "Este convite expirou (dura 7 dias). Peça ao administrador do seu espaço para enviá-lo de novo.",
    gone: "Este convite não é mais válido: foi retirado, enviado de novo ou já usado. Se você já criou sua conta, entre.",
    taken: "Esse e-mail já tem uma conta: entre com ele.",
    full: "Este espaço já tem todas as pessoas que o plano permite. Peça ao administrador que libere uma vaga e abra este link de novo.",
    weak_password: "A senha deve ter pelo menos 10 caracteres.",
    too_many: "Tentativas demais da sua conexão. Espere um minuto e tente de novo.",
};

const EN: Words = Words {
    heading: "Invitation to Switchboard",
    title: "Join {workspace}",
    subject: "{inviter} invites you to {workspace} on Switchboard",
    email: "Hello {name}: {inviter} invited you to answer {workspace}'s customers on Switchboard. Open this link to choose your password; it works for 7 days.",
    choose: "Hello {name}: choose the password you will sign in to Switchboard with (at least 10 characters).",
    password: "Your password",
    save: "Create my account",
    done: "Done! Your account is ready: sign in with your email and your password.",
    sign_in: "Sign in",
    expired: "This invitation has expired (it lasts 7 days). Ask your workspace's admin to send it again.",
    gone: "This invitation is no longer valid: it was withdrawn, sent again or already used. If you already made your account, sign in.",
    taken: "That email already has an account: sign in with it.",
    full: "This workspace already has as many people as its plan allows. Ask its admin to free a place, then open this link again.",
    weak_password: "The password must have at least 10 characters.",
    too_many: "Too many attempts from your connection. Wait a minute and try again.",
};

pub fn words(language: Language) -> &'static Words {
    match language {
        Language::Spanish => &ES,
        Language::Portuguese => &PT_BR,
        Language::English => &EN,
    }
}
