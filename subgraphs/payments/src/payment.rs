//! `Payment`: one order's payment as stored and as the API shows it — amount, status, what was
//! captured, refunded and received, the card's brand and last four digits, the next action a
//! REQUIRES_ACTION payment waits for — with its loaders (by id, by order).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use kit::db::placeholders;
use kit::ids::from_millis;
use kit::money::{Money, MoneyObject};
use kit::schema::service;
use kit::{AppError, Db};

use crate::attempts::{self, PaymentAttempt};
use crate::card::CardSummary;
use crate::providers::{NextAction, PaymentRef};
use crate::refund::{self, Refund};
use crate::settings::CaptureMode;
use crate::status::PaymentStatus;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    id: String,
    order_id: String,
    customer_id: Option<String>,
    email: String,
    order_token_hash: Option<String>,
    amount: i64,
    currency: String,
    status: String,
    provider: Option<String>,
    provider_reference: Option<String>,
    reference: String,
    captured: i64,
    refunded: i64,
    refund_pending: i64,
    received: i64,
    card_brand: Option<String>,
    card_last4: Option<String>,
    card_exp_month: Option<i64>,
    card_exp_year: Option<i64>,
    decline_code: Option<String>,
    failure_reason: Option<String>,
    next_action: Option<String>,
    processing_attempt: Option<String>,
    created_at: i64,
    updated_at: i64,
}

pub const COLUMNS: &str = "id, order_id, customer_id, email, order_token_hash, amount, currency, \
    status, provider, provider_reference, reference, captured, refunded, refund_pending, \
    received, card_brand, card_last4, card_exp_month, card_exp_year, decline_code, \
    failure_reason, next_action, processing_attempt, created_at, updated_at";

#[derive(Debug, Clone)]
pub struct Payment {
    pub id: String,
    pub order_id: String,
    pub customer_id: Option<String>,
    pub email: String,
    pub order_token_hash: Option<String>,
    pub amount: Money,
    pub status: PaymentStatus,
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub reference: String,
    pub captured: i64,
    pub refunded: i64,
    pub refund_pending: i64,
    pub received: i64,
    pub card: Option<CardSummary>,
    pub decline_code: Option<String>,
    pub failure_reason: Option<String>,
    pub next_action: Option<NextAction>,
    pub processing_attempt: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Payment {
    pub fn from_row(r: Row) -> Result<Payment, AppError> {
        let status = PaymentStatus::parse(&r.status)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown status {}", r.status)))?;
        let card = match (r.card_brand, r.card_last4) {
            (Some(brand), Some(last4)) => Some(CardSummary {
                brand,
                last4,
                exp_month: r.card_exp_month.unwrap_or_default() as i32,
                exp_year: r.card_exp_year.unwrap_or_default() as i32,
            }),
            _ => None,
        };
        Ok(Payment {
            id: r.id,
            order_id: r.order_id,
            customer_id: r.customer_id,
            email: r.email,
            order_token_hash: r.order_token_hash,
            amount: Money::from_stored(r.amount, &r.currency)?,
            status,
            provider: r.provider,
            provider_reference: r.provider_reference,
            reference: r.reference,
            captured: r.captured,
            refunded: r.refunded,
            refund_pending: r.refund_pending,
            received: r.received,
            card,
            decline_code: r.decline_code,
            failure_reason: r.failure_reason,
            next_action: r.next_action.as_deref().and_then(decode_next_action),
            processing_attempt: r.processing_attempt,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.amount.currency)
    }

    /// The payment as its provider knows it; `key` makes the provider call idempotent.
    pub fn provider_ref<'a>(&'a self, capture: CaptureMode, key: &'a str) -> PaymentRef<'a> {
        PaymentRef {
            payment_id: &self.id,
            reference: &self.reference,
            provider_reference: self.provider_reference.as_deref(),
            amount: self.amount,
            capture,
            idempotency_key: key,
        }
    }

    /// What may still be refunded (pending refunds count as spent).
    pub fn refundable(&self) -> i64 {
        (self.captured - self.refunded - self.refund_pending).max(0)
    }
}

/// `next_action` as stored.
pub fn encode_next_action(action: &NextAction) -> String {
    match action {
        NextAction::ConfirmationCode => "CONFIRMATION_CODE".into(),
        NextAction::BankTransfer => "BANK_TRANSFER".into(),
        NextAction::AwaitProvider => "AWAIT_PROVIDER".into(),
        NextAction::Redirect(url) => format!("REDIRECT {url}"),
    }
}

fn decode_next_action(raw: &str) -> Option<NextAction> {
    match raw {
        "CONFIRMATION_CODE" => Some(NextAction::ConfirmationCode),
        "BANK_TRANSFER" => Some(NextAction::BankTransfer),
        "AWAIT_PROVIDER" => Some(NextAction::AwaitProvider),
        other => other
            .strip_prefix("REDIRECT ")
            .map(|url| NextAction::Redirect(url.to_string())),
    }
}

async fn one(db: &Db, clause: &str, value: &str) -> Result<Option<Payment>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE {clause} ORDER BY id DESC LIMIT 1");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(value)
        .fetch_optional(db.pool())
        .await?;
    row.map(Payment::from_row).transpose()
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<Payment>, AppError> {
    one(db, "id = $1", id).await
}

pub async fn by_key(db: &Db, key: &str) -> Result<Option<Payment>, AppError> {
    one(db, "idempotency_key = $1", key).await
}

/// The order's live payment, else its latest one.
pub async fn for_order(db: &Db, order_id: &str) -> Result<Option<Payment>, AppError> {
    match one(db, "live_order_id = $1", order_id).await? {
        Some(live) => Ok(Some(live)),
        None => one(db, "order_id = $1", order_id).await,
    }
}

/// Every payment of the order, oldest first.
pub async fn all_for_order(db: &Db, order_id: &str) -> Result<Vec<Payment>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY id");
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(order_id)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter().map(Payment::from_row).collect()
}

/// The payment inside a transaction (after a change, for the event it emits).
pub async fn in_tx(tx: &mut kit::Tx, id: &str) -> Result<Payment, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE id = $1");
    let row: Row = sqlx::query_as(&sql).bind(id).fetch_one(tx.conn()).await?;
    Payment::from_row(row)
}

