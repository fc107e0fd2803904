//! The event consumers end to end through the launcher: a customer signs up, places an order
//! and pays for it through the router, and each of those produces its emails (received by a
//! real SMTP server), its in-app notifications, its audit entries and its deliveries to a
//! partner endpoint registered through the router — each exactly once. The `broker_outage`
//! variant stops RabbitMQ between the sign-up and the order and starts it again, and still
//! sees everything exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::checkout::{cart_with, checkout, pay, quote};
use crate::launcher::{eventually, Shop, ADMIN};
use crate::steps::two_variants;
use crate::webhooks::receiver;

const PASSWORD: &str = "a-long-password-2026";

/// The notifications tests' SMTP server (`smtp_sink.py`, Debian's python3-aiosmtpd): saves each
/// message it accepts as `<dir>/<n>.eml`, envelope recipients first in `X-Envelope-To`.
struct SmtpSink {
    port: u16,
    dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("shop-smtp-{}-{port}", std::process::id()));
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/subgraphs/notifications/tests/smtp_sink.py"
        );
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP sink starts (python3-aiosmtpd; scripts/test.sh installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the SMTP sink did not start");
        SmtpSink { port, dir, child }
    }

    /// The raw messages whose envelope recipient is `email`.
    fn received_for(&self, email: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| {
                let path = e.ok()?.path();
                (path.extension()? == "eml").then_some(path)
            })
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter(|m| {
                m.lines()
                    .next()
                    .and_then(|l| l.strip_prefix("X-Envelope-To: "))
                    == Some(email)
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What one customer's sign-up and paid order left behind, counted.
#[derive(Debug, PartialEq, Eq)]
struct Effects {
    /// Event type → SENT email deliveries in notifications' log.
    emails_logged: BTreeMap<String, usize>,
    /// Messages the SMTP server received for the customer.
    emails_received: usize,
    /// In-app notification kind → count.
    in_app: BTreeMap<String, usize>,
    /// (subject, event type) → audit entries; and whether any event id repeats.
    audit: BTreeMap<(String, String), usize>,
    audit_repeats: bool,
    /// (subject, event type) → requests the partner's receiver got; and whether any
    /// `webhook-id` repeats.
    webhooks: BTreeMap<(String, String), usize>,
    webhook_repeats: bool,
}

fn count<K: Ord>(keys: impl IntoIterator<Item = K>) -> BTreeMap<K, usize> {
    let mut out = BTreeMap::new();
    for k in keys {
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

fn ones(keys: &[(&str, &str)]) -> BTreeMap<(String, String), usize> {
    keys.iter()
        .map(|(s, t)| ((s.to_string(), t.to_string()), 1))
        .collect()
}

struct Scenario {
    shop: Shop,
    sink: SmtpSink,
    admin: String,
    hooks: Arc<Mutex<Vec<(String, String)>>>,
}

impl Scenario {
    async fn start() -> Scenario {
        let sink = SmtpSink::start();
        let smtp_url = format!("smtp://127.0.0.1:{}", sink.port);
        let shop = Shop::start_with(
            30,
            &[
                ("SMTP_URL", &smtp_url),
                ("DELIVERY_POLL_MS", "100"),
                ("WEBHOOKS_ALLOW_LOOPBACK_TARGETS", "true"),
                ("WEBHOOKS_WORKER_POLL_MS", "100"),
            ],
        )
        .await;
        let admin = shop.login(ADMIN.0, ADMIN.1).await;
        let (url, hooks) = receiver().await;
        shop.data(
            Some(&admin),
            "mutation($u: String!) { createWebhookEndpoint(input: { url: $u,
               eventTypes: [\"user.*\", \"order.*\"], description: \"ERP\" }) { endpoint { id } } }",
            json!({ "u": url }),
        )
        .await;
        Scenario {
            shop,
            sink,
            admin,
            hooks,
        }
    }

    /// Registers a customer through the router; their id, email and token.
    async fn sign_up(&self, name: &str) -> (String, String, String) {
        let email = format!("{name}.{}@example.com", std::process::id());
        let user = self
            .shop
            .data(
                None,
                "mutation($e: String!, $p: String!) { register(email: $e, password: $p, name: \"Grace Hopper\") { id } }",
                json!({ "e": email, "p": PASSWORD }),
            )
            .await;
        let id = user["register"]["id"].as_str().unwrap().to_string();
        let token = self.shop.login(&email, PASSWORD).await;
        (id, email, token)
    }

    /// Places and pays an order of one unit as the signed-in customer; the order's id.
    async fn buy(&self, token: &str) -> String {
        let shop = &self.shop;
        let variant = two_variants(shop).await[0].0.clone();
        let (cart, _) = cart_with(shop, Some(token), &variant, 1).await;
        let (method, total) = quote(shop, Some(token), &cart, None).await;
        let key = format!("consumers-{}", kit::ids::new_id());
        let body = checkout(shop, Some(token), None, &cart, &method, &total, None, &key).await;
        assert!(body["errors"].is_null(), "{body}");
        let order = body["data"]["checkout"]["order"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let paid = pay(shop, Some(token), None, &order, "4242424242424242").await;
        assert!(paid["errors"].is_null(), "{paid}");
        order
    }

    async fn effects(&self, user: &str, email: &str, token: &str, order: &str) -> Effects {
        let shop = &self.shop;
        let log = shop
            .data(
                Some(&self.admin),
                "query($r: String!) { notificationDeliveries(filter: { recipient: $r, channel: EMAIL, status: SENT }, first: 50) {
                   edges { node { eventType } } } }",
                json!({ "r": email }),
            )
            .await;
        let emails_logged = count(
            log["notificationDeliveries"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["eventType"].as_str().unwrap().to_string()),
        );
        let inbox = shop
            .data(
                Some(token),
                "{ myNotifications(first: 50) { edges { node { kind } } } }",
                json!({}),
            )
            .await;
        let in_app = count(
            inbox["myNotifications"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["kind"].as_str().unwrap().to_string()),
        );
        let mut audit_ids = Vec::new();
        let mut audit_keys = Vec::new();
        for subject in [user, order] {
            let page = shop
                .data(
                    Some(&self.admin),
                    "query($s: String!) { auditLog(filter: { subject: $s }, first: 100) { edges { node { eventId type } } } }",
                    json!({ "s": subject }),
                )
                .await;
            for e in page["auditLog"]["edges"].as_array().unwrap() {
                audit_ids.push(e["node"]["eventId"].as_str().unwrap().to_string());
                audit_keys.push((
                    subject.to_string(),
                    e["node"]["type"].as_str().unwrap().to_string(),
                ));
            }
        }
        let hooks = self.hooks.lock().unwrap().clone();
        let mut webhook_ids = Vec::new();
        let mut webhook_keys = Vec::new();
        for (head, body) in &hooks {
            let event: Value = serde_json::from_str(body).unwrap();
            let subject = event["subject"].as_str().unwrap_or_default();
            if subject == user || subject == order {
                let id = head
                    .lines()
                    .find_map(|l| l.strip_prefix("webhook-id:"))
                    .unwrap_or_default()
                    .trim()
                    .to_string();
                webhook_ids.push(id);
                webhook_keys.push((
                    subject.to_string(),
                    event["type"].as_str().unwrap().to_string(),
                ));
            }
        }
        Effects {
            emails_logged,
            emails_received: self.sink.received_for(email).len(),
            in_app,
            audit_repeats: audit_ids.len() != audit_ids.iter().collect::<BTreeSet<_>>().len(),
            audit: count(audit_keys),
            webhook_repeats: webhook_ids.len() != webhook_ids.iter().collect::<BTreeSet<_>>().len(),
            webhooks: count(webhook_keys),
        }
    }

    /// Waits until the sign-up and the paid order have each had every effect, lets
    /// redeliveries (if any were coming) arrive, and checks that each happened exactly once.
    async fn assert_each_effect_once(&self, user: &str, email: &str, token: &str, order: &str) {
        let settled = |e: &Effects| {
            e.emails_received >= 3
                && ["user.registered", "order.created", "order.paid"]
                    .iter()
                    .all(|t| e.emails_logged.contains_key(*t))
                && e.in_app.len() >= 3
                && e.audit
                    .contains_key(&(order.to_string(), "order.paid".to_string()))
                && e.webhooks
                    .contains_key(&(order.to_string(), "order.paid".to_string()))
        };
        eventually("every effect of the sign-up and the order", || async {
            let e = self.effects(user, email, token, order).await;
            settled(&e).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let e = self.effects(user, email, token, order).await;

        let three = |keys: [&str; 3]| -> BTreeMap<String, usize> {
            keys.iter().map(|k| (k.to_string(), 1)).collect()
        };
        assert_eq!(
            e.emails_logged,
            three(["order.created", "order.paid", "user.registered"]),
            "{e:#?}"
        );
        assert_eq!(e.emails_received, 3, "{e:#?}");
        assert_eq!(
            e.in_app,
            three(["order_paid", "order_placed", "welcome"]),
            "{e:#?}"
        );
        // Every event about the customer or the order is recorded once (no event id twice;
        // notifications' own `notification.created` comes once per in-app message); the
        // ones this scenario is about are among them.
        assert!(!e.audit_repeats, "{e:#?}");
        let wanted = ones(&[
            (user, "user.registered"),
            (order, "order.created"),
            (order, "order.paid"),
        ]);
        for key in wanted.keys() {
            assert_eq!(e.audit.get(key), Some(&1), "audit {key:?}: {e:#?}");
            assert_eq!(e.webhooks.get(key), Some(&1), "webhook {key:?}: {e:#?}");
        }
        assert!(!e.webhook_repeats, "{e:#?}");
        assert!(e.webhooks.values().all(|n| *n == 1), "{e:#?}");
        // The partner got every user.* and order.* event the audit log holds about them.
        let audited_for_partner: BTreeMap<_, _> = e
            .audit
            .iter()
            .filter(|((_, t), _)| t.starts_with("user.") || t.starts_with("order."))
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        assert_eq!(e.webhooks, audited_for_partner, "{e:#?}");
    }
}

#[tokio::test]
async fn a_sign_up_and_a_paid_order_reach_mail_inbox_audit_and_partner_once() {
    let s = Scenario::start().await;
    let (user, email, token) = s.sign_up("consumer").await;
    let order = s.buy(&token).await;
    s.assert_each_effect_once(&user, &email, &token, &order)
        .await;
}

/// RabbitMQ is stopped after the sign-up and started again after the order was placed and
/// paid: the outboxes hold the events meanwhile, and the consumers' processed-event records
/// keep redelivered ones from having a second effect.
#[tokio::test]
async fn broker_outage_between_sign_up_and_payment_still_has_each_effect_once() {
    if std::env::var("TEST_RABBITMQ_CTL").is_err() {
        eprintln!("skipped: needs the real RabbitMQ and TEST_RABBITMQ_CTL to stop and start it");
        return;
    }
    let s = Scenario::start().await;
    let (user, email, token) = s.sign_up("outage").await;
    let outage = kit::testing::BrokerOutage::begin();
    let order = s.buy(&token).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(outage);
    s.assert_each_effect_once(&user, &email, &token, &order)
        .await;
}
