//! `POST /webhooks/carrier`: carrier tracking updates (format in [`crate::carrier_update`]).
//! The signature (see [`crate::signature`]) is checked on the raw body before anything is
//! parsed: a missing, malformed, stale or wrong signature is a 400 and changes nothing. Then,
//! in one transaction, the update's `eventId` is recorded (a replay or duplicate finds it and
//! has no further effect) and the update is applied through [`crate::transitions`]; one the
//! status table does not allow, or older than an update already applied, is acknowledged and
//! ignored, so carriers do not retry it. Answers `200 {"outcome": APPLIED | SCANNED | IGNORED |
//! DUPLICATE, "shipmentId", "status"}`; errors in the platform's shape with the field at fault.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kit::error::Code;
use kit::ids::now_millis;
use kit::{AppError, Service};
use serde_json::json;

use crate::carrier_update::CarrierUpdate;
use crate::settings::Settings;
use crate::signature;
use crate::status::TrackingSource;
use crate::transitions::{self, Change, Outcome};

/// Largest accepted webhook body.
const MAX_BODY: usize = 64 * 1024;

#[derive(Clone)]
pub struct WebhookState {
    pub svc: Service,
    pub settings: Arc<Settings>,
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn error(status: StatusCode, code: Code, field: Option<&str>, message: &str) -> Response {
    let mut extensions = json!({ "code": code.as_str() });
    if let Some(field) = field {
        extensions["field"] = field.into();
    }
    json_response(
        status,
        json!({ "errors": [{ "message": message, "extensions": extensions }] }),
    )
}

fn app_error(err: AppError) -> Response {
    let status = match err.code() {
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Conflict => StatusCode::CONFLICT,
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let field = match &err {
        AppError::BadInput { field, .. } => Some(field.clone()),
        _ => None,
    };
    if let AppError::Internal(source) = &err {
        tracing::error!(error = ?source, "carrier webhook: internal error");
    }
    error(status, err.code(), field.as_deref(), &err.message())
}

pub async fn carrier(
    State(state): State<WebhookState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Ok(raw) = axum::body::to_bytes(body, MAX_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::BadUserInput,
            Some("body"),
            &format!("body: must be at most {MAX_BODY} bytes"),
        );
    };
    let settings = &state.settings;
    let tolerance = settings.webhook_tolerance.as_secs() as i64;
    let now = now_millis();
    if let Err(why) = signature::verify(
        settings.webhook_secret.as_bytes(),
        tolerance,
        &headers,
        &raw,
        now / 1000,
    ) {
        tracing::warn!(reason = ?why, "carrier webhook: signature refused");
        return error(
            StatusCode::BAD_REQUEST,
            Code::Unauthenticated,
            Some(why.field()),
            &format!("{}: {}", why.field(), why.message()),
        );
    }
    match handle(&state.svc, &raw, now + tolerance * 1000).await {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(err) => app_error(err),
    }
}

async fn handle(svc: &Service, raw: &[u8], latest_ms: i64) -> Result<serde_json::Value, AppError> {
    let update = CarrierUpdate::parse(raw, latest_ms)?;
    let shipment: Option<String> =
        sqlx::query_scalar("SELECT id FROM shipments WHERE tracking_number = $1")
            .bind(&update.tracking_number)
            .fetch_optional(svc.db.pool())
            .await?;
    let Some(shipment) = shipment else {
        return Err(AppError::not_found(
            "trackingNumber: no shipment has this tracking number",
        ));
    };
    let mut tx = svc.db.begin().await?;
    let first = sqlx::query(
        "INSERT INTO carrier_events (event_id, shipment_id, outcome, received_at) \
         VALUES ($1, $2, 'RECEIVED', $3) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&update.event_id)
    .bind(&shipment)
    .bind(now_millis())
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    if !first {
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM shipments WHERE id = $1")
                .bind(&shipment)
                .fetch_optional(tx.conn())
                .await?;
        return Ok(json!({ "outcome": "DUPLICATE", "shipmentId": shipment, "status": status }));
    }
    let change = Change {
        to: update.status,
        by: TrackingSource::Carrier,
        occurred_at: update.occurred_at,
        location: update.location.as_deref(),
        description: update.description.as_deref(),
        carrier: None,
        tracking_number: None,
    };
    let (outcome, after) = match transitions::apply(svc, &mut tx, &shipment, &change).await? {
        Outcome::Changed(s) => ("APPLIED", s),
        Outcome::Scanned(s) => ("SCANNED", s),
        Outcome::Illegal(s) | Outcome::Stale(s) => {
            tracing::info!(shipment = %s.id, from = s.status.as_str(), to = update.status.as_str(), event = %update.event_id, "carrier update ignored");
            ("IGNORED", s)
        }
    };
    sqlx::query("UPDATE carrier_events SET outcome = $1 WHERE event_id = $2")
        .bind(outcome)
        .bind(&update.event_id)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(json!({ "outcome": outcome, "shipmentId": after.id, "status": after.status.as_str() }))
}
