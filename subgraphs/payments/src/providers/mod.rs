//! Payment providers behind one trait: authorize (charge a card or start a hosted/bank
//! payment), confirm an extra step, capture, void, refund, and verify + parse a webhook into
//! provider-neutral changes. Implementations, one file each: the embedded [`test`] provider
//! (test cards), [`stripe`] (PaymentIntents), [`paystack`] and [`flutterwave`] (hosted
//! checkout) and [`sepay`] (bank transfers). [`Providers`] holds one of each, built from the
//! settings, and names the one `payOrder` charges through.
//!
//! Adapters that talk HTTP build an [`http::ApiRequest`] first (plain data, tested against
//! recorded payloads) and send it through [`http::send`].

pub mod flutterwave;
pub mod http;
pub mod paystack;
pub mod sepay;
pub mod signature;
pub mod stripe;
pub mod test;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::HeaderMap;
use kit::money::Money;
use kit::AppError;

use crate::card::Card;
use crate::settings::{CaptureMode, Settings};

/// A card charge `payOrder` asks for.
pub struct Charge<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    /// Our reference code for the payment (hosted pages and transfers carry it back).
    pub reference: &'a str,
    pub email: &'a str,
    pub amount: Money,
    pub card: &'a Card,
    pub capture: CaptureMode,
    /// Unique per attempt: the provider sees a retried request as the same charge.
    pub idempotency_key: &'a str,
}

/// An existing payment as a provider knows it.
pub struct PaymentRef<'a> {
    pub payment_id: &'a str,
    pub reference: &'a str,
    pub provider_reference: Option<&'a str>,
    pub amount: Money,
    pub capture: CaptureMode,
    pub idempotency_key: &'a str,
}

/// What the shopper must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextAction {
    /// Enter the code sent to them (`confirmPayment`).
    ConfirmationCode,
    /// Finish on the provider's page.
    Redirect(String),
    /// Transfer the amount with the reference code in the description.
    BankTransfer,
    /// The provider is still working; a webhook will tell.
    AwaitProvider,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Authorized {
        provider_reference: String,
    },
    Captured {
        provider_reference: String,
    },
    RequiresAction {
        provider_reference: Option<String>,
        next_action: NextAction,
    },
    Declined {
        provider_reference: Option<String>,
        decline_code: String,
        message: String,
    },
}

pub struct RefundRequest<'a> {
    pub payment: PaymentRef<'a>,
    pub refund_id: &'a str,
    pub amount: Money,
    pub reason: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded {
        provider_reference: Option<String>,
    },
    /// The provider cannot send money back by API (bank transfers): staff pays it out.
    Manual,
    Failed {
        message: String,
    },
}

#[derive(Debug)]
pub enum ProviderError {
    /// This provider has no such operation (e.g. capture after a hosted payment).
    Unsupported(&'static str),
    /// The provider could not be reached or answered unexpectedly; retrying may help.
    Unavailable(String),
}

impl From<ProviderError> for AppError {
    fn from(err: ProviderError) -> AppError {
        match err {
            ProviderError::Unsupported(what) => AppError::conflict(what),
            ProviderError::Unavailable(detail) => {
                AppError::internal(anyhow::anyhow!("payment provider unavailable: {detail}"))
            }
        }
    }
}

/// How a webhook names the payment it is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// The provider's id of the payment (Stripe's PaymentIntent id).
    pub provider_reference: Option<String>,
    /// Our reference codes (hosted pages' reference, codes found in a transfer's text).
    pub references: Vec<String>,
}

/// An amount a provider reports, in minor units of `currency` (as the provider spells it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub minor: i64,
    pub currency: String,
}

/// A verified webhook's meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Succeeded {
        target: Target,
        amount: Reported,
        provider_reference: Option<String>,
    },
    Failed {
        target: Target,
        decline_code: String,
        reason: String,
    },
    /// Money went back to the payer: one refund of `amount`, or (`cumulative`) the
    /// provider's refunded total so far. Refunds made outside this service are recorded.
    Refunded {
        target: Target,
        amount: Reported,
        cumulative: bool,
        provider_reference: Option<String>,
    },
    /// Money arrived by bank transfer (partial and over payments included).
    Transfer {
        target: Target,
        amount: Reported,
        provider_reference: String,
    },
    /// A verified event this service does not act on.
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// The provider's event id (replays carry the same one).
    pub id: String,
    pub event_type: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// No secret configured for this provider: nothing can be verified.
    NotConfigured,
    BadSignature(&'static str),
    /// Signed too long ago (or in the future): possibly a replay.
    Stale,
    /// Verified but not understood.
    Malformed(String),
}

impl WebhookError {
    pub fn message(&self) -> String {
        match self {
            WebhookError::NotConfigured => "webhooks of this provider are not configured".into(),
            WebhookError::BadSignature(why) => format!("signature verification failed: {why}"),
            WebhookError::Stale => "signature timestamp outside the tolerance".into(),
            WebhookError::Malformed(why) => format!("malformed webhook: {why}"),
        }
    }
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    async fn authorize(&self, charge: &Charge<'_>) -> Result<Outcome, ProviderError>;
    /// Completes a REQUIRES_ACTION payment (`code` is what the shopper entered).
    async fn confirm(&self, payment: &PaymentRef<'_>, code: &str)
        -> Result<Outcome, ProviderError>;
    async fn capture(&self, payment: &PaymentRef<'_>) -> Result<Outcome, ProviderError>;
    async fn void(&self, payment: &PaymentRef<'_>) -> Result<(), ProviderError>;
    async fn refund(&self, refund: &RefundRequest<'_>) -> Result<RefundOutcome, ProviderError>;
    /// Verifies the raw request first and only then parses it. `now` is unix seconds.
    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<WebhookEvent, WebhookError>;
}

/// One instance of every provider, and the one that charges cards.
#[derive(Clone)]
pub struct Providers {
    charging: Arc<dyn Provider>,
    all: BTreeMap<&'static str, Arc<dyn Provider>>,
}

impl Providers {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Providers> {
        let client = http::client(settings.provider_timeout)?;
        let list: Vec<Arc<dyn Provider>> = vec![
            Arc::new(test::TestProvider),
            Arc::new(stripe::Stripe::new(settings, client.clone())),
            Arc::new(paystack::Paystack::new(settings, client.clone())),
            Arc::new(flutterwave::Flutterwave::new(settings, client)),
            Arc::new(sepay::Sepay::new(settings)),
        ];
        let all: BTreeMap<_, _> = list.into_iter().map(|p| (p.name(), p)).collect();
        let charging = all
            .get(settings.provider.as_str())
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("unknown provider {}", settings.provider))?;
        Ok(Providers { charging, all })
    }

    /// The provider `payOrder` uses (`PAYMENT_PROVIDER`).
    pub fn charging(&self) -> &Arc<dyn Provider> {
        &self.charging
    }

    /// The provider named `name` (a payment's provider, a webhook route).
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.all.get(name)
    }
}
