//! The words of Settings › Integrations (API tokens, outgoing webhooks and their delivery log,
//! the audit log), in English, Spanish and Portuguese (Brazil).

use switchboard_model::{AuditAction, TokenScope, WebhookDeliveryState, WebhookEvent};

use super::Locale;

/// Every text of the integrations' settings in one language.
#[derive(Debug, PartialEq)]
pub struct IntegrationTexts {
    pub api_tokens: &'static str,
    pub tokens_help: &'static str,
    pub new_token: &'static str,
    pub no_tokens: &'static str,
    pub scope: &'static str,
    /// Read, write, admin.
    pub scopes: [&'static str; 3],
    pub expires: &'static str,
    /// Never, in 30 days, in 90 days, in a year.
    pub expiries: [&'static str; 4],
    /// "Created {date}".
    pub created_on: &'static str,
    /// "Expires {date}".
    pub expires_on: &'static str,
    pub never_expires: &'static str,
    pub create: &'static str,
    /// "Your token “{name}”:".
    pub token_ready: &'static str,
    pub shown_once: &'static str,
    pub done: &'static str,
    pub revoke: &'static str,
    pub revoke_confirm: &'static str,
    pub revoked: &'static str,
    pub webhooks: &'static str,
    pub webhooks_help: &'static str,
    pub new_webhook: &'static str,
    pub edit_webhook: &'static str,
    pub no_webhooks: &'static str,
    pub url: &'static str,
    pub events: &'static str,
    /// Each of `WebhookEvent::SUBSCRIBABLE`, then `ping`.
    pub event_names: [&'static str; 5],
    pub signing_secret: &'static str,
    pub secret_once: &'static str,
    pub rotate: &'static str,
    pub rotate_confirm: &'static str,
    pub send_test: &'static str,
    /// "The endpoint answered {status}.".
    pub answered: &'static str,
    /// "No answer: {error}".
    pub no_answer: &'static str,
    pub url_https: &'static str,
    pub url_private: &'static str,
    pub url_unreadable: &'static str,
    /// "The gateway refused it: {reason}".
    pub url_refused: &'static str,
    pub delete_webhook_confirm: &'static str,
    pub deliveries: &'static str,
    pub no_deliveries: &'static str,
    pub refresh: &'static str,
    pub event: &'static str,
    pub status: &'static str,
    pub attempts: &'static str,
    pub when: &'static str,
    /// Queued, delivered, failed.
    pub states: [&'static str; 3],
    pub audit_log: &'static str,
    pub audit_help: &'static str,
    pub no_entries: &'static str,
    pub who: &'static str,
    pub what: &'static str,
    pub record: &'static str,
    pub changed: &'static str,
    pub operator: &'static str,
    pub gateway_itself: &'static str,
    pub load_more: &'static str,
}

impl IntegrationTexts {
    pub fn scope_name(&self, scope: TokenScope) -> &'static str {
        match scope {
            TokenScope::Read => self.scopes[0],
            TokenScope::Write => self.scopes[1],
            TokenScope::Admin => self.scopes[2],
        }
    }

    pub fn event_name(&self, event: WebhookEvent) -> &'static str {
        match WebhookEvent::SUBSCRIBABLE
            .iter()
            .position(|known| *known == event)
        {
            Some(index) => self.event_names[index],
            None => self.event_names[4],
        }
    }

    pub fn state_name(&self, state: WebhookDeliveryState) -> &'static str {
        match state {
            WebhookDeliveryState::Queued => self.states[0],
            WebhookDeliveryState::Delivered => self.states[1],
            WebhookDeliveryState::Failed => self.states[2],
        }
    }
}

const EN: IntegrationTexts = IntegrationTexts {
    api_tokens: "API tokens",
    tokens_help: "A token lets another program use the API as you, within its scope, sending it in the header Authorization: Bearer <token>.",
    new_token: "New token",
    no_tokens: "No API tokens yet.",
    scope: "Scope",
    scopes: [
        "Read only",
        "Read and write",
        "Everything, settings included",
    ],
    expires: "Expires",
    expiries: ["Never", "In 30 days", "In 90 days", "In a year"],
    created_on: "Created {date}",
    expires_on: "Expires {date}",
    never_expires: "Never expires",
    create: "Create",
    token_ready: "Your token “{name}”:",
    shown_once: "Copy it now: it will not be shown again.",
    done: "Done",
    revoke: "Revoke",
    revoke_confirm: "Revoke this token? Whatever uses it stops working at once.",
    revoked: "Revoked.",
    webhooks: "Webhooks",
    webhooks_help: "Each event you pick is posted to your URL, signed with the webhook's secret (the X-Switchboard-Signature header).",
    new_webhook: "New webhook",
    edit_webhook: "Edit webhook",
    no_webhooks: "No webhooks yet.",
    url: "URL",
    events: "Events",
    event_names: [
        "Message created",
        "Conversation created",
        "Status changed",
        "Assignment changed",
        "Test",
    ],
    signing_secret: "Signing secret",
    secret_once: "Copy the signing secret now: it will not be shown again.",
    rotate: "Rotate secret",
    rotate_confirm: "Make a new signing secret? The current one stops working at once.",
    send_test: "Send test",
    answered: "The endpoint answered {status}.",
    no_answer: "No answer: {error}",
    url_https: "Use an https:// address.",
    url_private: "This address is inside the network, which webhooks may not reach.",
    url_unreadable: "This is not a URL.",
    url_refused: "The gateway refused it: {reason}",
    delete_webhook_confirm: "Delete this webhook with its delivery log?",
    deliveries: "Delivery log",
    no_deliveries: "No deliveries yet.",
    refresh: "Refresh",
    event: "Event",
    status: "Status",
    attempts: "Attempts",
    when: "When",
    states: ["Queued", "Delivered", "Failed"],
    audit_log: "Audit log",
    audit_help: "Who changed which setting, invited or removed whom, installed which plugin, and when; newest first.",
    no_entries: "Nothing recorded yet.",
    who: "Who",
    what: "What",
    record: "Record",
    changed: "Fields changed",
    operator: "The operator",
    gateway_itself: "Switchboard",
    load_more: "Load more",
};

const ES: IntegrationTexts = IntegrationTexts {
    api_tokens: "Tokens de API",
    tokens_help: "Un token permite que otro programa use la API en tu nombre, dentro de su alcance, enviándolo en el encabezado Authorization: Bearer <token>.",
    new_token: "Nuevo token",
    no_tokens: "Aún no hay tokens de API.",
    scope: "Alcance",
    scopes: [
        "Solo lectura",
        "Lectura y escritura",
        "Todo, incluida la configuración",
    ],
    expires: "Vence",
    expiries: ["Nunca", "En 30 días", "En 90 días", "En un año"],
    created_on: "Creado el {date}",
    expires_on: "Vence el {date}",
    never_expires: "No vence",
    create: "Crear",
    token_ready: "Tu token «{name}»:",
    shown_once: "Cópialo ahora: no se volverá a mostrar.",
    done: "Listo",
    revoke: "Revocar",
    revoke_confirm: "¿Revocar este token? Lo que lo use dejará de funcionar de inmediato.",
    revoked: "Revocado.",
    webhooks: "Webhooks",
    webhooks_help: "Cada evento que elijas se envía a tu URL, firmado con el secreto del webhook (el encabezado X-Switchboard-Signature).",
    new_webhook: "Nuevo webhook",
    edit_webhook: "Editar webhook",
    no_webhooks: "Aún no hay webhooks.",
    url: "URL",
    events: "Eventos",
    event_names: [
        "Mensaje creado",
        "Conversación creada",
        "Cambio de estado",
        "Cambio de asignación",
        "Prueba",
    ],
    signing_secret: "Secreto de firma",
    secret_once: "Copia el secreto de firma ahora: no se volverá a mostrar.",
    rotate: "Cambiar secreto",
    rotate_confirm: "¿Crear un secreto de firma nuevo? El actual deja de funcionar de inmediato.",
    send_test: "Enviar prueba",
    answered: "El destino respondió {status}.",
    no_answer: "Sin respuesta: {error}",
    url_https: "Usa una dirección https://.",
    url_private: "Esta dirección está dentro de la red, a la que los webhooks no pueden llegar.",
    url_unreadable: "Esto no es una URL.",
    url_refused: "El servidor la rechazó: {reason}",
    delete_webhook_confirm: "¿Eliminar este webhook con su registro de envíos?",
    deliveries: "Registro de envíos",
    no_deliveries: "Aún no hay envíos.",
    refresh: "Actualizar",
    event: "Evento",
    status: "Estado",
    attempts: "Intentos",
    when: "Cuándo",
    states: ["En cola", "Entregado", "Fallido"],
    audit_log: "Registro de auditoría",
    audit_help: "Quién cambió qué configuración, invitó o quitó a quién, instaló qué plugin, y cuándo; lo más reciente primero.",
    no_entries: "Aún no hay nada registrado.",
    who: "Quién",
    what: "Qué",
    record: "Registro",
    changed: "Campos cambiados",
    operator: "El operador",
    gateway_itself: "Switchboard",
    load_more: "Cargar más",
};

const PT_BR: IntegrationTexts = IntegrationTexts {
    api_tokens: "Tokens de API",
    tokens_help: "Um token permite que outro programa use a API em seu nome, dentro do escopo dele, enviando-o no cabeçalho Authorization: Bearer <token>.",
    new_token: "Novo token",
    no_tokens: "Ainda não há tokens de API.",
    scope: "Escopo",
    scopes: [
        "Somente leitura",
        "Leitura e escrita",
        "Tudo, inclusive as configurações",
    ],
    expires: "Expira",
    expiries: ["Nunca", "Em 30 dias", "Em 90 dias", "Em um ano"],
    created_on: "Criado em {date}",
    expires_on: "Expira em {date}",
    never_expires: "Não expira",
    create: "Criar",
    token_ready: "Seu token “{name}”:",
    shown_once: "Copie agora: ele não será mostrado de novo.",
    done: "Pronto",
    revoke: "Revogar",
    revoke_confirm: "Revogar este token? O que o usa para de funcionar na hora.",
    revoked: "Revogado.",
    webhooks: "Webhooks",
    webhooks_help: "Cada evento escolhido é enviado para a sua URL, assinado com o segredo do webhook (o cabeçalho X-Switchboard-Signature).",
    new_webhook: "Novo webhook",
    edit_webhook: "Editar webhook",
    no_webhooks: "Ainda não há webhooks.",
    url: "URL",
    events: "Eventos",
    event_names: [
        "Mensagem criada",
        "Conversa criada",
        "Mudança de status",
        "Mudança de atribuição",
        "Teste",
    ],
    signing_secret: "Segredo de assinatura",
    secret_once: "Copie o segredo de assinatura agora: ele não será mostrado de novo.",
    rotate: "Trocar segredo",
    rotate_confirm: "Criar um segredo de assinatura novo? O atual para de funcionar na hora.",
    send_test: "Enviar teste",
    answered: "O destino respondeu {status}.",
    no_answer: "Sem resposta: {error}",
    url_https: "Use um endereço https://.",
    url_private: "Este endereço está dentro da rede, que os webhooks não podem alcançar.",
    url_unreadable: "Isto não é uma URL.",
    url_refused: "O servidor recusou: {reason}",
    delete_webhook_confirm: "Excluir este webhook com o registro de envios?",
    deliveries: "Registro de envios",
    no_deliveries: "Ainda não há envios.",
    refresh: "Atualizar",
    event: "Evento",
    status: "Status",
    attempts: "Tentativas",
    when: "Quando",
    states: ["Na fila", "Entregue", "Falhou"],
    audit_log: "Registro de auditoria",
    audit_help: "Quem mudou qual configuração, convidou ou removeu quem, instalou qual plugin, e quando; o mais recente primeiro.",
    no_entries: "Nada registrado ainda.",
    who: "Quem",
    what: "O quê",
    record: "Registro",
    changed: "Campos alterados",
    operator: "O operador",
    gateway_itself: "Switchboard",
    load_more: "Carregar mais",
};

/// The integrations' texts in `locale`.
pub fn integration_texts(locale: Locale) -> &'static IntegrationTexts {
    match locale {
        Locale::En => &EN,
        Locale::Es => &ES,
        Locale::PtBr => &PT_BR,
    }
}

