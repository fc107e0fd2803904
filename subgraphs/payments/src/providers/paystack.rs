//! Paystack: hosted checkout. `authorize` initializes a transaction (`POST
//! /transaction/initialize` with our reference, amount in minor units) and sends the shopper to
//! its `authorization_url`; `confirm` verifies it (`GET /transaction/verify/{reference}`);
//! refunds go to `POST /refund`. Requests carry `Authorization: Bearer <secret key>` and JSON.
//! Webhooks are verified by `x-paystack-signature`, the hex HMAC-SHA512 of the raw body under
//! the secret key; `charge.success` and `refund.processed` are acted on. Paystack captures at
//! once, so there is nothing to capture or void.

use axum::http::HeaderMap;
use reqwest::Method;
use ring::hmac;
use serde_json::{json, Value};

use super::http::{self, ApiRequest};
use super::signature::{hmac_matches, unhex};
use super::{
    Change, Charge, NextAction, Outcome, PaymentRef, Provider, ProviderError, RefundOutcome,
    RefundRequest, Reported, Target, WebhookError, WebhookEvent,
};
use crate::settings::{Secret, Settings};

pub const SIGNATURE_HEADER: &str = "x-paystack-signature";

pub struct Paystack {
    secret_key: Option<Secret>,
    base: String,
    return_url: String,
    client: reqwest::Client,
}

impl Paystack {
    pub fn new(settings: &Settings, client: reqwest::Client) -> Paystack {
        Paystack {
            secret_key: settings.paystack_secret_key.clone(),
            base: settings.paystack_api_base.clone(),
            return_url: settings.return_url.clone(),
            client,
        }
    }

    fn request(&self, method: Method, path: &str) -> Result<ApiRequest, ProviderError> {
        let key = self.secret_key.as_ref().ok_or(ProviderError::Unavailable(
            "PAYSTACK_SECRET_KEY is not set".into(),
        ))?;
        Ok(ApiRequest::new(
            method,
            format!("{}{path}", self.base),
            key.expose(),
        ))
    }

    /// `POST /transaction/initialize`.
    pub fn initialize_request(&self, charge: &Charge<'_>) -> Result<ApiRequest, ProviderError> {
        Ok(self
            .request(Method::POST, "/transaction/initialize")?
            .json(json!({
                "email": charge.email,
                "amount": charge.amount.minor.to_string(),
                "currency": charge.amount.currency.code(),
                "reference": charge.reference,
                "callback_url": self.return_url,
                "metadata": { "payment_id": charge.payment_id, "order_id": charge.order_id },
            })))
    }

    /// `GET /transaction/verify/{reference}`.
    pub fn verify_request(&self, reference: &str) -> Result<ApiRequest, ProviderError> {
        self.request(Method::GET, &format!("/transaction/verify/{reference}"))
    }

    /// `POST /refund` for `amount` of the transaction.
    pub fn refund_request(&self, refund: &RefundRequest<'_>) -> Result<ApiRequest, ProviderError> {
        let mut body = json!({
            "transaction": refund.payment.reference,
            "amount": refund.amount.minor.to_string(),
            "currency": refund.amount.currency.code(),
        });
        if let Some(reason) = refund.reason {
            body["merchant_note"] = reason.into();
        }
        Ok(self.request(Method::POST, "/refund")?.json(body))
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Maps a verify response to an outcome.
pub fn verify_outcome(status: u16, body: &Value) -> Result<Outcome, ProviderError> {
    if !(200..300).contains(&status) || body["status"] != Value::Bool(true) {
        return Err(ProviderError::Unavailable(format!(
            "Paystack verify answered {status}"
        )));
    }
    let data = &body["data"];
    let provider_reference = text(&data["id"]);
    Ok(match data["status"].as_str().unwrap_or_default() {
        "success" => Outcome::Captured {
            provider_reference: provider_reference.unwrap_or_default(),
        },
        "failed" | "reversed" => Outcome::Declined {
            provider_reference,
            decline_code: "card_declined".into(),
            message: text(&data["gateway_response"]).unwrap_or_else(|| "the payment failed".into()),
        },
        // abandoned / ongoing / pending: the shopper has not finished yet.
        _ => Outcome::RequiresAction {
            provider_reference,
            next_action: NextAction::AwaitProvider,
        },
    })
}

/// Verifies `x-paystack-signature` over the raw body.
pub fn verify_signature(header: &str, body: &[u8], secret: &str) -> Result<(), WebhookError> {
    let tag = unhex(header).ok_or(WebhookError::BadSignature("signature is not hex"))?;
    if hmac_matches(hmac::HMAC_SHA512, secret.as_bytes(), body, &tag) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature("signature does not match"))
    }
}

