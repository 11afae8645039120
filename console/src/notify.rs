//! Telling an agent about an alert while they look elsewhere: a browser notification (when
//! they allowed them and the tab is in the background) and a short tone, each as their profile
//! says.

use switchboard_model::NotificationSettings;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::state::Alert;

/// Asks the browser for permission to notify, once, when the agent wants notifications.
pub fn ask_permission(settings: NotificationSettings) {
    if settings.desktop && Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

/// Whether the console's tab is in the background.
pub fn tab_hidden() -> bool {
    web_sys::window()
        .and_then(|window| window.document())
        .is_some_and(|document| document.hidden())
}

/// Tells the agent about `alert`: `title` heads the notification.
pub fn tell(settings: NotificationSettings, alert: &Alert, title: &str) {
    if settings.desktop
        && tab_hidden()
        && Notification::permission() == NotificationPermission::Granted
    {
        let options = NotificationOptions::new();
        options.set_body(&alert.text);
        options.set_tag(&format!("conversation-{}", alert.conversation_id));
        let _ = Notification::new_with_options(title, &options);
    }
    if settings.sound {
        switchboard_front::chime();
    }
}
