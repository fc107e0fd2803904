//! Stripe: card payments as PaymentIntents over Stripe's HTTP API — form-encoded requests with
//! `Authorization: Bearer sk_...` and an `Idempotency-Key`, amounts in minor units, currency in
//! lower case, `capture_method` automatic or manual, `confirm=true` — plus capture, cancel
//! (void), refunds, and webhooks verified by the `Stripe-Signature` header: `t=<unix>,v1=<hex>`
//! (several `v1` allowed), HMAC-SHA256 of `"{t}.{raw body}"` with the endpoint secret, compared
//! in constant time, the timestamp within the tolerance. `payment_intent.succeeded`,
//! `payment_intent.payment_failed` and `charge.refunded` are acted on.

use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::Method;
use ring::hmac;
use serde_json::Value;

use super::http::{self, ApiRequest};
use super::signature::{hmac_matches, unhex};
use super::{
    Change, Charge, NextAction, Outcome, PaymentRef, Provider, ProviderError, RefundOutcome,
    RefundRequest, Reported, Target, WebhookError, WebhookEvent,
};
use crate::settings::{CaptureMode, Secret, Settings};

pub const SIGNATURE_HEADER: &str = "stripe-signature";

pub struct Stripe {
    secret_key: Option<Secret>,
    webhook_secret: Option<Secret>,
    base: String,
    tolerance: Duration,
    client: reqwest::Client,
}

impl Stripe {
    pub fn new(settings: &Settings, client: reqwest::Client) -> Stripe {
        Stripe {
            secret_key: settings.stripe_secret_key.clone(),
            webhook_secret: settings.stripe_webhook_secret.clone(),
            base: settings.stripe_api_base.clone(),
            tolerance: settings.webhook_tolerance,
            client,
        }
    }

    fn key(&self) -> Result<&str, ProviderError> {
        self.secret_key
            .as_ref()
            .map(Secret::expose)
            .ok_or(ProviderError::Unavailable(
                "STRIPE_SECRET_KEY is not set".into(),
            ))
    }

    fn request(&self, method: Method, path: &str) -> Result<ApiRequest, ProviderError> {
        Ok(ApiRequest::new(
            method,
            format!("{}{path}", self.base),
            self.key()?,
        ))
    }

    /// `POST /v1/payment_intents`: create and confirm a PaymentIntent for the card.
    pub fn authorize_request(&self, charge: &Charge<'_>) -> Result<ApiRequest, ProviderError> {
        let card = charge.card;
        let capture = match charge.capture {
            CaptureMode::Automatic => "automatic",
            CaptureMode::Manual => "manual",
        };
        let fields = [
            ("amount", charge.amount.minor.to_string()),
            (
                "currency",
                charge.amount.currency.code().to_ascii_lowercase(),
            ),
            ("capture_method", capture.to_string()),
            ("confirm", "true".into()),
            ("payment_method_types[0]", "card".into()),
            ("payment_method_data[type]", "card".into()),
            ("payment_method_data[card][number]", card.number().into()),
            (
                "payment_method_data[card][exp_month]",
                card.exp_month.to_string(),
            ),
            (
                "payment_method_data[card][exp_year]",
                card.exp_year.to_string(),
            ),
            ("payment_method_data[card][cvc]", card.cvc().into()),
            ("description", format!("Order {}", charge.order_id)),
            ("metadata[payment_id]", charge.payment_id.into()),
            ("metadata[order_id]", charge.order_id.into()),
            ("metadata[reference]", charge.reference.into()),
        ];
        Ok(self
            .request(Method::POST, "/v1/payment_intents")?
            .header("Idempotency-Key", charge.idempotency_key)
            .form(owned(&fields)))
    }

    /// `GET /v1/payment_intents/{id}`: where a PaymentIntent stands (after a redirect step).
    pub fn retrieve_request(&self, intent: &str) -> Result<ApiRequest, ProviderError> {
        self.request(Method::GET, &format!("/v1/payment_intents/{intent}"))
    }

    /// `POST /v1/payment_intents/{id}/capture`.
    pub fn capture_request(&self, payment: &PaymentRef<'_>) -> Result<ApiRequest, ProviderError> {
        let intent = intent_of(payment)?;
        Ok(self
            .request(
                Method::POST,
                &format!("/v1/payment_intents/{intent}/capture"),
            )?
            .header("Idempotency-Key", payment.idempotency_key)
            .form(owned(&[(
                "amount_to_capture",
                payment.amount.minor.to_string(),
            )])))
    }

