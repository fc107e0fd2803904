//! Starting the order's payment in payments (`startPayment`, as the service; the same
//! idempotency key gives the same payment) and cancelling it when the checkout fails after
//! all (`cancelPayment`, a void before capture), per docs/checkout.md.

use kit::money::Money;
use kit::remote::Credentials;
use kit::AppError;
use serde_json::json;

use crate::remotes::{money_input, Remotes};

const START: &str = "mutation($i: StartPaymentInput!) { startPayment(input: $i) { id } }";
const CANCEL: &str = "mutation($o: ID!) { cancelPayment(orderId: $o) { id } }";

/// Starts the payment; returns its id.
pub async fn start(
    remotes: &Remotes,
    order_id: &str,
    amount: Money,
    customer_id: Option<&str>,
    email: &str,
    order_token_hash: Option<&str>,
    key: &str,
) -> Result<String, AppError> {
    let input = json!({
        "orderId": order_id,
        "amount": money_input(amount),
        "customerId": customer_id,
        "email": email,
        "orderTokenHash": order_token_hash,
        "idempotencyKey": key,
    });
    let data = remotes
        .payments
        .call(START, json!({ "i": input }), Credentials::Service)
        .await?;
    data["startPayment"]["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("payments answered no payment id")))
}

pub async fn cancel(remotes: &Remotes, order_id: &str) -> Result<(), AppError> {
    remotes
        .payments
        .call(CANCEL, json!({ "o": order_id }), Credentials::Service)
        .await
        .map(|_| ())
}
