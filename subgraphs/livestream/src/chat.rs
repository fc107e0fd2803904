//! Live chat: the `ChatMessage` entity, the history connection (newest first), and the
//! mutations — signed-in users post while the stream is LIVE (trimmed, bounded, rate-limited
//! per user on the shared cache, refused while muted); staff delete messages and mute users.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::auth::{caller, require_role, Role};
use kit::authz_directives::authenticated;
use kit::cache::rate_limit;
use kit::ids::{from_millis, new_id, now_millis, parse_id};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;
use serde_json::{json, Value};

use crate::events;
use crate::settings::Settings;
use crate::status::LivestreamStatus;
use crate::stream::{self, Livestream};
use crate::users::User;

const COLUMNS: &str = "id, stream_id, author_id, text, deleted_at, created_at";
type Row = (String, String, String, String, Option<i64>, i64);
/// Longest mute, in minutes (30 days).
const MAX_MUTE_MINUTES: i64 = 30 * 24 * 60;

#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub id: String,
    pub stream_id: String,
    pub author_id: String,
    pub text: String,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
}

impl ChatMessage {
    fn from_row(r: Row) -> ChatMessage {
        ChatMessage {
            id: r.0,
            stream_id: r.1,
            author_id: r.2,
            text: r.3,
            deleted_at: r.4,
            created_at: r.5,
        }
    }

    /// As carried in `livestream.chat_posted` (and read back by the subscription feed).
    pub fn to_event(&self) -> Value {
        json!({
            "id": self.id,
            "authorId": self.author_id,
            "text": self.text,
            "createdAt": self.created_at,
        })
    }

    pub fn from_event(stream_id: &str, data: &Value) -> Option<ChatMessage> {
        Some(ChatMessage {
            id: data["id"].as_str()?.to_string(),
            stream_id: stream_id.to_string(),
            author_id: data["authorId"].as_str()?.to_string(),
            text: data["text"].as_str()?.to_string(),
            deleted_at: None,
            created_at: data["createdAt"].as_i64()?,
        })
    }
}

#[Object]
impl ChatMessage {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }

    async fn livestream(&self, ctx: &Context<'_>) -> Result<Option<Livestream>> {
        Ok(stream::load(ctx, &self.stream_id).await?)
    }

    async fn author(&self) -> User {
        User {
            id: ID(self.author_id.clone()),
        }
    }

    async fn text(&self) -> &str {
        &self.text
    }

    /// Set once staff deleted it (deleted messages leave the history).
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.deleted_at.map(from_millis)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
}

/// A user muted in one stream's chat.
#[derive(SimpleObject)]
pub struct ChatMute {
    pub livestream_id: ID,
    pub user_id: ID,
    pub until: DateTime<Utc>,
}

/// A chat message by id (deleted ones included: the id is only known to those who saw it).
pub async fn by_id(db: &kit::Db, id: &str) -> Result<Option<ChatMessage>, AppError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM chat_messages WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(ChatMessage::from_row))
}

