//! The Stripe adapter's real HTTP path: payments runs with `PAYMENT_PROVIDER=stripe` against a
//! small local HTTP server standing in for Stripe's API, which records each request (path,
//! form fields, `Idempotency-Key`, `Authorization`) and answers as Stripe does (PaymentIntent
//! JSON, a 402 card error, a refund).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Router};

use crate::common::{self, card, fixture, As, Env, GOOD_CARD};

#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    form: HashMap<String, String>,
    idempotency_key: Option<String>,
    authorization: Option<String>,
}

type Log = Arc<Mutex<Vec<Recorded>>>;

fn record(log: &Log, path: String, headers: &HeaderMap, form: HashMap<String, String>) {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    log.lock().unwrap().push(Recorded {
        path,
        form,
        idempotency_key: header("idempotency-key"),
        authorization: header("authorization"),
    });
}

fn json(
    status: StatusCode,
    text: String,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (status, [("content-type", "application/json")], text)
}

async fn create_intent(
    State(log): State<Log>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> impl axum::response::IntoResponse {
    record(&log, "/v1/payment_intents".into(), &headers, form.clone());
    let intent = format!(
        "pi_{}",
        &form["metadata[payment_id]"].replace('-', "")[..20]
    );
    if form["payment_method_data[card][number]"] == "4000000000000002" {
        return json(
            StatusCode::PAYMENT_REQUIRED,
            fixture(
                "stripe_card_error.json",
                &[("PI", &intent), ("DECLINE", "generic_decline")],
            ),
        );
    }
    let capture = form["capture_method"].clone();
    let status = if capture == "manual" {
        "requires_capture"
    } else {
        "succeeded"
    };
    json(
        StatusCode::OK,
        fixture(
            "stripe_intent_response.json",
            &[
                ("PI", &intent),
                ("AMOUNT", &form["amount"]),
                ("CAPTURE", &capture),
                ("STATUS", status),
            ],
        ),
    )
}

async fn refund(
    State(log): State<Log>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> impl axum::response::IntoResponse {
    record(&log, "/v1/refunds".into(), &headers, form.clone());
    json(
        StatusCode::OK,
        fixture(
            "stripe_refund_response.json",
            &[
                ("REFUND", "re_3PqR8tLkdIwHu7ix1"),
                ("AMOUNT", &form["amount"]),
                ("PI", &form["payment_intent"]),
            ],
        ),
    )
}

async fn intent_action(
    State(log): State<Log>,
    Path((intent, action)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> impl axum::response::IntoResponse {
    record(
        &log,
        format!("/v1/payment_intents/{intent}/{action}"),
        &headers,
        form,
    );
    let status = if action == "capture" {
        "succeeded"
    } else {
        "canceled"
    };
    json(
        StatusCode::OK,
        fixture(
            "stripe_intent_response.json",
            &[
                ("PI", &intent),
                ("AMOUNT", "0"),
                ("CAPTURE", "manual"),
                ("STATUS", status),
            ],
        ),
    )
}

/// A local Stripe stand-in; returns its base URL and the request log.
async fn fake_stripe() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{intent}/{action}", post(intent_action))
        .route("/v1/refunds", post(refund))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

async fn stripe_env(base: &str, capture: &str) -> Env {
    common::start_with(&[
        ("PAYMENT_PROVIDER", "stripe"),
        ("STRIPE_SECRET_KEY", "sk_test_local_123"),
        ("STRIPE_API_BASE", base),
        ("CAPTURE_MODE", capture),
    ])
    .await
}

#[tokio::test]
async fn pay_order_creates_a_confirmed_payment_intent_and_refunds_through_stripe() {
    let (base, log) = fake_stripe().await;
    let env = stripe_env(&base, "automatic").await;
    let (user, token) = env.customer().await;
    let (order, started) = env.order("25.00", Some(&user), None).await;
    let id = started["id"].as_str().unwrap();

    let body = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k1")
        .await;
    let paid = &body["data"]["payOrder"];
    assert_eq!(paid["status"], "CAPTURED", "{body}");
    assert_eq!(paid["provider"], "stripe");
    let intent = paid["providerReference"].as_str().unwrap().to_string();
    assert!(intent.starts_with("pi_"));
    // A repeat answers from the first attempt: Stripe is asked once.
    env.pay(As::Bearer(&token), &order, card(GOOD_CARD), "k1")
        .await;

    let requests = log.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let create = &requests[0];
    assert_eq!(create.path, "/v1/payment_intents");
    assert_eq!(
        create.authorization.as_deref(),
        Some("Bearer sk_test_local_123")
    );
    assert!(create
        .idempotency_key
        .as_deref()
        .is_some_and(|k| !k.is_empty()));
    for (field, value) in [
        ("amount", "2500"),
        ("currency", "usd"),
        ("capture_method", "automatic"),
        ("confirm", "true"),
        ("payment_method_data[card][number]", GOOD_CARD),
        ("payment_method_data[card][cvc]", "123"),
        ("metadata[payment_id]", id),
        ("metadata[order_id]", order.as_str()),
    ] {
        assert_eq!(
            create.form.get(field).map(String::as_str),
            Some(value),
            "{field}"
        );
    }
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);

    let refunded = env.refund(id, Some("10.00"), "r1").await;
    let refund = &refunded["data"]["refundPayment"];
    assert_eq!(refund["status"], "SUCCEEDED", "{refunded}");
    let requests = log.lock().unwrap().clone();
    let sent = requests.last().unwrap();
    assert_eq!(sent.path, "/v1/refunds");
    assert_eq!(sent.form["payment_intent"], intent);
    assert_eq!(sent.form["amount"], "1000");
    assert_eq!(sent.idempotency_key.as_deref(), refund["id"].as_str());
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "PARTIALLY_REFUNDED");
    assert_eq!(payment["refunds"][0]["status"], "SUCCEEDED");
    env.stop().await;
}

#[tokio::test]
async fn a_stripe_card_error_fails_the_payment_and_manual_capture_calls_capture() {
    let (base, log) = fake_stripe().await;
    let env = stripe_env(&base, "manual").await;
    let (user, token) = env.customer().await;

    let (order, _) = env.order("8.00", Some(&user), None).await;
    let body = env
        .pay(As::Bearer(&token), &order, card("4000000000000002"), "k")
        .await;
    let failed = &body["data"]["payOrder"];
    assert_eq!(failed["status"], "FAILED", "{body}");
    assert_eq!(failed["declineCode"], "generic_decline");
    assert!(failed["providerReference"]
        .as_str()
        .unwrap()
        .starts_with("pi_"));

    let (order, started) = env.order("9.00", Some(&user), None).await;
    let id = started["id"].as_str().unwrap();
    let body = env
        .pay(As::Bearer(&token), &order, card(GOOD_CARD), "k")
        .await;
    assert_eq!(body["data"]["payOrder"]["status"], "AUTHORIZED", "{body}");
    let intent = body["data"]["payOrder"]["providerReference"]
        .as_str()
        .unwrap()
        .to_string();
    let captured = env
        .staff_gql(
            "mutation($p:ID!){ capturePayment(paymentId:$p){ status capturedAmount { amount } } }",
            serde_json::json!({ "p": id }),
        )
        .await;
    assert_eq!(
        captured["data"]["capturePayment"]["status"], "CAPTURED",
        "{captured}"
    );
    let requests = log.lock().unwrap().clone();
    let capture = requests.last().unwrap();
    assert_eq!(
        capture.path,
        format!("/v1/payment_intents/{intent}/capture")
    );
    assert_eq!(capture.form["amount_to_capture"], "900");
    assert!(capture.idempotency_key.is_some());
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path == "/v1/payment_intents")
            .count(),
        2
    );
    env.stop().await;
}
