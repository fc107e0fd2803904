//! The delivery log: one row per message per channel per recipient, unique per (event id,
//! channel, recipient) and written in the consumer's transaction before anything is sent, so a
//! redelivered event records (and sends) nothing twice. Email, SMS and push rows start
//! PENDING for the worker; in-app rows are SENT as they are written. Staff read the log with
//! `notificationDeliveries`.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{require_role, Role};
use kit::ids::{from_millis, new_id, now_millis};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{AppError, Tx};
use serde_json::Value;

use crate::kinds::Kind;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryChannel {
    Email,
    InApp,
    /// A text message to the user's phone number.
    Sms,
    /// A push message to one of the user's push subscriptions.
    Push,
}

impl DeliveryChannel {
    pub const ALL: [DeliveryChannel; 4] = [
        DeliveryChannel::Email,
        DeliveryChannel::InApp,
        DeliveryChannel::Sms,
        DeliveryChannel::Push,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryChannel::Email => "EMAIL",
            DeliveryChannel::InApp => "IN_APP",
            DeliveryChannel::Sms => "SMS",
            DeliveryChannel::Push => "PUSH",
        }
    }

    pub fn parse(raw: &str) -> Option<DeliveryChannel> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Sent,
    /// Given up: a permanent refusal, or too many failed attempts.
    Failed,
}

/// A new row; `false` when this (event, channel, recipient) was already recorded.
pub struct NewDelivery<'a> {
    pub event_id: &'a str,
    pub event_type: &'a str,
    pub channel: DeliveryChannel,
    pub recipient: &'a str,
    pub user_id: Option<&'a str>,
    pub kind: Kind,
    pub context: &'a Value,
    /// Already done (in-app), with its subject.
    pub sent_subject: Option<&'a str>,
}

pub async fn record(tx: &mut Tx, d: NewDelivery<'_>) -> Result<bool, AppError> {
    let now = now_millis();
    let status = if d.sent_subject.is_some() {
        "SENT"
    } else {
        "PENDING"
    };
    let inserted = sqlx::query(
        "INSERT INTO deliveries (id, event_id, event_type, channel, recipient, user_id, kind, \
         context, status, attempts, next_attempt_at, subject, created_at, updated_at, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $10, $10, $12) \
         ON CONFLICT (event_id, channel, recipient) DO NOTHING",
    )
    .bind(new_id())
    .bind(d.event_id)
    .bind(d.event_type)
    .bind(d.channel.as_str())
    .bind(d.recipient)
    .bind(d.user_id)
    .bind(d.kind.name())
    .bind(d.context.to_string())
    .bind(status)
    .bind(now)
    .bind(d.sent_subject)
    .bind(d.sent_subject.map(|_| now))
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A row of the log as staff see it.
#[derive(SimpleObject)]
pub struct NotificationDelivery {
    pub id: ID,
    pub event_id: String,
    pub event_type: String,
    pub channel: DeliveryChannel,
    /// An email address, a user id (in-app), a phone number (SMS) or a push topic.
    pub recipient: String,
    pub user_id: Option<ID>,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub subject: Option<String>,
    pub last_error: Option<String>,
    /// Where it went: the SMTP server's reply or the `.eml` file.
    pub location: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "id, event_id, event_type, channel, recipient, user_id, kind, status, \
    attempts, subject, last_error, location, next_attempt_at, created_at, sent_at";

fn from_row(r: Row) -> Result<NotificationDelivery, AppError> {
    let (id, event_id, event_type, channel, recipient, user_id, kind, status) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7);
    let status = match status.as_str() {
        "SENT" => DeliveryStatus::Sent,
        "FAILED" => DeliveryStatus::Failed,
        _ => DeliveryStatus::Pending,
    };
    Ok(NotificationDelivery {
        id: ID(id),
        event_id,
        event_type,
        channel: DeliveryChannel::parse(&channel).unwrap_or(DeliveryChannel::Email),
        recipient,
        user_id: user_id.map(ID),
        kind,
        attempts: r.8,
        subject: r.9,
        last_error: r.10,
        location: r.11,
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| from_millis(r.12)),
        status,
        created_at: from_millis(r.13),
        sent_at: r.14.map(from_millis),
    })
}

#[derive(InputObject, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub channel: Option<DeliveryChannel>,
    /// Exact email address (matched in lower case), user id, phone number or push topic.
    pub recipient: Option<String>,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
}

#[derive(Default)]
pub struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// The delivery log, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn notification_deliveries(
        &self,
        ctx: &Context<'_>,
        filter: Option<DeliveryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<Cursor, NotificationDelivery, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, None, None)?;
        let f = filter.unwrap_or_default();
        let mut where_ = Filter::default();
        if let Some(s) = f.status {
            let s = match s {
                DeliveryStatus::Pending => "PENDING",
                DeliveryStatus::Sent => "SENT",
                DeliveryStatus::Failed => "FAILED",
            };
            where_.and("status = ?", Bind::Text(s.into()));
        }
        if let Some(c) = f.channel {
            where_.and("channel = ?", Bind::Text(c.as_str().into()));
        }
        if let Some(r) = f.recipient {
            // Emails are stored in lower case; topics are case-sensitive.
            let r = r.trim();
            let r = if r.contains('@') {
                r.to_lowercase()
            } else {
                r.to_string()
            };
            where_.and("recipient = ?", Bind::Text(r));
        }
        if let Some(e) = f.event_id {
            where_.and("event_id = ?", Bind::Text(e));
        }
        if let Some(t) = f.event_type {
            where_.and("event_type = ?", Bind::Text(t));
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page(
            &service(ctx).db,
            Source {
                table: "deliveries",
                columns: COLUMNS,
            },
            &where_,
            &window,
            want_total,
            |r: Row| from_row(r),
            |n| n.id.to_string(),
        )
        .await?)
    }
}
