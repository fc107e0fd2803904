//! Admin management of webhook endpoints: register (the signing secret is returned this once),
//! change, delete, rotate the secret with an overlap window, send a test `webhook.ping`, look
//! up and list. Admins only for changes, staff may read; customers get `FORBIDDEN`, anonymous
//! callers `UNAUTHENTICATED`. Every URL is checked against the target policy
//! ([`crate::targets`]) before it is stored.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use kit::auth::{require_role, Role};
use kit::events::Event;
use kit::ids::{new_id, now_millis, parse_id};
use kit::listing::{self, Bind, Filter, Source};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::{validate, AppError, Db};
use serde_json::json;
use tokio::sync::Notify;

use crate::delivery::{self, Delivery};
use crate::endpoint::{self, Endpoint, Row, COLUMNS};
use crate::settings::Settings;
use crate::{fanout, filters, signing, targets};

/// The longest overlap a rotation may keep the old secret for.
pub const MAX_OVERLAP_HOURS: i32 = 168;
pub const PING_EVENT: &str = "webhook.ping";

/// Wakes the delivery worker (new deliveries to send).
#[derive(Clone)]
pub struct Wake(pub Arc<Notify>);

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// http(s) URL on a public address.
    pub url: String,
    /// `order.paid`, `order.*` or `*`.
    pub event_types: Vec<String>,
    pub description: Option<String>,
    #[graphql(default = true)]
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// null clears it.
    pub description: MaybeUndefined<String>,
    /// Enabling again clears the failure streak and the disabled reason.
    pub enabled: Option<bool>,
}

/// An endpoint with its signing secret, shown only by create and rotate.
#[derive(SimpleObject)]
pub struct WebhookEndpointSecret {
    pub endpoint: Endpoint,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks). Not shown again.
    pub secret: String,
}

#[derive(Default)]
pub struct EndpointQuery;

#[Object]
impl EndpointQuery {
    /// Webhook endpoints, newest first. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        enabled: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Connection<Cursor, Endpoint, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let mut filter = Filter::default();
        if let Some(enabled) = enabled {
            filter.and("enabled = ?", Bind::Int(enabled as i64));
        }
        let want_total = ctx.look_ahead().field("totalCount").exists();
        Ok(listing::page::<Row, Endpoint>(
            &service(ctx).db,
            Source {
                table: "webhook_endpoints",
                columns: COLUMNS,
            },
            &filter,
            &window,
            want_total,
            Endpoint::from_row,
            |e| e.id.clone(),
        )
        .await?)
    }

    /// An endpoint by id; null when unknown. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Endpoint>> {
        require_role(ctx, Role::Staff)?;
        let id = parse_id("id", &id)?;
        Ok(endpoint::by_id(&service(ctx).db, &id).await?)
    }
}

#[derive(Default)]
pub struct EndpointMutation;

