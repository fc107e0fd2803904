//! `Livestream.analytics` for staff: viewers now and at peak (from every instance's
//! heartbeats), unique viewers, chat messages, and the orders, units and revenue attributed to
//! the stream — read on demand, so always current.

use async_graphql::SimpleObject;
use kit::money::{Money, MoneyObject};
use kit::{AppError, Db};

use crate::viewers;

#[derive(SimpleObject)]
pub struct LivestreamAnalytics {
    pub current_viewers: i64,
    pub peak_viewers: i64,
    /// Signed-in viewers once each (by user id); anonymous ones once per client subscription,
    /// as the router reports them behind a shared upstream subscription.
    pub unique_viewers: i64,
    /// Messages posted (deleted ones included).
    pub chat_messages: i64,
    /// Paid orders with lines bought from the stream.
    pub orders: i64,
    pub units: i64,
    /// Revenue of those lines, one amount per currency.
    pub revenue: Vec<MoneyObject>,
}

pub async fn load(
    db: &Db,
    stream_id: &str,
    heartbeat: std::time::Duration,
) -> Result<LivestreamAnalytics, AppError> {
    let current_viewers = viewers::current(db, stream_id, heartbeat).await?;
    let (peak,): (i64,) = sqlx::query_as("SELECT peak_viewers FROM livestreams WHERE id = $1")
        .bind(stream_id)
        .fetch_one(db.pool())
        .await?;
    let count = |sql: &'static str| async move {
        let (n,): (i64,) = sqlx::query_as(sql)
            .bind(stream_id)
            .fetch_one(db.pool())
            .await?;
        Ok::<i64, AppError>(n)
    };
    let unique_viewers = count(
        "SELECT CAST(COALESCE(SUM(visits), 0) AS BIGINT) FROM livestream_viewers \
         WHERE stream_id = $1",
    )
    .await?;
    let chat_messages = count("SELECT COUNT(*) FROM chat_messages WHERE stream_id = $1").await?;
    // PostgreSQL's SUM is NUMERIC: cast for the Any driver.
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT currency, COUNT(*), CAST(SUM(units) AS BIGINT), CAST(SUM(revenue_minor) AS BIGINT) \
         FROM livestream_sales WHERE stream_id = $1 GROUP BY currency ORDER BY currency",
    )
    .bind(stream_id)
    .fetch_all(db.pool())
    .await?;
    let mut analytics = LivestreamAnalytics {
        current_viewers,
        // The heartbeat raises the peak a moment after the count: never show it below now.
        peak_viewers: peak.max(current_viewers),
        unique_viewers,
        chat_messages,
        orders: 0,
        units: 0,
        revenue: Vec::new(),
    };
    for (currency, orders, units, minor) in rows {
        analytics.orders += orders;
        analytics.units += units;
        analytics
            .revenue
            .push(Money::from_stored(minor, &currency)?.into());
    }
    Ok(analytics)
}