/// What an entry of the audit log says was done, in `locale`.
pub fn action_words(locale: Locale, action: AuditAction) -> &'static str {
    use AuditAction as A;
    let [en, es, pt] = match action {
        A::ChannelCreated => ["Channel created", "Canal creado", "Canal criado"],
        A::ChannelUpdated => ["Channel changed", "Canal modificado", "Canal alterado"],
        A::ChannelSecretsChanged => [
            "Channel secrets changed",
            "Secretos del canal cambiados",
            "Segredos do canal alterados",
        ],
        A::ChannelDeleted => ["Channel deleted", "Canal eliminado", "Canal excluído"],
        A::RoutingChanged => [
            "Hours & rules changed",
            "Horarios y reglas modificados",
            "Horários e regras alterados",
        ],
        A::TeamCreated => ["Team created", "Equipo creado", "Equipe criada"],
        A::TeamUpdated => ["Team changed", "Equipo modificado", "Equipe alterada"],
        A::TeamDeleted => ["Team deleted", "Equipo eliminado", "Equipe excluída"],
        A::PersonAdded => ["Person added", "Persona agregada", "Pessoa adicionada"],
        A::PersonInvited => ["Person invited", "Persona invitada", "Pessoa convidada"],
        A::InvitationWithdrawn => [
            "Invitation withdrawn",
            "Invitación retirada",
            "Convite cancelado",
        ],
        A::PersonUpdated => ["Person changed", "Persona modificada", "Pessoa alterada"],
        A::PersonRoleChanged => ["Role changed", "Rol cambiado", "Função alterada"],
        A::PersonDeactivated => [
            "Person deactivated",
            "Persona desactivada",
            "Pessoa desativada",
        ],
        A::PersonReactivated => [
            "Person reactivated",
            "Persona reactivada",
            "Pessoa reativada",
        ],
        A::TokenCreated => [
            "API token created",
            "Token de API creado",
            "Token de API criado",
        ],
        A::TokenRevoked => [
            "API token revoked",
            "Token de API revocado",
            "Token de API revogado",
        ],
        A::PluginInstalled => ["Plugin installed", "Plugin instalado", "Plugin instalado"],
        A::PluginActivated => [
            "Plugin version changed",
            "Versión del plugin cambiada",
            "Versão do plugin alterada",
        ],
        A::PluginDisabled => ["Plugin disabled", "Plugin desactivado", "Plugin desativado"],
        A::PluginEnabled => ["Plugin enabled", "Plugin activado", "Plugin ativado"],
        A::TrustedKeysChanged => [
            "Trusted keys changed",
            "Claves de confianza cambiadas",
            "Chaves confiáveis alteradas",
        ],
        A::WebhookCreated => ["Webhook created", "Webhook creado", "Webhook criado"],
        A::WebhookUpdated => ["Webhook changed", "Webhook modificado", "Webhook alterado"],
        A::WebhookDeleted => ["Webhook deleted", "Webhook eliminado", "Webhook excluído"],
        A::WorkspaceUpdated => [
            "Workspace changed",
            "Espacio de trabajo modificado",
            "Espaço de trabalho alterado",
        ],
        A::WorkspaceSuspended => [
            "Workspace suspended",
            "Espacio de trabajo suspendido",
            "Espaço de trabalho suspenso",
        ],
        A::WorkspaceResumed => [
            "Workspace resumed",
            "Espacio de trabajo reanudado",
            "Espaço de trabalho retomado",
        ],
        A::QuotasChanged => ["Limits changed", "Límites cambiados", "Limites alterados"],
        A::ContactsImported => [
            "Contacts imported",
            "Contactos importados",
            "Contatos importados",
        ],
        A::ContactErased => ["Contact erased", "Contacto borrado", "Contato apagado"],
    };
    match locale {
        Locale::En => en,
        Locale::Es => es,
        Locale::PtBr => pt,
    }
}