#[Object]
impl EndpointMutation {
    /// Registers an endpoint; returns it with its signing secret (shown only this once).
    /// Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> Result<WebhookEndpointSecret> {
        let caller = require_role(ctx, Role::Admin)?;
        let settings = ctx.data_unchecked::<Settings>();
        let target =
            targets::check_registration("input.url", &input.url, settings.policy()).await?;
        let event_types = filters::parse("input.eventTypes", &input.event_types)?;
        let description =
            validate::optional("input.description", input.description.as_deref(), 500)?;
        let secret = signing::new_secret()?;
        let id = new_id();
        let db = &service(ctx).db;
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, url, description, event_types, enabled, secret, \
               created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&id)
        .bind(target.url.as_str())
        .bind(description)
        .bind(serde_json::Value::from(event_types).to_string())
        .bind(input.enabled as i64)
        .bind(&secret)
        .bind(&caller.user_id)
        .bind(now_millis())
        .execute(db.pool())
        .await?;
        Ok(WebhookEndpointSecret {
            endpoint: found(db, &id).await?,
            secret,
        })
    }

    /// Changes an endpoint; omitted fields stay. Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateWebhookEndpointInput,
    ) -> Result<Endpoint> {
        require_role(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let settings = ctx.data_unchecked::<Settings>();
        let db = &service(ctx).db;
        let current = found(db, &id).await?;
        let url = match &input.url {
            Some(raw) => targets::check_registration("input.url", raw, settings.policy())
                .await?
                .url
                .to_string(),
            None => current.url.clone(),
        };
        let event_types = match &input.event_types {
            Some(raw) => filters::parse("input.eventTypes", raw)?,
            None => current.event_types.clone(),
        };
        let description = match &input.description {
            MaybeUndefined::Undefined => current.description.clone(),
            MaybeUndefined::Null => None,
            MaybeUndefined::Value(v) => validate::optional("input.description", Some(v), 500)?,
        };
        let now = now_millis();
        let enabled = input.enabled.unwrap_or(current.enabled);
        let (reason, disabled_at, failures, since) = match (current.enabled, enabled) {
            (_, true) if !current.enabled => (None, None, 0, None),
            (true, false) => (
                Some("disabled by an admin".to_string()),
                Some(now),
                current.consecutive_failures,
                current.failing_since,
            ),
            _ => (
                current.disabled_reason.clone(),
                current.disabled_at,
                current.consecutive_failures,
                current.failing_since,
            ),
        };
        sqlx::query(
            "UPDATE webhook_endpoints SET url = $1, event_types = $2, description = $3, \
               enabled = $4, disabled_reason = $5, disabled_at = $6, consecutive_failures = $7, \
               failing_since = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(url)
        .bind(serde_json::Value::from(event_types).to_string())
        .bind(description)
        .bind(enabled as i64)
        .bind(reason)
        .bind(disabled_at)
        .bind(failures)
        .bind(since)
        .bind(now)
        .bind(&id)
        .execute(db.pool())
        .await?;
        if enabled && !current.enabled {
            ctx.data_unchecked::<Wake>().0.notify_one(); // held deliveries resume
        }
        Ok(found(db, &id).await?)
    }

    /// Deletes an endpoint with its deliveries; returns its id. Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn delete_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        require_role(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let db = &service(ctx).db;
        let mut tx = db.begin().await?;
        for sql in [
            "DELETE FROM webhook_attempts WHERE delivery_id IN \
               (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
            "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
        ] {
            sqlx::query(sql).bind(&id).execute(tx.conn()).await?;
        }
        let deleted = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(&id)
            .execute(tx.conn())
            .await?
            .rows_affected();
        if deleted == 0 {
            return Err(AppError::not_found("id: no such webhook endpoint").into());
        }
        tx.commit().await?;
        Ok(ID(id))
    }

    /// A new signing secret, returned this once. For `overlapHours` (default 24, at most 168)
    /// deliveries carry signatures of both the old and the new secret, so receivers can switch
    /// without missing one; 0 drops the old secret at once. Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = 24)] overlap_hours: i32,
    ) -> Result<WebhookEndpointSecret> {
        require_role(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        if !(0..=MAX_OVERLAP_HOURS).contains(&overlap_hours) {
            return Err(AppError::bad_input(
                "overlapHours",
                format!("must be between 0 and {MAX_OVERLAP_HOURS}"),
            )
            .into());
        }
        let db = &service(ctx).db;
        let current = found(db, &id).await?;
        let secret = signing::new_secret()?;
        let now = now_millis();
        let until = (overlap_hours > 0).then(|| now + overlap_hours as i64 * 3_600_000);
        // Only the secret read above is replaced: a concurrent rotation makes this one a CONFLICT.
        let rotated = sqlx::query(
            "UPDATE webhook_endpoints SET secret = $1, previous_secret = $2, \
               previous_secret_until = $3, updated_at = $4 WHERE id = $5 AND secret = $6",
        )
        .bind(&secret)
        .bind(until.map(|_| current.secret.clone()))
        .bind(until)
        .bind(now)
        .bind(&id)
        .bind(&current.secret)
        .execute(db.pool())
        .await?
        .rows_affected();
        if rotated == 0 {
            return Err(
                AppError::conflict("id: the secret was rotated concurrently; try again").into(),
            );
        }
        Ok(WebhookEndpointSecret {
            endpoint: found(db, &id).await?,
            secret,
        })
    }

    /// Sends a `webhook.ping` test event to this endpoint only; returns its delivery (follow
    /// it with `webhookDeliveries`). The endpoint must be enabled. Admin only.
    #[graphql(requires_scopes = "admin")]
    async fn ping_webhook_endpoint(&self, ctx: &Context<'_>, id: ID) -> Result<Delivery> {
        let caller = require_role(ctx, Role::Admin)?;
        let id = parse_id("id", &id)?;
        let svc = service(ctx);
        let endpoint = found(&svc.db, &id).await?;
        if !endpoint.enabled {
            return Err(AppError::conflict("id: the endpoint is disabled; enable it first").into());
        }
        let event: Event = svc.event(
            PING_EVENT,
            Some(id.clone()),
            json!({ "endpointId": id, "requestedBy": caller.user_id, "message": "ping" }),
        );
        let mut tx = svc.db.begin().await?;
        let delivery_id = fanout::enqueue(tx.conn(), &id, &event)
            .await?
            .ok_or_else(|| {
                AppError::internal(anyhow::anyhow!("fresh ping event already queued"))
            })?;
        tx.commit().await?;
        ctx.data_unchecked::<Wake>().0.notify_one();
        Ok(delivery::by_id(&svc.db, &delivery_id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("ping delivery vanished")))?)
    }
}

/// Endpoint `id`, or `NOT_FOUND`.
pub async fn found(db: &Db, id: &str) -> Result<Endpoint, AppError> {
    endpoint::by_id(db, id)
        .await?
        .ok_or_else(|| AppError::not_found("id: no such webhook endpoint"))
}
