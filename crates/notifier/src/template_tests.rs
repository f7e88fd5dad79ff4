use super::*;
use crate::NotificationStatus;
use crate::render::{render_html_body, render_text_body, render_title};
use crate::sample::sample_notification;

#[test]
fn the_default_templates_render_what_the_channels_sent_before() {
    for status in [NotificationStatus::Firing, NotificationStatus::Resolved] {
        let notification = sample_notification(status);
        for language in [Language::En, Language::ZhTw] {
            let templates = ChannelTemplates::new("ops", language, None).unwrap();
            assert_eq!(
                templates.title(&notification).unwrap(),
                render_title(&notification, language)
            );
            assert_eq!(
                templates.body(&notification).unwrap(),
                render_text_body(&notification, language)
            );
            assert_eq!(
                templates.html(&notification).unwrap(),
                render_html_body(&notification, language)
            );
        }
    }
}
