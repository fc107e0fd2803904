//! Sepay: bank transfers into the shop's account. `authorize` asks the shopper to transfer the
//! amount with the payment's reference code in the description; Sepay then posts each
//! transaction on the account as a webhook with `Authorization: Apikey <key>` (compared in
//! constant time). Only incoming (`transferType: "in"`) transfers count; the reference codes
//! found in `content` (or `code`/`description`) name the payment, and `transferAmount` (major
//! units of the account's currency) is added to what it received — partial and over payments
//! are recorded, the payment succeeds once the total covers it. Sepay cannot send money back:
//! refunds are paid out by staff.

use axum::http::HeaderMap;
use kit::money::{Currency, Money};
use serde_json::Value;

use super::signature::secrets_equal;
use super::{
    Change, Charge, NextAction, Outcome, PaymentRef, Provider, ProviderError, RefundOutcome,
    RefundRequest, Reported, Target, WebhookError, WebhookEvent,
};
use crate::reference;
use crate::settings::{Secret, Settings};

pub struct Sepay {
    api_key: Option<Secret>,
    currency: Currency,
}

impl Sepay {
    pub fn new(settings: &Settings) -> Sepay {
        Sepay {
            api_key: settings.sepay_api_key.clone(),
            currency: Currency::from_code(&settings.sepay_currency)
                .expect("settings checked SEPAY_CURRENCY"),
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks `Authorization: Apikey <key>`.
pub fn verify_api_key(header: &str, key: &str) -> Result<(), WebhookError> {
    let presented = header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("apikey"))
        .map(|(_, k)| k.trim())
        .ok_or(WebhookError::BadSignature(
            "Authorization must be `Apikey <key>`",
        ))?;
    if secrets_equal(presented.as_bytes(), key.as_bytes()) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature("API key does not match"))
    }
}

/// Parses a verified transaction body; amounts are in `currency`.
pub fn parse_event(body: &[u8], currency: Currency) -> Result<WebhookEvent, WebhookError> {
    let tx: Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let id = text(&tx["id"]).ok_or(WebhookError::Malformed("no id".into()))?;
    let direction = tx["transferType"].as_str().unwrap_or_default().to_string();
    let change = if direction == "in" {
        let amount = text(&tx["transferAmount"])
            .ok_or(WebhookError::Malformed("no transferAmount".into()))?;
        let money = Money::parse("transferAmount", &amount, currency).map_err(|_| {
            WebhookError::Malformed(format!(
                "transferAmount {amount} is not {} money",
                currency.code()
            ))
        })?;
        let mut references = Vec::new();
        for field in ["content", "code", "description"] {
            for code in reference::find_all(tx[field].as_str().unwrap_or_default()) {
                if !references.contains(&code) {
                    references.push(code);
                }
            }
        }
        Change::Transfer {
            target: Target {
                provider_reference: None,
                references,
            },
            amount: Reported {
                minor: money.minor,
                currency: currency.code().to_string(),
            },
            provider_reference: text(&tx["referenceCode"]).unwrap_or_else(|| id.clone()),
        }
    } else {
        Change::Ignored
    };
    Ok(WebhookEvent {
        id,
        event_type: format!("transfer.{direction}"),
        change,
    })
}

#[async_trait::async_trait]
impl Provider for Sepay {
    fn name(&self) -> &'static str {
        "sepay"
    }

    async fn authorize(&self, _charge: &Charge<'_>) -> Result<Outcome, ProviderError> {
        Ok(Outcome::RequiresAction {
            provider_reference: None,
            next_action: NextAction::BankTransfer,
        })
    }

    async fn confirm(
        &self,
        _payment: &PaymentRef<'_>,
        _code: &str,
    ) -> Result<Outcome, ProviderError> {
        Err(ProviderError::Unsupported(
            "a bank transfer completes when the money arrives",
        ))
    }

    async fn capture(&self, _payment: &PaymentRef<'_>) -> Result<Outcome, ProviderError> {
        Err(ProviderError::Unsupported(
            "a bank transfer is captured when it arrives",
        ))
    }

    async fn void(&self, _payment: &PaymentRef<'_>) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn refund(&self, _refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError> {
        Ok(RefundOutcome::Manual)
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        _now: i64,
    ) -> Result<WebhookEvent, WebhookError> {
        let key = self.api_key.as_ref().ok_or(WebhookError::NotConfigured)?;
        let header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::BadSignature("no Authorization header"))?;
        verify_api_key(header, key.expose())?;
        parse_event(body, self.currency)
    }
}
