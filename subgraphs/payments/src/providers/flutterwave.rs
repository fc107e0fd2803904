//! Flutterwave: hosted checkout. `authorize` creates a payment link (`POST /payments` with our
//! reference as `tx_ref`, the amount in major units as Flutterwave expects) and sends the
//! shopper there; `confirm` verifies by reference (`GET
//! /transactions/verify_by_reference?tx_ref=`); refunds go to `POST /transactions/{id}/refund`.
//! Webhooks are verified by the `verif-hash` header, which must equal the configured secret hash
//! (constant-time compare); `charge.completed` with `data.status == "successful"` succeeds the
//! payment once its amount and currency match it (checked where payments are moved).

use axum::http::HeaderMap;
use kit::money::{Currency, Money};
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{self, ApiRequest};
use super::signature::secrets_equal;
use super::{
    Change, Charge, NextAction, Outcome, PaymentRef, Provider, ProviderError, RefundOutcome,
    RefundRequest, Reported, Target, WebhookError, WebhookEvent,
};
use crate::settings::{Secret, Settings};

pub const SIGNATURE_HEADER: &str = "verif-hash";

pub struct Flutterwave {
    secret_key: Option<Secret>,
    secret_hash: Option<Secret>,
    base: String,
    return_url: String,
    client: reqwest::Client,
}

impl Flutterwave {
    pub fn new(settings: &Settings, client: reqwest::Client) -> Flutterwave {
        Flutterwave {
            secret_key: settings.flutterwave_secret_key.clone(),
            secret_hash: settings.flutterwave_secret_hash.clone(),
            base: settings.flutterwave_api_base.clone(),
            return_url: settings.return_url.clone(),
            client,
        }
    }

    fn request(&self, method: Method, path: &str) -> Result<ApiRequest, ProviderError> {
        let key = self.secret_key.as_ref().ok_or(ProviderError::Unavailable(
            "FLUTTERWAVE_SECRET_KEY is not set".into(),
        ))?;
        Ok(ApiRequest::new(
            method,
            format!("{}{path}", self.base),
            key.expose(),
        ))
    }

    /// `POST /payments`: a hosted payment link for the charge.
    pub fn payment_request(&self, charge: &Charge<'_>) -> Result<ApiRequest, ProviderError> {
        Ok(self.request(Method::POST, "/payments")?.json(json!({
            "tx_ref": charge.reference,
            "amount": charge.amount.amount_string(),
            "currency": charge.amount.currency.code(),
            "redirect_url": self.return_url,
            "customer": { "email": charge.email },
            "meta": { "payment_id": charge.payment_id, "order_id": charge.order_id },
            "customizations": { "title": format!("Order {}", charge.order_id) },
        })))
    }

    /// `GET /transactions/verify_by_reference?tx_ref=...`.
    pub fn verify_request(&self, reference: &str) -> Result<ApiRequest, ProviderError> {
        self.request(
            Method::GET,
            &format!("/transactions/verify_by_reference?tx_ref={reference}"),
        )
    }

    /// `POST /transactions/{id}/refund` for `amount` (major units).
    pub fn refund_request(&self, refund: &RefundRequest<'_>) -> Result<ApiRequest, ProviderError> {
        let transaction = refund
            .payment
            .provider_reference
            .ok_or(ProviderError::Unsupported(
                "the payment has no Flutterwave transaction",
            ))?;
        let mut body = json!({ "amount": refund.amount.amount_string() });
        if let Some(reason) = refund.reason {
            body["comments"] = reason.into();
        }
        Ok(self
            .request(Method::POST, &format!("/transactions/{transaction}/refund"))?
            .json(body))
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A major-unit amount (`7500`, `19.99` or `"19.99"`) in `currency` as minor units.
fn reported(amount: &Value, currency: &Value) -> Result<Reported, WebhookError> {
    let code = text(currency)
        .ok_or(WebhookError::Malformed("no currency".into()))?
        .to_ascii_uppercase();
    let currency = Currency::from_code(&code)
        .ok_or_else(|| WebhookError::Malformed(format!("unknown currency {code}")))?;
    let amount = text(amount).ok_or(WebhookError::Malformed("no amount".into()))?;
    let money = Money::parse("amount", &amount, currency)
        .map_err(|_| WebhookError::Malformed(format!("amount {amount} is not {code} money")))?;
    Ok(Reported {
        minor: money.minor,
        currency: code,
    })
}

/// Maps a verify response to an outcome.
pub fn verify_outcome(status: u16, body: &Value) -> Result<Outcome, ProviderError> {
    if !(200..300).contains(&status) || body["status"] != "success" {
        return Err(ProviderError::Unavailable(format!(
            "Flutterwave verify answered {status}"
        )));
    }
    let data = &body["data"];
    let provider_reference = text(&data["id"]);
    Ok(match data["status"].as_str().unwrap_or_default() {
        "successful" => Outcome::Captured {
            provider_reference: provider_reference.unwrap_or_default(),
        },
        "failed" => Outcome::Declined {
            provider_reference,
            decline_code: "card_declined".into(),
            message: text(&data["processor_response"])
                .unwrap_or_else(|| "the payment failed".into()),
        },
        _ => Outcome::RequiresAction {
            provider_reference,
            next_action: NextAction::AwaitProvider,
        },
    })
}

/// Checks `verif-hash` against the configured secret hash.
pub fn verify_hash(header: &str, secret_hash: &str) -> Result<(), WebhookError> {
    if secrets_equal(header.trim().as_bytes(), secret_hash.as_bytes()) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature("verif-hash does not match"))
    }
}

