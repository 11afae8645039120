//! Telling an agent about an alert while they look elsewhere: a browser notification (when
//! they allowed them and the tab is in the background) and a short tone, each as their profile
//! says.

use switchboard_model::NotificationSettings;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

use crate::state::Alert;

/// Asks the browser for permission to notify, once, when the agent wants notifications.
pub fn ask_permission(settings: NotificationSettings) {
    if settings.desktop && Notification::permission() == NotificationPermission::Default {
        let _ = Notification::request_permission();
    }
}

fn tab_hidden() -> bool {
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
        chime();
    }
}

/// Two short soft tones, made in the browser (no sound file to fetch).
fn chime() {
    let Ok(context) = AudioContext::new() else {
        return;
    };
    let start = context.current_time();
    for (offset, pitch) in [(0.0, 880.0), (0.12, 1320.0)] {
        let (Ok(tone), Ok(volume)) = (context.create_oscillator(), context.create_gain()) else {
            return;
        };
        tone.frequency().set_value(pitch);
        let gain = volume.gain();
        let _ = gain.set_value_at_time(0.0, start + offset);
        let _ = gain.linear_ramp_to_value_at_time(0.15, start + offset + 0.02);
        let _ = gain.linear_ramp_to_value_at_time(0.0, start + offset + 0.18);
        let _ = tone.connect_with_audio_node(&volume);
        let _ = volume.connect_with_audio_node(&context.destination());
        let _ = tone.start_with_when(start + offset);
        let _ = tone.stop_with_when(start + offset + 0.2);
    }
}