/// A stream's chat history, newest first (UUIDv7 ids are time-ordered).
pub async fn history(
    ctx: &Context<'_>,
    stream_id: &str,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<Cursor, ChatMessage, Total>, AppError> {
    let window = Window::parse(first, after, None, None)?;
    let mut filter = Filter::default();
    filter.and(
        "stream_id = ? AND deleted_at IS NULL",
        Bind::Text(stream_id.to_string()),
    );
    let want_total = ctx.look_ahead().field("totalCount").exists();
    listing::page(
        &service(ctx).db,
        Source {
            table: "chat_messages",
            columns: COLUMNS,
        },
        &filter,
        &window,
        want_total,
        |r: Row| Ok(ChatMessage::from_row(r)),
        |m: &ChatMessage| m.id.clone(),
    )
    .await
}

#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// Posts to a LIVE stream's chat. Signed in; 1 to `LIVESTREAM_CHAT_MAX_CHARS` (500)
    /// characters after trimming; `LIVESTREAM_CHAT_RATE_MAX` per `…_WINDOW_MS` per user.
    #[graphql(directive = authenticated::apply())]
    async fn send_chat_message(
        &self,
        ctx: &Context<'_>,
        stream_id: ID,
        text: String,
    ) -> Result<ChatMessage> {
        let caller = caller(ctx)?;
        let svc = service(ctx);
        let settings = ctx.data_unchecked::<Settings>();
        let stream_id = parse_id("streamId", &stream_id)?;
        let text = kit::validate::text("text", &text, settings.chat_max_chars)?;
        let now = now_millis();
        let muted: Option<(i64,)> = sqlx::query_as(
            "SELECT until FROM chat_mutes WHERE stream_id = $1 AND user_id = $2 AND until > $3",
        )
        .bind(&stream_id)
        .bind(&caller.user_id)
        .bind(now)
        .fetch_optional(svc.db.pool())
        .await
        .map_err(AppError::from)?;
        if let Some((until,)) = muted {
            return Err(AppError::forbidden(format!(
                "you are muted in this chat until {}",
                from_millis(until).to_rfc3339()
            ))
            .into());
        }
        rate_limit::hit(
            &svc.cache,
            &format!("chat:{}", caller.user_id),
            settings.chat_rate,
        )
        .await?;

        Ok(post(svc, &stream_id, &caller.user_id, text).await?)
    }

    /// Removes a message from the chat (idempotent). Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn delete_chat_message(&self, ctx: &Context<'_>, id: ID) -> Result<ChatMessage> {
        let staff = require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let id = parse_id("id", &id)?;
        let mut message = by_id(&svc.db, &id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("no chat message {id}")))?;
        if message.deleted_at.is_some() {
            return Ok(message);
        }
        let mut tx = svc.db.begin().await?;
        let current = stream::lock_existing(&mut tx, &message.stream_id).await?;
        let now = now_millis();
        let changed = sqlx::query(
            "UPDATE chat_messages SET deleted_at = $1, deleted_by = $2 \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(&staff.user_id)
        .bind(&id)
        .execute(tx.conn())
        .await
        .map_err(AppError::from)?
        .rows_affected();
        message.deleted_at = Some(now);
        if changed == 1 {
            events::emit(
                svc,
                &mut tx,
                "livestream.chat_deleted",
                &current,
                json!({ "messageId": id }),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(message)
    }

    /// Keeps `userId` out of the stream's chat for `minutes` (1 to 43200); muting again
    /// replaces the end time. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn mute_chat_user(
        &self,
        ctx: &Context<'_>,
        stream_id: ID,
        user_id: ID,
        minutes: i32,
    ) -> Result<ChatMute> {
        let staff = require_role(ctx, Role::Staff)?;
        let svc = service(ctx);
        let stream_id = parse_id("streamId", &stream_id)?;
        let user_id = parse_id("userId", &user_id)?;
        let minutes = i64::from(minutes);
        if !(1..=MAX_MUTE_MINUTES).contains(&minutes) {
            return Err(AppError::bad_input(
                "minutes",
                format!("must be between 1 and {MAX_MUTE_MINUTES}"),
            )
            .into());
        }
        if stream::by_id(&svc.db, &stream_id).await?.is_none() {
            return Err(AppError::not_found(format!("no livestream {stream_id}")).into());
        }
        let until = now_millis() + minutes * 60_000;
        sqlx::query(
            "INSERT INTO chat_mutes (stream_id, user_id, until, muted_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (stream_id, user_id) DO UPDATE SET until = excluded.until, \
             muted_by = excluded.muted_by",
        )
        .bind(&stream_id)
        .bind(&user_id)
        .bind(until)
        .bind(&staff.user_id)
        .execute(svc.db.pool())
        .await
        .map_err(AppError::from)?;
        Ok(ChatMute {
            livestream_id: ID(stream_id),
            user_id: ID(user_id),
            until: from_millis(until),
        })
    }
}

/// Posts `text` by `author_id` to a LIVE stream's chat and announces it (the checks on the
/// author — mutes, rate limit — are the caller's). Also what the demo's chat generator uses.
pub async fn post(
    svc: &kit::Service,
    stream_id: &str,
    author_id: &str,
    text: String,
) -> Result<ChatMessage, AppError> {
    let now = now_millis();
    let mut tx = svc.db.begin().await?;
    let current = stream::lock_existing(&mut tx, stream_id).await?;
    if current.status != LivestreamStatus::Live {
        return Err(AppError::bad_input_because(
            "streamId",
            "NOT_LIVE",
            format!(
                "livestream is {}, chat is open only while LIVE",
                current.status.as_str()
            ),
        ));
    }
    let message = ChatMessage {
        id: new_id(),
        stream_id: stream_id.to_string(),
        author_id: author_id.to_string(),
        text,
        deleted_at: None,
        created_at: now,
    };
    sqlx::query(
        "INSERT INTO chat_messages (id, stream_id, author_id, text, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&message.id)
    .bind(stream_id)
    .bind(&message.author_id)
    .bind(&message.text)
    .bind(now)
    .execute(tx.conn())
    .await?;
    events::emit(
        svc,
        &mut tx,
        "livestream.chat_posted",
        &current,
        json!({ "message": message.to_event() }),
    )
    .await?;
    tx.commit().await?;
    Ok(message)
}