/// Parses a verified event body.
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let event: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let event_type = text(&event["event"]).ok_or(WebhookError::Malformed("no event".into()))?;
    let data = &event["data"];
    let amount = || -> Result<Reported, WebhookError> {
        Ok(Reported {
            minor: data["amount"]
                .as_i64()
                .or_else(|| data["amount"].as_str().and_then(|a| a.parse().ok()))
                .ok_or(WebhookError::Malformed("no amount".into()))?,
            currency: text(&data["currency"])
                .ok_or(WebhookError::Malformed("no currency".into()))?
                .to_ascii_uppercase(),
        })
    };
    let (id, change) = match event_type.as_str() {
        "charge.success" => {
            let id = text(&data["id"]).ok_or(WebhookError::Malformed("no data.id".into()))?;
            let change = Change::Succeeded {
                target: Target {
                    provider_reference: None,
                    references: text(&data["reference"]).into_iter().collect(),
                },
                amount: amount()?,
                provider_reference: Some(id.clone()),
            };
            (id, change)
        }
        "refund.processed" => {
            let id = text(&data["id"])
                .or_else(|| text(&data["refund_reference"]))
                .ok_or(WebhookError::Malformed("no refund id".into()))?;
            let change = Change::Refunded {
                target: Target {
                    provider_reference: None,
                    references: text(&data["transaction_reference"]).into_iter().collect(),
                },
                amount: amount()?,
                cumulative: false,
                provider_reference: Some(id.clone()),
            };
            (id, change)
        }
        _ => (
            text(&data["id"]).unwrap_or_else(|| signature_free_id(body)),
            Change::Ignored,
        ),
    };
    Ok(WebhookEvent {
        id: format!("{event_type}:{id}"),
        event_type,
        change,
    })
}

/// Paystack events carry no event id: an ignored event is known by a digest of its body.
fn signature_free_id(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    super::signature::hex(&Sha256::digest(body))
}

#[async_trait::async_trait]
impl Provider for Paystack {
    fn name(&self) -> &'static str {
        "paystack"
    }

    async fn authorize(&self, charge: &Charge<'_>) -> Result<Outcome, ProviderError> {
        let (status, body) = http::send(&self.client, &self.initialize_request(charge)?).await?;
        match text(&body["data"]["authorization_url"]) {
            Some(url) if (200..300).contains(&status) => Ok(Outcome::RequiresAction {
                provider_reference: None,
                next_action: NextAction::Redirect(url),
            }),
            _ => Err(ProviderError::Unavailable(format!(
                "Paystack initialize answered {status}"
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
            "Paystack captures at once; there is nothing to capture",
        ))
    }

    async fn void(&self, _payment: &PaymentRef<'_>) -> Result<(), ProviderError> {
        // An unpaid Paystack transaction simply expires.
        Ok(())
    }

    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError> {
        let (status, body) = http::send(&self.client, &self.refund_request(refund)?).await?;
        if (200..300).contains(&status) && body["status"] == Value::Bool(true) {
            Ok(RefundOutcome::Succeeded {
                provider_reference: text(&body["data"]["id"]),
            })
        } else if (400..500).contains(&status) {
            Ok(RefundOutcome::Failed {
                message: text(&body["message"])
                    .unwrap_or_else(|| "Paystack refused the refund".into()),
            })
        } else {
            Err(ProviderError::Unavailable(format!(
                "Paystack refund answered {status}"
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
            .secret_key
            .as_ref()
            .ok_or(WebhookError::NotConfigured)?;
        let header = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::BadSignature("no x-paystack-signature header"))?;
        verify_signature(header, body, secret.expose())?;
        parse_event(body)
    }
}
