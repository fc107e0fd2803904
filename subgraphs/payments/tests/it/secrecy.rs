//! No card number or CVC is ever stored: after card payments (captured, declined, awaiting
//! confirmation) every value of every column of payments' tables (and its outbox) is searched
//! for the numbers and the CVC used; only the last four digits may appear.

use serde_json::json;

use crate::common::{self, As};

#[tokio::test]
async fn no_card_number_or_cvc_is_stored_anywhere() {
    let env = common::start().await;
    let (user, token) = env.customer().await;
    let numbers = ["4242424242424242", "4000000000000002", "4000002500003155"];
    let cvc = "987";
    for number in numbers {
        let (order, _) = env.order("10.00", Some(&user), None).await;
        let body = env
            .pay(
                As::Bearer(&token),
                &order,
                json!({ "number": number, "expMonth": 11, "expYear": 2032, "cvc": cvc }),
                "k",
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let db = env.app.svc().db.pool();
    let mut searched = 0;
    for table in [
        "payments",
        "payment_attempts",
        "refunds",
        "webhook_events",
        "outbox",
    ] {
        // Every column as text, concatenated per row (portable: CAST and ||).
        let columns: Vec<String> = match env.app.svc().db.backend() {
            kit::db::Backend::Sqlite => {
                sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .fetch_all(db)
                    .await
                    .unwrap()
            }
            kit::db::Backend::Postgres => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_name = $1 AND table_schema = current_schema()",
            )
            .bind(table)
            .fetch_all(db)
            .await
            .unwrap(),
        };
        assert!(!columns.is_empty(), "{table} has columns");
        for column in &columns {
            let values: Vec<Option<String>> =
                sqlx::query_scalar(&format!("SELECT CAST({column} AS TEXT) FROM {table}"))
                    .fetch_all(db)
                    .await
                    .unwrap();
            for value in values.into_iter().flatten() {
                searched += 1;
                for number in numbers {
                    assert!(
                        !value.contains(number),
                        "{table}.{column} stores a card number"
                    );
                    assert!(
                        !value.contains(&number[..12]),
                        "{table}.{column} stores card digits"
                    );
                }
                assert_ne!(value, cvc, "{table}.{column} stores a CVC");
                assert!(
                    !value.contains("\"cvc\""),
                    "{table}.{column} stores a CVC field"
                );
            }
        }
    }
    assert!(searched >= 50, "values were searched: {searched}");
    let stored: Vec<String> = sqlx::query_scalar("SELECT card_last4 FROM payments ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(stored, vec!["4242", "0002", "3155"]);
    env.stop().await;
}
