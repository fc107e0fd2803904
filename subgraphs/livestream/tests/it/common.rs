//! Shared steps for the livestream black-box tests: start the real accounts subgraph (for
//! tokens and its JWKS) and the real livestream subgraph pointed at it, sign users in over
//! HTTP, and act as a client or as a media server calling back.

use kit::testing::{self, TestApp};
pub use kit::testing::{error_field as field, error_message as message, expect_code as code};
use serde_json::{json, Value};

pub const STREAM_FIELDS: &str = "id title description status scheduledStart startedAt endedAt \
    coverImageUrl playbackId hlsUrl featuredProducts { id }";

pub struct Env {
    pub accounts: TestApp,
    pub app: TestApp,
    /// An admin's access token (admins are staff).
    pub staff: String,
}

/// A signed-in customer.
#[derive(Clone)]
pub struct User {
    pub id: String,
    pub token: String,
}

/// A scheduled stream as staff see it.
#[derive(Debug, Clone)]
pub struct Stream {
    pub id: String,
    pub playback_id: String,
    pub key: String,
}

pub async fn start() -> Env {
    start_with(&[]).await
}

/// Starts with livestream settings such as `("CHAT_RATE_MAX", "3")`.
pub async fn start_with(overrides: &[(&str, &str)]) -> Env {
    let (mut config, email) = testing::accounts_with_admin();
    for (k, v) in [
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
        ("LOGIN_MAX_PER_IP", "100000"),
    ] {
        config.overrides.insert(k.into(), v.into());
    }
    let accounts = testing::spawn::<accounts::Accounts>(config).await;
    let config = testing::config_trusting("livestream", &accounts, overrides);
    let app = testing::spawn::<livestream::Livestream>(config).await;
    let staff = accounts.login(&email, testing::PASSWORD).await;
    Env {
        accounts,
        app,
        staff,
    }
}

impl Env {
    pub async fn customer(&self) -> User {
        let (id, token) = self.accounts.register_customer().await;
        User { id, token }
    }

    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.app.gql(query, variables, token).await
    }

    pub async fn staff_gql(&self, query: &str, variables: Value) -> Value {
        self.app.gql(query, variables, Some(&self.staff)).await
    }

    /// `scheduleLivestream` with `input` as given (raw answer).
    pub async fn schedule_raw(&self, token: Option<&str>, input: Value) -> Value {
        self.gql(
            &format!(
                "mutation($i:ScheduleLivestreamInput!){{ scheduleLivestream(input:$i){{ {STREAM_FIELDS} }} }}"
            ),
            json!({ "i": input }),
            token,
        )
        .await
    }

    /// A stream starting in an hour, featuring `products`.
    pub async fn schedule(&self, title: &str, products: &[&str]) -> Stream {
        let start = chrono::Utc::now() + chrono::Duration::hours(1);
        let body = self
            .schedule_raw(
                Some(&self.staff),
                json!({ "title": title, "scheduledStart": start.to_rfc3339(), "featuredProductIds": products }),
            )
            .await;
        let id = body["data"]["scheduleLivestream"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("scheduleLivestream failed: {body}"))
            .to_string();
        let secrets = self
            .staff_gql(
                "query($id:ID!){ livestream(id:$id){ playbackId streamKey } }",
                json!({ "id": id }),
            )
            .await;
        let s = &secrets["data"]["livestream"];
        Stream {
            id,
            playback_id: s["playbackId"].as_str().unwrap().to_string(),
            key: s["streamKey"]
                .as_str()
                .unwrap_or_else(|| panic!("{secrets}"))
                .to_string(),
        }
    }

    /// Runs `mutation($id:ID!){ <name>(id:$id){ status } }` as staff.
    pub async fn move_to(&self, name: &str, id: &str) -> Value {
        self.staff_gql(
            &format!("mutation($id:ID!){{ {name}(id:$id){{ id status startedAt endedAt }} }}"),
            json!({ "id": id }),
        )
        .await
    }

    /// The stream's status as anyone sees it.
    pub async fn status(&self, id: &str) -> String {
        let body = self
            .gql(
                "query($id:ID!){ livestream(id:$id){ status } }",
                json!({ "id": id }),
                None,
            )
            .await;
        body["data"]["livestream"]["status"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_string()
    }

    /// A stream that is LIVE (scheduled, then started by staff).
    pub async fn live(&self, title: &str) -> Stream {
        let stream = self.schedule(title, &[]).await;
        let body = self.move_to("startLivestream", &stream.id).await;
        assert_eq!(body["data"]["startLivestream"]["status"], "LIVE", "{body}");
        stream
    }

    pub async fn chat(&self, token: Option<&str>, stream: &str, text: &str) -> Value {
        self.gql(
            "mutation($s:ID!,$t:String!){ sendChatMessage(streamId:$s,text:$t){ id text author { id } createdAt } }",
            json!({ "s": stream, "t": text }),
            token,
        )
        .await
    }

    /// POSTs a form to an ingest callback; returns the HTTP status.
    pub async fn callback(&self, path: &str, form: &[(&str, &str)]) -> u16 {
        self.app
            .http
            .post(format!("{}{path}", self.app.url))
            .form(form)
            .send()
            .await
            .expect("callback sent")
            .status()
            .as_u16()
    }

    /// Rows of this stream's events in the outbox: (type, data), oldest first.
    pub async fn events(&self, stream: &str) -> Vec<(String, Value)> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT payload FROM outbox ORDER BY id")
            .fetch_all(self.app.svc().db.background())
            .await
            .unwrap();
        rows.into_iter()
            .map(|(p,)| serde_json::from_str::<Value>(&p).unwrap())
            .filter(|e| e["data"]["livestreamId"] == stream)
            .map(|e| (e["type"].as_str().unwrap().to_string(), e["data"].clone()))
            .collect()
    }

    pub async fn stop(self) {
        self.app.stop().await;
        self.accounts.stop().await;
    }
}
