//! Shared steps for the notifications black-box tests: the real accounts subgraph (tokens,
//! JWKS, and the `user.*` events, forwarded to notifications' transport as the broker would),
//! the real notifications subgraph pointed at it, and a real SMTP server (Debian's
//! python3-aiosmtpd running `tests/smtp_sink.py`) started and stopped by the test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use kit::events::{Event, QueueSpec};
use kit::testing::{self, TestApp};
pub use kit::testing::{eventually, expect_code as code, PASSWORD};
use serde_json::{json, Value};

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token and email (admins are staff).
    pub staff: String,
    pub staff_email: String,
    pub mail_dir: PathBuf,
}

/// A customer signed in at accounts.
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
}

/// Starts accounts and notifications; with `smtp`, notifications sends to that server,
/// otherwise it writes `.eml` files to `env.mail_dir`.
pub async fn start(smtp: Option<&SmtpSink>, overrides: &[(&str, &str)]) -> Env {
    let (mut config, staff_email) = testing::accounts_with_admin();
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
        ("PUBLIC_URL", "https://shop.example"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let mail_dir = testing::temp_dir().join("mail");
    let mail_dir_text = mail_dir.display().to_string();
    let smtp_url = smtp.map(|s| format!("smtp://127.0.0.1:{}", s.port));
    let mut settings: Vec<(&str, &str)> = vec![
        ("MAIL_DIR", &mail_dir_text),
        ("PUBLIC_URL", "https://shop.example"),
        ("DELIVERY_POLL_MS", "100"),
        ("DELIVERY_RETRY_BASE_MS", "200"),
        ("DELIVERY_RETRY_MAX_MS", "1000"),
    ];
    if let Some(url) = &smtp_url {
        settings.push(("SMTP_URL", url));
    }
    settings.extend_from_slice(overrides);
    let config = testing::config_trusting("notifications", &accounts, &settings);
    let app = testing::spawn::<notifications::Notifications>(config).await;
    bridge(&accounts, &app).await;
    let staff = accounts.login(&staff_email, PASSWORD).await;
    Env {
        accounts,
        app,
        staff,
        staff_email,
        mail_dir,
    }
}

/// Forwards accounts' `user.*` events to notifications' transport (in production both use
/// the same broker; each test has its own exchange).
async fn bridge(accounts: &TestApp, app: &TestApp) {
    let target = app.svc().transport.clone();
    accounts
        .svc()
        .consume(
            QueueSpec::durable("test-bridge", &["user.#"]),
            move |event: Event| {
                let target = target.clone();
                async move { target.publish_batch(std::slice::from_ref(&event)).await }
            },
        )
        .await
        .unwrap();
}

impl Env {
    /// Registers and signs in a fresh customer.
    pub async fn customer(&self) -> User {
        let email = format!("c.{}@example.com", &kit::ids::new_id()[24..]);
        let body = self
            .accounts
            .gql(
                "mutation($e:String!,$p:String!){ register(email:$e,password:$p,name:\"Ada Lovelace\"){ id } }",
                json!({ "e": email, "p": PASSWORD }),
                None,
            )
            .await;
        let id = body["data"]["register"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("register failed: {body}"))
            .to_string();
        let token = self.accounts.login(&email, PASSWORD).await;
        // Accounts' `user.registered` travels through its outbox; until notifications has
        // applied it (its welcome is recorded) it does not know the user's address, and an
        // event a test publishes directly could overtake it.
        eventually("notifications to learn of the new customer", || async {
            !self.deliveries(&email).await.is_empty()
        })
        .await;
        User { id, email, token }
    }

    pub async fn publish(&self, event: &Event) {
        self.app
            .svc()
            .transport
            .publish_batch(std::slice::from_ref(event))
            .await
            .expect("published");
    }

    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.app.gql(query, variables, token).await
    }

    /// The delivery rows for `recipient` as (status, attempts, channel, kind).
    pub async fn deliveries(&self, recipient: &str) -> Vec<(String, i64, String, String)> {
        sqlx::query_as(
            "SELECT status, attempts, channel, kind FROM deliveries WHERE recipient = $1 ORDER BY id",
        )
        .bind(recipient)
        .fetch_all(self.app.svc().db.background())
        .await
        .unwrap()
    }

    /// The `.eml` files written (embedded mode).
    pub fn files(&self) -> Vec<PathBuf> {
        list(&self.mail_dir)
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

/// An `order.<status>` event as orders publishes it (the fields notifications reads).
pub fn order_event(event_type: &str, customer: Option<&User>, email: &str, extra: Value) -> Event {
    let order_id = kit::ids::new_id();
    let mut data = json!({
        "orderId": order_id,
        "number": "SO-1001",
        "status": "PAID",
        "customerId": customer.map(|c| c.id.clone()),
        "email": email,
        "currencyCode": "USD",
        "total": { "amount": "42.50", "currencyCode": "USD", "minorUnits": 4250 },
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut data, extra) {
        d.extend(e);
    }
    Event::new("orders", event_type, Some(order_id), data)
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// A received email, parsed.
#[derive(Debug, Clone)]
pub struct Mail {
    pub envelope_to: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub content_type: String,
}

pub fn parse(path: &Path) -> Mail {
    let raw = std::fs::read(path).expect("mail file");
    use mail_parser::MimeHeaders;
    let msg = mail_parser::MessageParser::default()
        .parse(&raw[..])
        .expect("a MIME message");
    Mail {
        envelope_to: msg
            .header_raw("X-Envelope-To")
            .unwrap_or_default()
            .trim()
            .to_string(),
        to: msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
        subject: msg.subject().unwrap_or_default().to_string(),
        text: msg.body_text(0).unwrap_or_default().to_string(),
        // As a browser reads attributes: minijinja escapes `/` (and `&`) in the HTML part.
        html: msg
            .body_html(0)
            .unwrap_or_default()
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
        content_type: msg
            .content_type()
            .map(|c| format!("{}/{}", c.c_type, c.c_subtype.as_deref().unwrap_or("")))
            .unwrap_or_default(),
    }
}

/// The real SMTP server of the test: `tests/smtp_sink.py` under Debian's python3 with
/// aiosmtpd, on a free loopback port, saving each message to its own directory.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Option<Child>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut sink = SmtpSink {
            port,
            dir: testing::temp_dir().join("smtp"),
            child: None,
        };
        sink.resume();
        sink
    }

    /// Starts the server (again) on the same port and directory.
    pub fn resume(&mut self) {
        use std::io::{BufRead, BufReader};
        let python = std::env::var("SMTP_SINK_PYTHON").unwrap_or_else(|_| {
            // Debian's interpreter, where python3-aiosmtpd is installed.
            if Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".into()
            } else {
                "python3".into()
            }
        });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect(
                "the SMTP sink starts (python3-aiosmtpd installed? scripts/test.sh installs it)",
            );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the SMTP sink did not start");
        self.child = Some(child);
    }

    /// Stops the server; connections are refused until `resume`.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn received(&self) -> Vec<Mail> {
        list(&self.dir).iter().map(|p| parse(p)).collect()
    }

    /// The messages received for `email`.
    pub fn received_for(&self, email: &str) -> Vec<Mail> {
        self.received()
            .into_iter()
            .filter(|m| m.envelope_to == email)
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.pause();
    }
}

/// The token in a `…?token=…` link.
pub fn token_of(link_text: &str) -> String {
    let start = link_text.find("token=").expect("a link with a token") + "token=".len();
    link_text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
