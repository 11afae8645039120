//! Every text the visitor reads, in English, Spanish and Portuguese (Brazil).

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    Es,
    PtBr,
}

impl Locale {
    /// The closest supported language to a tag like `es-AR`, `pt-BR` or `en-GB`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        match tag.split(['-', '_']).next()?.to_ascii_lowercase().as_str() {
            "es" => Some(Locale::Es),
            "pt" => Some(Locale::PtBr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The BCP 47 tag, for dates and the document's `lang`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::PtBr => "pt-BR",
        }
    }
}

/// The widget's texts in one language.
pub struct Texts {
    pub title: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub close: &'static str,
    pub attach: &'static str,
    pub mute: &'static str,
    pub unmute: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub start: &'static str,
    pub prechat_intro: &'static str,
    pub offline_intro: &'static str,
    pub offline_saved: &'static str,
    pub typing: &'static str,
    pub read: &'static str,
    pub sending: &'static str,
    pub failed: &'static str,
    pub reconnecting: &'static str,
    pub you: &'static str,
    pub file_too_large: &'static str,
    pub file_type: &'static str,
    pub file_quota: &'static str,
    pub file_not_now: &'static str,
    pub messages_label: &'static str,
}

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::Es => &ES,
        Locale::PtBr => &PT_BR,
    }
}

static EN: Texts = Texts {
    title: "Chat with us",
    placeholder: "Write a message…",
    send: "Send",
    close: "Close chat",
    attach: "Attach a file",
    mute: "Mute sounds",
    unmute: "Turn sounds on",
    name: "Name",
    email: "Email",
    start: "Start chat",
    prechat_intro: "Tell us who you are, so that we can answer you even if you leave.",
    offline_intro: "We are away right now. Leave your email and message: we answer by email.",
    offline_saved: "Thanks! We will answer by email.",
    typing: "is typing…",
    read: "Read",
    sending: "Sending…",
    failed: "Not sent. Tap to try again.",
    reconnecting: "Reconnecting…",
    you: "You",
    file_too_large: "That file is too large.",
    file_type: "That type of file cannot be sent.",
    file_quota: "You have sent as many files as you can today. You can still write to us.",
    file_not_now: "Files cannot be sent right now. You can still write to us.",
    messages_label: "Messages",
};

static ES: Texts = Texts {
    title: "Chatea con nosotros",
    placeholder: "Escribe un mensaje…",
    send: "Enviar",
    close: "Cerrar el chat",
    attach: "Adjuntar un archivo",
    mute: "Silenciar sonidos",
    unmute: "Activar sonidos",
    name: "Nombre",
    email: "Correo electrónico",
    start: "Iniciar chat",
    prechat_intro: "Cuéntanos quién eres, así podemos responderte aunque te vayas.",
    offline_intro: "Ahora no estamos. Déjanos tu correo y tu mensaje: te respondemos por correo.",
    offline_saved: "¡Gracias! Te responderemos por correo.",
    typing: "está escribiendo…",
    read: "Leído",
    sending: "Enviando…",
    failed: "No se envió. Toca para reintentar.",
    reconnecting: "Reconectando…",
    you: "Tú",
    file_too_large: "Ese archivo es demasiado grande.",
    file_type: "Ese tipo de archivo no se puede enviar.",
    file_quota: "Ya enviaste todos los archivos que se pueden enviar hoy. Igual puedes escribirnos.",
    file_not_now: "Ahora no se pueden enviar archivos. Igual puedes escribirnos.",
    messages_label: "Mensajes",
};

static PT_BR: Texts = Texts {
    title: "Fale com a gente",
    placeholder: "Escreva uma mensagem…",
    send: "Enviar",
    close: "Fechar o chat",
    attach: "Anexar um arquivo",
    mute: "Silenciar sons",
    unmute: "Ativar sons",
    name: "Nome",
    email: "E-mail",
    start: "Iniciar conversa",
    prechat_intro: "Conte quem você é, para podermos responder mesmo se você sair.",
    offline_intro: "Estamos fora agora. Deixe seu e-mail e sua mensagem: respondemos por e-mail.",
    offline_saved: "Obrigado! Responderemos por e-mail.",
    typing: "está digitando…",
    read: "Lida",
    sending: "Enviando…",
    failed: "Não enviada. Toque para tentar de novo.",
    reconnecting: "Reconectando…",
    you: "Você",
    file_too_large: "Esse arquivo é grande demais.",
    file_type: "Esse tipo de arquivo não pode ser enviado.",
    file_quota: "Você já enviou todos os arquivos permitidos hoje. Ainda pode nos escrever.",
    file_not_now: "Não é possível enviar arquivos agora. Ainda pode nos escrever.",
    messages_label: "Mensagens",
};