/// Batches `Order.payments`: one query for every order in the response.
pub struct PaymentsByOrder {
    pub db: Db,
}

impl Loader<String> for PaymentsByOrder {
    type Value = Vec<Payment>;
    type Error = AppError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Vec<Payment>>, AppError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM payments WHERE order_id IN ({}) ORDER BY id",
            placeholders(1, keys.len())
        );
        let mut query = sqlx::query_as::<_, Row>(&sql);
        for key in keys {
            query = query.bind(key);
        }
        let mut out: HashMap<String, Vec<Payment>> = HashMap::new();
        for row in query.fetch_all(self.db.pool()).await? {
            let payment = Payment::from_row(row)?;
            out.entry(payment.order_id.clone())
                .or_default()
                .push(payment);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum NextActionType {
    /// Enter the code sent to the shopper with `confirmPayment`.
    ConfirmationCode,
    /// Finish on the provider's page at `redirectUrl`.
    Redirect,
    /// Transfer `amount` with `reference` in the transfer's description.
    BankTransfer,
    /// Nothing to do; the provider reports the result.
    AwaitProvider,
}

/// What a REQUIRES_ACTION payment waits for.
#[derive(Debug, Clone, SimpleObject)]
pub struct PaymentNextAction {
    #[graphql(name = "type")]
    pub kind: NextActionType,
    pub redirect_url: Option<String>,
    /// The code to quote (bank transfers).
    pub reference: Option<String>,
    /// What is still to be paid.
    pub amount: MoneyObject,
}

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    async fn order_id(&self) -> ID {
        ID(self.order_id.clone())
    }
    async fn customer_id(&self) -> Option<ID> {
        self.customer_id.clone().map(ID)
    }
    async fn status(&self) -> PaymentStatus {
        self.status
    }
    async fn amount(&self) -> MoneyObject {
        self.amount.into()
    }
    async fn captured_amount(&self) -> MoneyObject {
        self.money(self.captured).into()
    }
    /// Refunds that went through (pending ones are not included).
    async fn refunded_amount(&self) -> MoneyObject {
        self.money(self.refunded).into()
    }
    /// What may still be refunded.
    async fn refundable_amount(&self) -> MoneyObject {
        self.money(self.refundable()).into()
    }
    /// The total of bank transfers matched to this payment (partial and over payments too).
    async fn received_amount(&self) -> MoneyObject {
        self.money(self.received).into()
    }
    /// test, stripe, paystack, flutterwave or sepay; null until a payment method was used.
    async fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }
    /// The provider's id of this payment (e.g. a Stripe PaymentIntent id).
    async fn provider_reference(&self) -> Option<&str> {
        self.provider_reference.as_deref()
    }
    /// This payment's reference code, to quote in a bank transfer.
    async fn reference(&self) -> &str {
        &self.reference
    }
    /// The card used: brand, last four digits and expiry only.
    async fn card(&self) -> Option<&CardSummary> {
        self.card.as_ref()
    }
    /// Why the provider declined the payment (e.g. `card_declined`, `insufficient_funds`).
    async fn decline_code(&self) -> Option<&str> {
        self.decline_code.as_deref()
    }
    async fn failure_reason(&self) -> Option<&str> {
        self.failure_reason.as_deref()
    }
    /// Set while the status is REQUIRES_ACTION.
    async fn next_action(&self) -> Option<PaymentNextAction> {
        if self.status != PaymentStatus::RequiresAction {
            return None;
        }
        let action = self.next_action.as_ref()?;
        let (kind, redirect_url) = match action {
            NextAction::ConfirmationCode => (NextActionType::ConfirmationCode, None),
            NextAction::Redirect(url) => (NextActionType::Redirect, Some(url.clone())),
            NextAction::BankTransfer => (NextActionType::BankTransfer, None),
            NextAction::AwaitProvider => (NextActionType::AwaitProvider, None),
        };
        Some(PaymentNextAction {
            kind,
            redirect_url,
            reference: (kind == NextActionType::BankTransfer).then(|| self.reference.clone()),
            amount: self
                .money((self.amount.minor - self.received).max(0))
                .into(),
        })
    }
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<Refund>> {
        Ok(refund::for_payment(&service(ctx).db, &self.id).await?)
    }
    /// Every attempt at this payment, oldest first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<PaymentAttempt>> {
        Ok(attempts::for_payment(&service(ctx).db, &self.id).await?)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        from_millis(self.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        from_millis(self.updated_at)
    }
}
