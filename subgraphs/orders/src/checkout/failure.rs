//! How a checkout fails: with an ordinary `AppError`, or with PRICE_CHANGED — a `CONFLICT`
//! that also tells the shopper the current total (`extensions.total`), so the client can show
//! it and send it back as `expectedTotal`.

use async_graphql::ErrorExtensions;
use kit::money::{Money, MoneyObject};
use kit::AppError;

#[derive(Debug, Clone)]
pub enum Failure {
    App(AppError),
    /// The total is not what the shopper saw; this is what it is now.
    PriceChanged(Money),
}

impl From<AppError> for Failure {
    fn from(err: AppError) -> Self {
        Failure::App(err)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(err: sqlx::Error) -> Self {
        Failure::App(err.into())
    }
}

impl From<Failure> for async_graphql::Error {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::App(err) => err.into(),
            Failure::PriceChanged(total) => {
                let shown = MoneyObject::from(total);
                async_graphql::Error::new(format!(
                    "input.expectedTotal: the total is now {} {}; confirm the new total to \
                     place the order",
                    shown.amount, shown.currency_code
                ))
                .extend_with(|_, ext| {
                    ext.set("code", "CONFLICT");
                    ext.set("reason", "PRICE_CHANGED");
                    ext.set("field", "input.expectedTotal");
                    let mut money = async_graphql::indexmap::IndexMap::new();
                    money.insert(
                        async_graphql::Name::new("amount"),
                        async_graphql::Value::from(shown.amount.clone()),
                    );
                    money.insert(
                        async_graphql::Name::new("currencyCode"),
                        async_graphql::Value::from(shown.currency_code.clone()),
                    );
                    ext.set("total", async_graphql::Value::Object(money));
                })
            }
        }
    }
}
