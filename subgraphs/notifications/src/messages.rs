//! Which messages an event calls for, to whom, with what facts: the one place that reads the
//! payloads other subgraphs publish (accounts' `user.*`, orders' `order.*`, payments'
//! `payment.failed`, inventory's `inventory.low`, livestream's `livestream.*`, webhooks'
//! `webhook.endpoint_disabled`). Payloads are
//! read defensively: a missing field leaves a blank in the message, a missing recipient
//! means no message, never a failed event.

use kit::events::Event;
use kit::{AppError, Tx};
use serde_json::{json, Map, Value};

use crate::kinds::Kind;
use crate::recipients;
use crate::reminders;
use crate::settings::Settings;

/// One message to one person: by email, in the app (with a user id), or both.
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: Kind,
    pub user_id: Option<String>,
    pub email: Option<String>,
    /// The template's facts (always with `link`).
    pub context: Value,
}

/// Every event type notifications reacts to.
pub const EVENT_TYPES: &[&str] = &[
    "user.registered",
    "user.updated",
    "user.verification_requested",
    "user.password_reset_requested",
    "user.password_changed",
    "order.created",
    "order.paid",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
    "order.partially_refunded",
    "payment.failed",
    "livestream.starting",
    "livestream.started",
    "inventory.low",
    "webhook.endpoint_disabled",
];

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn amount(v: &Value) -> Option<String> {
    text(&v["amount"]).or_else(|| text(v))
}