/// Parses a verified event body.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let event_type = text(&event["event"])
        .or_else(|| text(&event["event.type"]))
        .ok_or(WebhookError::Malformed("no event".into()))?;
    let data = &event["data"];
    let id = text(&data["id"]).ok_or(WebhookError::Malformed("no data.id".into()))?;
    let status = data["status"].as_str().unwrap_or_default().to_string();
    let target = Target {
        provider_reference: None,
        references: text(&data["tx_ref"]).into_iter().collect(),
    };
    let change = match (event_type.as_str(), status.as_str()) {
        ("charge.completed", "successful") => Change::Succeeded {
            target,
            amount: reported(&data["amount"], &data["currency"])?,
            provider_reference: Some(id.clone()),
        },
        ("charge.completed", "failed") => Change::Failed {
            target,
            decline_code: "card_declined".into(),
            reason: text(&data["processor_response"])
                .unwrap_or_else(|| "the payment failed".into()),
        },
        _ => Change::Ignored,
    };
    Ok(WebhookEvent {
        // One transaction reports each status once.
        id: format!("{event_type}:{id}:{status}"),
        event_type,
        change,
    })
}

#[async_trait::async_trait]
impl Provider for Flutterwave {
    fn name(&self) -> &'static str {
        "flutterwave"
    }

    async fn authorize(&self, charge: &Charge<'_>) -> Result<Outcome, ProviderError> {
        let (status, body) = http::send(&self.client, &self.payment_request(charge)?).await?;
        match text(&body["data"]["link"]) {
            Some(url) if (200..300).contains(&status) => Ok(Outcome::RequiresAction {
                provider_reference: None,
                next_action: NextAction::Redirect(url),
            }),
            _ => Err(ProviderError::Unavailable(format!(
                "Flutterwave payments answered {status}"
            ))),
        }
    }

    async fn confirm(
        &self,
        payment: &PaymentRef<'_>,
        _code: &str,
    ) -> Result<Outcome, ProviderError> {
        let (status, body) =
            http::send(&self.client, &self.verify_request(payment.reference)?).await?;
        verify_outcome(status, &body)
    }

    async fn capture(&self, _payment: &PaymentRef<'_>) -> Result<Outcome, ProviderError> {
        Err(ProviderError::Unsupported(
            "Flutterwave captures at once; there is nothing to capture",
        ))
    }

    async fn void(&self, _payment: &PaymentRef<'_>) -> Result<(), ProviderError> {
        // An unpaid payment link simply expires.
        Ok(())
    }

    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError> {
        let (status, body) = http::send(&self.client, &self.refund_request(refund)?).await?;
        if (200..300).contains(&status) && body["status"] == "success" {
            Ok(RefundOutcome::Succeeded {
                provider_reference: text(&body["data"]["id"]),
            })
        } else if (400..500).contains(&status) {
            Ok(RefundOutcome::Failed {
                message: text(&body["message"])
                    .unwrap_or_else(|| "Flutterwave refused the refund".into()),
            })
        } else {
            Err(ProviderError::Unavailable(format!(
                "Flutterwave refund answered {status}"
            )))
        }
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        _now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        let secret = self
            .secret_hash
            .as_ref()
            .ok_or(WebhookError::NotConfigured)?;
        let header = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::BadSignature("no verif-hash header"))?;
        verify_hash(header, secret.expose())?;
        parse_event(body)
    }
}
