//! Rendering a message from its kind's template. Each kind has one file,
//! `templates/<kind>.html`, compiled into the binary, with four blocks: `subject`, `summary`
//! (the in-app text), `text` (the plain-text part) and `html` (the HTML part). The HTML part
//! is rendered with HTML auto-escaping, the others without (a plain-text mail must not show
//! `&amp;`).

use minijinja::{AutoEscape, Environment};
use serde_json::Value;

use crate::kinds::Kind;

/// (name, source) of every template, the shared layout included.
const SOURCES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("welcome.html", include_str!("../templates/welcome.html")),
    (
        "verify_email.html",
        include_str!("../templates/verify_email.html"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "password_changed.html",
        include_str!("../templates/password_changed.html"),
    ),
    (
        "order_placed.html",
        include_str!("../templates/order_placed.html"),
    ),
    (
        "order_paid.html",
        include_str!("../templates/order_paid.html"),
    ),
    (
        "order_shipped.html",
        include_str!("../templates/order_shipped.html"),
    ),
    (
        "order_delivered.html",
        include_str!("../templates/order_delivered.html"),
    ),
    (
        "order_cancelled.html",
        include_str!("../templates/order_cancelled.html"),
    ),
    (
        "order_refunded.html",
        include_str!("../templates/order_refunded.html"),
    ),
    (
        "payment_failed.html",
        include_str!("../templates/payment_failed.html"),
    ),
    (
        "livestream_starting.html",
        include_str!("../templates/livestream_starting.html"),
    ),
    (
        "stock_low.html",
        include_str!("../templates/stock_low.html"),
    ),
    (
        "webhook_disabled.html",
        include_str!("../templates/webhook_disabled.html"),
    ),
];

/// A rendered message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub summary: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    html: Environment<'static>,
    plain: Environment<'static>,
}

impl Templates {
    pub fn load() -> anyhow::Result<Templates> {
        let env = |escape: AutoEscape| -> anyhow::Result<Environment<'static>> {
            let mut env = Environment::new();
            env.set_auto_escape_callback(move |_| escape);
            env.set_trim_blocks(true);
            env.set_lstrip_blocks(true);
            for (name, source) in SOURCES {
                env.add_template(name, source)?;
            }
            Ok(env)
        };
        let templates = Templates {
            html: env(AutoEscape::Html)?,
            plain: env(AutoEscape::None)?,
        };
        Ok(templates)
    }

    /// Renders `kind` with `context` (the event's facts plus links and names).
    pub fn render(&self, kind: Kind, context: &Value) -> anyhow::Result<Rendered> {
        let name = format!("{}.html", kind.name());
        let mut plain = self.plain.get_template(&name)?.render_captured(context)?;
        let mut html = self.html.get_template(&name)?.render_captured(context)?;
        let (subject, summary, text) = plain.with_state_mut(|s| {
            Ok::<_, minijinja::Error>((
                s.render_block("subject")?,
                s.render_block("summary")?,
                s.render_block("text")?,
            ))
        })?;
        let html = html.with_state_mut(|s| s.render_block("html"))?;
        let one_line = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(Rendered {
            subject: one_line(subject),
            summary: one_line(summary),
            text: text.trim().to_string() + "\n",
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_renders_all_four_parts_and_escapes_only_html() {
        let t = Templates::load().unwrap();
        let ctx = json!({
            "name": "Ada & <Co>", "email": "a@example.com", "link": "http://x/y?token=t",
            "orderNumber": "1001", "total": "12.00", "currency": "USD", "carrier": "UPS",
            "trackingNumber": "1Z", "title": "Live", "sku": "SKU-1", "available": 1,
            "threshold": 5, "reason": "declined", "refunded": "1.00", "url": "https://partner.example/hook",
            "consecutiveFailures": 20, "failingSince": "2026-12-03T10:00:00Z",
        });
        for kind in Kind::ALL {
            let r = t.render(kind, &ctx).unwrap();
            assert!(!r.subject.is_empty(), "{kind:?} subject");
            assert!(!r.summary.is_empty(), "{kind:?} summary");
            assert!(!r.text.trim().is_empty(), "{kind:?} text");
            assert!(r.html.contains("<html"), "{kind:?} html");
            assert!(!r.text.contains("&amp;"), "{kind:?} text is not escaped");
        }
        let welcome = t.render(Kind::Welcome, &ctx).unwrap();
        assert!(welcome.html.contains("Ada &amp; &lt;Co&gt;"));
        assert!(welcome.text.contains("Ada & <Co>"));
        assert!(welcome.text.contains("http://x/y?token=t"));
    }
}