/// Updates the read models the event feeds, then returns the messages it calls for.
pub async fn plan(
    tx: &mut Tx,
    settings: &Settings,
    event: &Event,
) -> Result<Vec<Message>, AppError> {
    let d = &event.data;
    let base = &settings.public_url;
    let mut ctx = Map::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            ctx.insert(k.to_string(), Value::String(v));
        }
    };
    let kind = match event.event_type.as_str() {
        "user.registered" | "user.updated" => {
            recipients::record_user(tx, event).await?;
            if event.event_type == "user.updated" {
                return Ok(Vec::new());
            }
            // Operator-made accounts (admin, service account, demo data) come verified and
            // without a link: nothing to send.
            if text(&d["verificationUrl"]).is_none() {
                return Ok(Vec::new());
            }
            put("link", text(&d["verificationUrl"]));
            put("expires", text(&d["verificationExpiresAt"]));
            Kind::Welcome
        }
        "user.verification_requested" => {
            put("link", text(&d["verificationUrl"]));
            put("expires", text(&d["verificationExpiresAt"]));
            Kind::VerifyEmail
        }
        "user.password_reset_requested" => {
            put("link", text(&d["resetUrl"]));
            put("expires", text(&d["resetExpiresAt"]));
            Kind::PasswordReset
        }
        "user.password_changed" => {
            put("link", Some(format!("{base}/forgot-password")));
            Kind::PasswordChanged
        }
        "payment.failed" => {
            let Some(order_id) = text(&d["orderId"]) else {
                return Ok(Vec::new());
            };
            let Some(contact) = recipients::order(tx, &order_id).await? else {
                tracing::info!(event = %event.id, %order_id, "payment.failed for an order never seen; no message");
                return Ok(Vec::new());
            };
            put(
                "orderNumber",
                contact.number.clone().or(Some(order_id.clone())),
            );
            put("total", amount(&d["amount"]));
            put("currency", text(&d["amount"]["currencyCode"]));
            put(
                "reason",
                text(&d["reason"]).or_else(|| text(&d["declineCode"])),
            );
            put("link", Some(format!("{base}/orders/{order_id}")));
            return Ok(vec![Message {
                kind: Kind::PaymentFailed,
                user_id: contact.customer_id,
                email: contact.email,
                context: Value::Object(ctx),
            }]);
        }
        "livestream.starting" | "livestream.started" => {
            let stream = text(&d["streamId"])
                .or_else(|| text(&d["livestreamId"]))
                .or_else(|| text(&d["id"]))
                .or_else(|| event.subject.clone());
            let Some(stream) = stream else {
                return Ok(Vec::new());
            };
            put("title", text(&d["title"]).or(Some("A livestream".into())));
            put(
                "startsAt",
                text(&d["startsAt"]).or_else(|| text(&d["scheduledAt"])),
            );
            put("link", Some(format!("{base}/live/{stream}")));
            let context = Value::Object(ctx);
            // Reminders are used up: `starting` and then `started` remind once.
            let users = reminders::take(tx, &stream).await?;
            let mut out = Vec::with_capacity(users.len());
            for user_id in users {
                let who = recipients::user(tx, &user_id).await?;
                let mut context = context.clone();
                context["name"] = json!(who.as_ref().and_then(|w| w.name.clone()));
                out.push(Message {
                    kind: Kind::LivestreamStarting,
                    email: who.and_then(|w| w.email),
                    user_id: Some(user_id),
                    context,
                });
            }
            return Ok(out);
        }
        "inventory.low" => {
            put("variantId", text(&d["variantId"]));
            put("sku", text(&d["sku"]));
            put("warehouseId", text(&d["warehouseId"]));
            put("available", text(&d["available"]));
            put("threshold", text(&d["threshold"]));
            put(
                "link",
                Some(format!(
                    "{base}/admin/stock/{}",
                    text(&d["variantId"]).unwrap_or_default()
                )),
            );
            let context = Value::Object(ctx);
            let mut out: Vec<Message> = recipients::staff(tx)
                .await?
                .into_iter()
                .map(|r| {
                    let mut context = context.clone();
                    context["name"] = json!(r.name);
                    Message {
                        kind: Kind::StockLow,
                        user_id: Some(r.user_id),
                        email: r.email,
                        context,
                    }
                })
                .collect();
            for email in &settings.staff_emails {
                if !out.iter().any(|m| m.email.as_deref() == Some(email)) {
                    out.push(Message {
                        kind: Kind::StockLow,
                        user_id: None,
                        email: Some(email.clone()),
                        context: context.clone(),
                    });
                }
            }
            return Ok(out);
        }
        "webhook.endpoint_disabled" => {
            for k in ["url", "reason", "consecutiveFailures", "failingSince"] {
                put(k, text(&d[k]));
            }
            put(
                "link",
                Some(format!(
                    "{base}/admin/webhooks/{}",
                    text(&d["endpointId"]).unwrap_or_default()
                )),
            );
            let context = Value::Object(ctx);
            // The admin who registered the endpoint; staff when that admin is unknown here.
            let owner = match text(&d["ownerId"]) {
                Some(id) => recipients::user(tx, &id).await?,
                None => None,
            };
            let to = match owner {
                Some(o) => vec![o],
                None => recipients::staff(tx).await?,
            };
            return Ok(to
                .into_iter()
                .map(|r| {
                    let mut context = context.clone();
                    context["name"] = json!(r.name);
                    Message {
                        kind: Kind::WebhookDisabled,
                        user_id: Some(r.user_id),
                        email: r.email,
                        context,
                    }
                })
                .collect());
        }
        order_event if order_event.starts_with("order.") => {
            if order_event == "order.created" {
                recipients::record_order(tx, event).await?;
            }
            let order_id = text(&d["orderId"])
                .or_else(|| event.subject.clone())
                .unwrap_or_default();
            put("orderNumber", text(&d["number"]).or(Some(order_id.clone())));
            put("total", amount(&d["total"]));
            put(
                "currency",
                text(&d["total"]["currencyCode"]).or_else(|| text(&d["currencyCode"])),
            );
            put("reason", text(&d["reason"]));
            put("carrier", text(&d["carrier"]));
            put("trackingNumber", text(&d["trackingNumber"]));
            put("refunded", amount(&d["refundedTotal"]));
            put("link", Some(format!("{base}/orders/{order_id}")));
            let lines: Vec<Value> = d["lines"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .map(|l| {
                            json!({
                                "title": text(&l["title"]).unwrap_or_default(),
                                "sku": text(&l["sku"]).unwrap_or_default(),
                                "quantity": l["quantity"].as_i64().unwrap_or(1),
                                "total": amount(&l["lineTotal"]).unwrap_or_default(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            ctx.insert("lines".into(), Value::Array(lines));
            let kind = match order_event {
                "order.created" => Kind::OrderPlaced,
                "order.paid" => Kind::OrderPaid,
                "order.shipped" => Kind::OrderShipped,
                "order.delivered" => Kind::OrderDelivered,
                "order.cancelled" => Kind::OrderCancelled,
                "order.refunded" | "order.partially_refunded" => Kind::OrderRefunded,
                _ => return Ok(Vec::new()),
            };
            let user_id = text(&d["customerId"]);
            let mut email = text(&d["email"]).map(|e| e.to_lowercase());
            let mut name = None;
            if let Some(user) = &user_id {
                if let Some(r) = recipients::user(tx, user).await? {
                    email = email.or(r.email);
                    name = r.name;
                }
            }
            ctx.insert("name".into(), json!(name));
            return Ok(vec![Message {
                kind,
                user_id,
                email,
                context: Value::Object(ctx),
            }]);
        }
        _ => return Ok(Vec::new()),
    };
    // The user.* messages: to the address the event names.
    put("email", text(&d["email"]).map(|e| e.to_lowercase()));
    put("name", text(&d["name"]));
    let user_id = text(&d["userId"]).or_else(|| event.subject.clone());
    if !ctx.contains_key("name") {
        if let Some(user) = &user_id {
            let name = recipients::user(tx, user).await?.and_then(|r| r.name);
            ctx.insert("name".into(), json!(name.unwrap_or_else(|| "there".into())));
        }
    }
    let email = text(&d["email"]).map(|e| e.to_lowercase());
    Ok(vec![Message {
        kind,
        user_id,
        email,
        context: Value::Object(ctx),
    }])
}
