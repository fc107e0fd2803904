//! Shared steps for the audit black-box tests: start the real accounts subgraph (tokens, JWKS
//! and real events in its outbox) and the real audit subgraph pointed at it, sign in an admin,
//! a staff member and a customer, and deliver events to audit's transport — the in-process bus,
//! or RabbitMQ when the test environment names it — as the broker would.

use std::collections::HashSet;
use std::sync::Mutex;

use kit::events::Event;
use kit::testing::{self, TestApp};
use serde_json::{json, Value};

pub use kit::testing::{error_field as field, eventually, expect_code as code};

pub const ENTRY_FIELDS: &str = "id eventId type source subject actor time recordedAt data hash";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token.
    pub admin: String,
    /// Accounts' outbox rows already forwarded to audit.
    forwarded: Mutex<HashSet<String>>,
}

/// Starts accounts and audit; `overrides` are audit settings such as `("RETENTION_DAYS", "1")`.
pub async fn start(overrides: &[(&str, &str)]) -> Env {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let app = testing::spawn::<audit::Audit>(audit_config(&accounts, overrides)).await;
    let admin = accounts.login(&email, testing::PASSWORD).await;
    Env {
        accounts,
        app,
        admin,
        forwarded: Mutex::default(),
    }
}

/// An audit configuration trusting `accounts`, with a private archive directory.
pub fn audit_config(accounts: &TestApp, overrides: &[(&str, &str)]) -> kit::Config {
    let dir = testing::temp_dir().join("archive");
    let mut config = testing::config_trusting("audit", accounts, overrides);
    config
        .overrides
        .entry("ARCHIVE_DIR".into())
        .or_insert_with(|| dir.display().to_string());
    config
}

impl Env {
    /// Registers and signs in a fresh customer: (id, token).
    pub async fn customer(&self) -> (String, String) {
        self.accounts.register_customer().await
    }

    /// A fresh customer promoted to staff by the admin, signed in again: (id, token).
    pub async fn staff(&self) -> (String, String) {
        let (id, _) = self.customer().await;
        let body = self
            .accounts
            .gql(
                "mutation($u:ID!){ setUserRole(userId:$u, role: STAFF){ id } }",
                json!({ "u": id }),
                Some(&self.admin),
            )
            .await;
        assert!(body["errors"].is_null(), "setUserRole failed: {body}");
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
            .bind(&id)
            .fetch_one(self.accounts.svc().db.background())
            .await
            .unwrap();
        let token = self.accounts.login(&email, testing::PASSWORD).await;
        (id, token)
    }

    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.app.gql(query, variables, token).await
    }

    pub async fn admin_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.admin)).await
    }

    /// Publishes `events` on audit's transport.
    pub async fn publish(&self, events: &[Event]) {
        publish_to(&self.app, events).await;
    }

    /// Publishes accounts' outbox events not forwarded yet (every one, when `again`) to audit,
    /// and returns them.
    pub async fn forward_accounts_events(&self, again: bool) -> Vec<Event> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, payload FROM outbox ORDER BY id")
                .fetch_all(self.accounts.svc().db.background())
                .await
                .unwrap();
        let events: Vec<Event> = {
            let mut seen = self.forwarded.lock().unwrap();
            rows.into_iter()
                .filter(|(id, _)| seen.insert(id.clone()) || again)
                .map(|(_, p)| serde_json::from_str::<Event>(&p).unwrap())
                .collect()
        };
        self.publish(&events).await;
        events
    }

    /// Rows in audit's table.
    pub async fn count(&self) -> i64 {
        count_in(&self.app).await
    }

    /// Waits until audit holds `n` entries.
    pub async fn wait_for(&self, n: i64) {
        wait_for(&self.app, n).await;
    }

    /// `verifyAuditLog` over everything (as the admin): the JSON result.
    pub async fn verify(&self) -> Value {
        let body = self
            .admin_gql(
                "{ verifyAuditLog { ok checked firstBrokenEntryId reason } }",
                json!({}),
            )
            .await;
        assert!(body["errors"].is_null(), "verify failed: {body}");
        body["data"]["verifyAuditLog"].clone()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}

pub async fn publish_to(app: &TestApp, events: &[Event]) {
    app.svc()
        .transport
        .publish_batch(events)
        .await
        .expect("published");
}

pub async fn count_in(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries")
        .fetch_one(app.svc().db.background())
        .await
        .unwrap()
}

pub async fn wait_for(app: &TestApp, n: i64) {
    let db = app.svc().db.clone();
    eventually(&format!("{n} audit entries"), || {
        let db = db.clone();
        async move {
            let have: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_entries")
                .fetch_one(db.background())
                .await
                .unwrap();
            assert!(have <= n, "more entries than events: {have} > {n}");
            have == n
        }
    })
    .await;
}

/// An event from `source` of `kind`, about `subject`, by `actor`.
pub fn event(source: &str, kind: &str, subject: Option<&str>, actor: Option<&str>) -> Event {
    let mut data = json!({ "n": 1 });
    if let Some(a) = actor {
        data["actor"] = json!(a);
    }
    Event::new(source, kind, subject.map(str::to_string), data)
}

/// The `auditLog` connection's node ids, and the whole body.
pub async fn log_ids(env: &Env, args: &str, variables: Value) -> (Vec<String>, Value) {
    let body = env
        .admin_gql(
            &format!(
                "query($f:AuditLogFilter){{ auditLog(filter:$f{args}){{ totalCount \
                 pageInfo{{ hasNextPage hasPreviousPage startCursor endCursor }} \
                 edges{{ cursor node{{ {ENTRY_FIELDS} }} }} }} }}"
            ),
            variables,
        )
        .await;
    let edges = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("auditLog failed: {body}"))
        .clone();
    (
        edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect(),
        body,
    )
}