    /// `POST /v1/payment_intents/{id}/cancel`.
    pub fn cancel_request(&self, payment: &PaymentRef<'_>) -> Result<ApiRequest, ProviderError> {
        let intent = intent_of(payment)?;
        Ok(self
            .request(
                Method::POST,
                &format!("/v1/payment_intents/{intent}/cancel"),
            )?
            .header("Idempotency-Key", payment.idempotency_key)
            .form(owned(&[("cancellation_reason", "abandoned".into())])))
    }

    /// `POST /v1/refunds` for part or all of the PaymentIntent's charge.
    pub fn refund_request(&self, refund: &RefundRequest<'_>) -> Result<ApiRequest, ProviderError> {
        let intent = intent_of(&refund.payment)?;
        let mut fields = vec![
            ("payment_intent", intent.to_string()),
            ("amount", refund.amount.minor.to_string()),
            ("reason", "requested_by_customer".to_string()),
            ("metadata[refund_id]", refund.refund_id.to_string()),
            (
                "metadata[payment_id]",
                refund.payment.payment_id.to_string(),
            ),
        ];
        if let Some(reason) = refund.reason {
            fields.push(("metadata[reason]", reason.to_string()));
        }
        Ok(self
            .request(Method::POST, "/v1/refunds")?
            .header("Idempotency-Key", refund.refund_id)
            .form(owned(&fields)))
    }

    async fn intent_call(&self, request: ApiRequest) -> Result<Outcome, ProviderError> {
        let (status, body) = http::send(&self.client, &request).await?;
        intent_outcome(status, &body)
    }
}

fn owned(fields: &[(&str, String)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn intent_of<'a>(payment: &PaymentRef<'a>) -> Result<&'a str, ProviderError> {
    payment.provider_reference.ok_or(ProviderError::Unsupported(
        "the payment has no Stripe PaymentIntent",
    ))
}

fn text(value: &Value) -> Option<String> {
    value.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// Maps a PaymentIntents response (or a 402 card error) to an outcome.
pub fn intent_outcome(status: u16, body: &Value) -> Result<Outcome, ProviderError> {
    if status == 402 {
        let error = &body["error"];
        return Ok(Outcome::Declined {
            provider_reference: text(&error["payment_intent"]["id"]),
            decline_code: text(&error["decline_code"])
                .or_else(|| text(&error["code"]))
                .unwrap_or_else(|| "card_declined".into()),
            message: text(&error["message"]).unwrap_or_else(|| "the card was declined".into()),
        });
    }
    if !(200..300).contains(&status) {
        return Err(ProviderError::Unavailable(format!(
            "Stripe answered {status}: {}",
            text(&body["error"]["type"]).unwrap_or_default()
        )));
    }
    let id = text(&body["id"])
        .ok_or_else(|| ProviderError::Unavailable("PaymentIntent without id".into()))?;
    Ok(match body["status"].as_str().unwrap_or_default() {
        "succeeded" => Outcome::Captured {
            provider_reference: id,
        },
        "requires_capture" => Outcome::Authorized {
            provider_reference: id,
        },
        "requires_action" | "requires_confirmation" => Outcome::RequiresAction {
            next_action: match text(&body["next_action"]["redirect_to_url"]["url"]) {
                Some(url) => NextAction::Redirect(url),
                None => NextAction::AwaitProvider,
            },
            provider_reference: Some(id),
        },
        "processing" => Outcome::RequiresAction {
            provider_reference: Some(id),
            next_action: NextAction::AwaitProvider,
        },
        other => {
            let error = &body["last_payment_error"];
            Outcome::Declined {
                provider_reference: Some(id),
                decline_code: text(&error["decline_code"])
                    .or_else(|| text(&error["code"]))
                    .unwrap_or_else(|| other.to_string()),
                message: text(&error["message"])
                    .unwrap_or_else(|| format!("the payment is {other}")),
            }
        }
    })
}

/// Checks a `Stripe-Signature` header against `body`.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.extend(unhex(sig)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::BadSignature("no timestamp"))?;
    if signatures.is_empty() {
        return Err(WebhookError::BadSignature("no v1 signature"));
    }
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    if !signatures
        .iter()
        .any(|sig| hmac_matches(hmac::HMAC_SHA256, secret.as_bytes(), &signed, sig))
    {
        return Err(WebhookError::BadSignature("no v1 signature matches"));
    }
    if (now - timestamp).unsigned_abs() > tolerance.as_secs() {
        return Err(WebhookError::Stale);
    }
    Ok(())
}

