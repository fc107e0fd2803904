//! The root queries viewers use: one stream, the keyset-paged list with its filter, and the
//! streams on air now. All public.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, Result, ID};
use kit::ids::{now_millis, parse_id};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;

use crate::status::LivestreamStatus;
use crate::stream::{self, Livestream, Row, COLUMNS};

/// Most streams `liveNow` returns.
const LIVE_NOW_MAX: i64 = 100;

#[derive(InputObject, Default)]
pub struct LivestreamFilter {
    pub status: Option<LivestreamStatus>,
    /// true: scheduled streams whose start is still ahead; false: every other stream.
    pub upcoming: Option<bool>,
}

#[derive(Default)]
pub struct StreamQuery;

#[Object]
impl StreamQuery {
    /// A stream by id; null when unknown.
    async fn livestream(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Livestream>> {
        let id = parse_id("id", &id)?;
        Ok(stream::load(ctx, &id).await?)
    }

    /// Streams, newest scheduled first.
    async fn livestreams(
        &self,
        ctx: &Context<'_>,
        filter: Option<LivestreamFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Livestream, Total>> {
        let window = Window::parse(first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let mut sql = Filter::default();
        if let Some(status) = filter.status {
            sql.and("status = ?", Bind::Text(status.as_str().into()));
        }
        match filter.upcoming {
            Some(true) => {
                sql.and("status = ?", Bind::Text("SCHEDULED".into()));
                sql.and("scheduled_start >= ?", Bind::Int(now_millis()));
            }
            Some(false) => sql.and(
                "NOT (status = 'SCHEDULED' AND scheduled_start >= ?)",
                Bind::Int(now_millis()),
            ),
            None => {}
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page(
            &service(ctx).db,
            Source {
                table: "livestreams",
                columns: COLUMNS,
            },
            &sql,
            &window,
            want_total,
            |r: Row| Ok(Livestream::from_row(r)),
            |s: &Livestream| s.id.clone(),
        )
        .await?)
    }

    /// The streams on air now, most recently started first.
    async fn live_now(&self, ctx: &Context<'_>) -> Result<Vec<Livestream>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM livestreams WHERE status = 'LIVE' \
             ORDER BY started_at DESC, id DESC LIMIT $1"
        ))
        .bind(LIVE_NOW_MAX)
        .fetch_all(service(ctx).db.pool())
        .await
        .map_err(kit::AppError::from)?;
        Ok(rows.into_iter().map(Livestream::from_row).collect())
    }
}