/// Parses a verified event body.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let id = text(&event["id"]).ok_or(WebhookError::Malformed("no event id".into()))?;
    let event_type = text(&event["type"]).ok_or(WebhookError::Malformed("no type".into()))?;
    let object = &event["data"]["object"];
    let amount = |field: &str| -> Result<Reported, WebhookError> {
        Ok(Reported {
            minor: object[field]
                .as_i64()
                .ok_or_else(|| WebhookError::Malformed(format!("no {field}")))?,
            currency: text(&object["currency"])
                .ok_or(WebhookError::Malformed("no currency".into()))?
                .to_ascii_uppercase(),
        })
    };
    let intent_target = || Target {
        provider_reference: text(&object["id"]),
        references: text(&object["metadata"]["reference"]).into_iter().collect(),
    };
    let change = match event_type.as_str() {
        "payment_intent.succeeded" => Change::Succeeded {
            target: intent_target(),
            amount: amount("amount_received")?,
            provider_reference: text(&object["id"]),
        },
        "payment_intent.payment_failed" => {
            let error = &object["last_payment_error"];
            Change::Failed {
                target: intent_target(),
                decline_code: text(&error["decline_code"])
                    .or_else(|| text(&error["code"]))
                    .unwrap_or_else(|| "payment_failed".into()),
                reason: text(&error["message"]).unwrap_or_else(|| "the payment failed".into()),
            }
        }
        "charge.refunded" => Change::Refunded {
            target: Target {
                provider_reference: text(&object["payment_intent"]),
                references: text(&object["metadata"]["reference"]).into_iter().collect(),
            },
            amount: amount("amount_refunded")?,
            cumulative: true,
            provider_reference: text(&object["id"]),
        },
        _ => Change::Ignored,
    };
    Ok(WebhookEvent {
        id,
        event_type,
        change,
    })
}

#[async_trait::async_trait]
impl Provider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn authorize(&self, charge: &Charge<'_>) -> Result<Outcome, ProviderError> {
        self.intent_call(self.authorize_request(charge)?).await
    }

    async fn confirm(
        &self,
        payment: &PaymentRef<'_>,
        _code: &str,
    ) -> Result<Outcome, ProviderError> {
        // The shopper confirms on Stripe's page; ask where the intent stands now.
        self.intent_call(self.retrieve_request(intent_of(payment)?)?)
            .await
    }

    async fn capture(&self, payment: &PaymentRef<'_>) -> Result<Outcome, ProviderError> {
        self.intent_call(self.capture_request(payment)?).await
    }

    async fn void(&self, payment: &PaymentRef<'_>) -> Result<(), ProviderError> {
        if payment.provider_reference.is_none() {
            return Ok(()); // never reached Stripe
        }
        let (status, body) = http::send(&self.client, &self.cancel_request(payment)?).await?;
        // Already canceled counts as done.
        if (200..300).contains(&status)
            || body["error"]["payment_intent"]["status"].as_str() == Some("canceled")
        {
            Ok(())
        } else {
            Err(ProviderError::Unavailable(format!(
                "Stripe cancel answered {status}"
            )))
        }
    }

    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError> {
        let (status, body) = http::send(&self.client, &self.refund_request(refund)?).await?;
        if !(200..300).contains(&status) {
            if (400..500).contains(&status) {
                return Ok(RefundOutcome::Failed {
                    message: text(&body["error"]["message"])
                        .unwrap_or_else(|| format!("Stripe refused the refund ({status})")),
                });
            }
            return Err(ProviderError::Unavailable(format!(
                "Stripe refund answered {status}"
            )));
        }
        Ok(match body["status"].as_str().unwrap_or_default() {
            "failed" | "canceled" => RefundOutcome::Failed {
                message: text(&body["failure_reason"])
                    .unwrap_or_else(|| "the refund failed".into()),
            },
            // pending / requires_action finish on Stripe's side (charge.refunded follows).
            _ => RefundOutcome::Succeeded {
                provider_reference: text(&body["id"]),
            },
        })
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        let secret = self
            .webhook_secret
            .as_ref()
            .ok_or(WebhookError::NotConfigured)?;
        let header = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::BadSignature("no Stripe-Signature header"))?;
        verify_signature(header, body, secret.expose(), now, self.tolerance)?;
        parse_event(body)
    }
}
