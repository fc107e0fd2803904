//! The provider adapters' request building and response/webhook parsing, checked against
//! recorded payloads (`fixtures/`) and the providers' documented signature schemes computed
//! here: what each request carries (method, path, auth, body fields), how answers map to
//! outcomes, and which events mean what.

use axum::http::{HeaderMap, HeaderValue};
use kit::money::{Currency, Money};
use payments::card::{Card, CardInput};
use payments::providers::flutterwave::{self, Flutterwave};
use payments::providers::http::{ApiRequest, Body};
use payments::providers::paystack::{self, Paystack};
use payments::providers::sepay::Sepay;
use payments::providers::stripe::{self, Stripe};
use payments::providers::{
    Change, Charge, NextAction, Outcome, PaymentRef, Provider, RefundRequest, WebhookError,
};
use payments::settings::{CaptureMode, Settings};
use ring::hmac;
use serde_json::{json, Value};

use crate::common::fixture;

fn settings(overrides: &[(&str, &str)]) -> Settings {
    let mut config = kit::testing::config("payments");
    for (k, v) in overrides {
        config.overrides.insert(k.to_string(), v.to_string());
    }
    Settings::from_config(&config).expect("settings")
}

fn keys() -> Settings {
    settings(&[
        ("STRIPE_SECRET_KEY", "sk_test_51Abc"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_adapters"),
        ("PAYSTACK_SECRET_KEY", "sk_test_ps_123"),
        ("FLUTTERWAVE_SECRET_KEY", "FLWSECK_TEST-abc-X"),
        ("FLUTTERWAVE_SECRET_HASH", "hash-abc"),
        ("SEPAY_API_KEY", "sepay-abc"),
        ("STRIPE_API_BASE", "http://stripe.local"),
        ("PAYSTACK_API_BASE", "http://paystack.local"),
        ("FLUTTERWAVE_API_BASE", "http://flw.local/v3"),
        ("PAYMENT_RETURN_URL", "https://shop.example/return"),
    ])
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

fn money(minor: i64, code: &str) -> Money {
    Money::new(minor, Currency::from_code(code).unwrap())
}

fn card() -> Card {
    Card::parse(
        "input.card",
        &CardInput {
            number: "4242424242424242".into(),
            exp_month: 4,
            exp_year: 2031,
            cvc: "321".into(),
        },
    )
    .unwrap()
}

fn json_body(request: &ApiRequest) -> Value {
    match &request.body {
        Body::Json(v) => v.clone(),
        _ => panic!("expected a JSON body"),
    }
}

fn charge<'a>(card: &'a Card, amount: Money, capture: CaptureMode) -> Charge<'a> {
    Charge {
        payment_id: "pay-1",
        order_id: "order-1",
        reference: "SHOPABCD2345",
        email: "shopper@example.com",
        amount,
        card,
        capture,
        idempotency_key: "attempt-1",
    }
}

fn payment_ref(provider_reference: Option<&str>, amount: Money) -> PaymentRef<'_> {
    PaymentRef {
        payment_id: "pay-1",
        reference: "SHOPABCD2345",
        provider_reference,
        amount,
        capture: CaptureMode::Automatic,
        idempotency_key: "attempt-2",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn stripe_builds_form_encoded_payment_intents_with_idempotency_keys() {
    let stripe = Stripe::new(&keys(), client());
    let card = card();
    let request = stripe
        .authorize_request(&charge(&card, money(1999, "USD"), CaptureMode::Manual))
        .unwrap();
    assert_eq!(request.method, reqwest::Method::POST);
    assert_eq!(request.url, "http://stripe.local/v1/payment_intents");
    assert_eq!(
        request.header_value("authorization"),
        Some("Bearer sk_test_51Abc")
    );
    assert_eq!(request.header_value("idempotency-key"), Some("attempt-1"));
    for (field, value) in [
        ("amount", "1999"),
        ("currency", "usd"),
        ("capture_method", "manual"),
        ("confirm", "true"),
        ("payment_method_data[type]", "card"),
        ("payment_method_data[card][exp_month]", "4"),
        ("payment_method_data[card][exp_year]", "2031"),
        ("metadata[reference]", "SHOPABCD2345"),
        ("metadata[order_id]", "order-1"),
    ] {
        assert_eq!(request.form_value(field), Some(value), "{field}");
    }
    // Debug output (what logs would show) names the call only.
    let shown = format!("{request:?}");
    assert_eq!(shown, "POST http://stripe.local/v1/payment_intents");

    let amount = money(500, "JPY");
    let refund = stripe
        .refund_request(&RefundRequest {
            payment: payment_ref(Some("pi_123"), amount),
            refund_id: "refund-9",
            amount,
            reason: Some("damaged"),
        })
        .unwrap();
    assert_eq!(refund.url, "http://stripe.local/v1/refunds");
    assert_eq!(refund.form_value("payment_intent"), Some("pi_123"));
    assert_eq!(refund.form_value("amount"), Some("500"));
    assert_eq!(refund.form_value("metadata[reason]"), Some("damaged"));
    assert_eq!(refund.header_value("idempotency-key"), Some("refund-9"));
    let capture = stripe
        .capture_request(&payment_ref(Some("pi_123"), money(1999, "USD")))
        .unwrap();
    assert_eq!(
        capture.url,
        "http://stripe.local/v1/payment_intents/pi_123/capture"
    );
    assert_eq!(capture.form_value("amount_to_capture"), Some("1999"));
    let cancel = stripe
        .cancel_request(&payment_ref(Some("pi_123"), money(1999, "USD")))
        .unwrap();
    assert_eq!(
        cancel.url,
        "http://stripe.local/v1/payment_intents/pi_123/cancel"
    );
}

#[test]
fn stripe_answers_map_to_outcomes() {
    let intent = |status: &str, capture: &str| -> Value {
        serde_json::from_str(&fixture(
            "stripe_intent_response.json",
            &[
                ("PI", "pi_9"),
                ("AMOUNT", "1999"),
                ("CAPTURE", capture),
                ("STATUS", status),
            ],
        ))
        .unwrap()
    };
    assert_eq!(
        stripe::intent_outcome(200, &intent("succeeded", "automatic")).unwrap(),
        Outcome::Captured {
            provider_reference: "pi_9".into()
        }
    );
    assert_eq!(
        stripe::intent_outcome(200, &intent("requires_capture", "manual")).unwrap(),
        Outcome::Authorized {
            provider_reference: "pi_9".into()
        }
    );
    let mut action = intent("requires_action", "automatic");
    action["next_action"] = json!({ "type": "redirect_to_url", "redirect_to_url": { "url": "https://hooks.stripe.test/3ds" } });
    assert_eq!(
        stripe::intent_outcome(200, &action).unwrap(),
        Outcome::RequiresAction {
            provider_reference: Some("pi_9".into()),
            next_action: NextAction::Redirect("https://hooks.stripe.test/3ds".into()),
        }
    );
    let declined: Value = serde_json::from_str(&fixture(
        "stripe_card_error.json",
        &[("PI", "pi_9"), ("DECLINE", "insufficient_funds")],
    ))
    .unwrap();
    match stripe::intent_outcome(402, &declined).unwrap() {
        Outcome::Declined {
            provider_reference,
            decline_code,
            ..
        } => {
            assert_eq!(provider_reference.as_deref(), Some("pi_9"));
            assert_eq!(decline_code, "insufficient_funds");
        }
        other => panic!("expected a decline, got {other:?}"),
    }
    assert!(stripe::intent_outcome(500, &json!({})).is_err());
}

#[test]
fn stripe_signatures_follow_the_documented_scheme() {
    let body = fixture(
        "stripe_payment_intent_succeeded.json",
        &[
            ("EVENT_ID", "evt_1"),
            ("PI", "pi_1"),
            ("AMOUNT", "1999"),
            ("CURRENCY", "eur"),
            ("REFERENCE", "SHOPABCD2345"),
        ],
    );
    let t = 1_767_225_600;
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"whsec_adapters");
    let sig = hex(hmac::sign(&key, format!("{t}.{body}").as_bytes()).as_ref());
    let tolerance = std::time::Duration::from_secs(300);
    let header = format!("t={t},v1={sig}");
    assert_eq!(
        stripe::verify_signature(
            &header,
            body.as_bytes(),
            "whsec_adapters",
            t + 300,
            tolerance
        ),
        Ok(())
    );
    assert_eq!(
        stripe::verify_signature(
            &header,
            body.as_bytes(),
            "whsec_adapters",
            t + 301,
            tolerance
        ),
        Err(WebhookError::Stale)
    );
    assert!(matches!(
        stripe::verify_signature(&header, body.as_bytes(), "whsec_other", t, tolerance),
        Err(WebhookError::BadSignature(_))
    ));
    assert!(matches!(
        stripe::verify_signature(
            &format!("t={t},v0={sig}"),
            body.as_bytes(),
            "whsec_adapters",
            t,
            tolerance
        ),
        Err(WebhookError::BadSignature(_))
    ));

    let stripe = Stripe::new(&keys(), client());
    let mut headers = HeaderMap::new();
    headers.insert("stripe-signature", HeaderValue::from_str(&header).unwrap());
    let event = stripe.verify_webhook(&headers, body.as_bytes(), t).unwrap();
    assert_eq!(event.id, "evt_1");
    assert_eq!(event.event_type, "payment_intent.succeeded");
    match event.change {
        Change::Succeeded {
            target,
            amount,
            provider_reference,
        } => {
            assert_eq!(target.provider_reference.as_deref(), Some("pi_1"));
            assert_eq!(target.references, vec!["SHOPABCD2345".to_string()]);
            assert_eq!((amount.minor, amount.currency.as_str()), (1999, "EUR"));
            assert_eq!(provider_reference.as_deref(), Some("pi_1"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let refunded = fixture(
        "stripe_charge_refunded.json",
        &[
            ("EVENT_ID", "evt_2"),
            ("PI", "pi_1"),
            ("AMOUNT", "1999"),
            ("REFUNDED", "500"),
        ],
    );
    match stripe::parse_event(refunded.as_bytes()).unwrap().change {
        Change::Refunded {
            target,
            amount,
            cumulative,
            ..
        } => {
            assert_eq!(target.provider_reference.as_deref(), Some("pi_1"));
            assert_eq!(amount.minor, 500);
            assert!(cumulative);
        }
        other => panic!("unexpected {other:?}"),
    }
    let other = br#"{"id":"evt_3","type":"customer.created","data":{"object":{}}}"#;
    assert_eq!(stripe::parse_event(other).unwrap().change, Change::Ignored);
}

#[test]
fn paystack_requests_and_webhooks() {
    let paystack = Paystack::new(&keys(), client());
    let card = card();
    let init = paystack
        .initialize_request(&charge(&card, money(250000, "NGN"), CaptureMode::Automatic))
        .unwrap();
    assert_eq!(init.url, "http://paystack.local/transaction/initialize");
    assert_eq!(
        init.header_value("authorization"),
        Some("Bearer sk_test_ps_123")
    );
    let body = json_body(&init);
    assert_eq!(body["amount"], "250000");
    assert_eq!(body["currency"], "NGN");
    assert_eq!(body["reference"], "SHOPABCD2345");
    assert_eq!(body["email"], "shopper@example.com");
    assert_eq!(body["callback_url"], "https://shop.example/return");
    assert!(
        !body.to_string().contains("4242424242424242"),
        "no card data to a hosted page"
    );
    assert_eq!(
        paystack.verify_request("SHOPABCD2345").unwrap().url,
        "http://paystack.local/transaction/verify/SHOPABCD2345"
    );
    let amount = money(100000, "NGN");
    let refund = paystack
        .refund_request(&RefundRequest {
            payment: payment_ref(Some("4099260516"), amount),
            refund_id: "r1",
            amount,
            reason: None,
        })
        .unwrap();
    assert_eq!(refund.url, "http://paystack.local/refund");
    assert_eq!(
        json_body(&refund),
        json!({ "transaction": "SHOPABCD2345", "amount": "100000", "currency": "NGN" })
    );

    let verify = |status: &str| -> Value {
        serde_json::from_str(&fixture(
            "paystack_verify_response.json",
            &[
                ("TRANSACTION", "4099260516"),
                ("STATUS", status),
                ("REFERENCE", "SHOPABCD2345"),
                ("GATEWAY", "Declined"),
            ],
        ))
        .unwrap()
    };
    assert_eq!(
        paystack::verify_outcome(200, &verify("success")).unwrap(),
        Outcome::Captured {
            provider_reference: "4099260516".into()
        }
    );
    assert!(matches!(
        paystack::verify_outcome(200, &verify("failed")).unwrap(),
        Outcome::Declined { .. }
    ));
    assert!(matches!(
        paystack::verify_outcome(200, &verify("abandoned")).unwrap(),
        Outcome::RequiresAction {
            next_action: NextAction::AwaitProvider,
            ..
        }
    ));
    let init_answer: Value = serde_json::from_str(&fixture(
        "paystack_initialize_response.json",
        &[("ACCESS", "0peioxfhpn"), ("REFERENCE", "SHOPABCD2345")],
    ))
    .unwrap();
    assert_eq!(
        init_answer["data"]["authorization_url"],
        "https://checkout.paystack.com/0peioxfhpn"
    );

    let event = fixture(
        "paystack_charge_success.json",
        &[
            ("TRANSACTION", "4099260516"),
            ("REFERENCE", "SHOPABCD2345"),
            ("AMOUNT", "250000"),
            ("CURRENCY", "NGN"),
        ],
    );
    let key = hmac::Key::new(hmac::HMAC_SHA512, b"sk_test_ps_123");
    let signature = hex(hmac::sign(&key, event.as_bytes()).as_ref());
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-paystack-signature",
        HeaderValue::from_str(&signature).unwrap(),
    );
    let parsed = paystack
        .verify_webhook(&headers, event.as_bytes(), 0)
        .unwrap();
    assert_eq!(parsed.id, "charge.success:4099260516");
    match parsed.change {
        Change::Succeeded { target, amount, .. } => {
            assert_eq!(target.references, vec!["SHOPABCD2345".to_string()]);
            assert_eq!((amount.minor, amount.currency.as_str()), (250000, "NGN"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(paystack
        .verify_webhook(&headers, event.replace("250000", "1").as_bytes(), 0)
        .is_err());
    assert!(paystack::verify_signature(
        &signature.to_uppercase(),
        event.as_bytes(),
        "sk_test_ps_123"
    )
    .is_ok());
    assert!(paystack::verify_signature(&signature, event.as_bytes(), "sk_other").is_err());
}

#[test]
fn flutterwave_requests_and_webhooks() {
    let flw = Flutterwave::new(&keys(), client());
    let card = card();
    let pay = flw
        .payment_request(&charge(&card, money(7550, "NGN"), CaptureMode::Automatic))
        .unwrap();
    assert_eq!(pay.url, "http://flw.local/v3/payments");
    assert_eq!(
        pay.header_value("authorization"),
        Some("Bearer FLWSECK_TEST-abc-X")
    );
    let body = json_body(&pay);
    assert_eq!(body["tx_ref"], "SHOPABCD2345");
    // Flutterwave takes major units.
    assert_eq!(body["amount"], "75.50");
    assert_eq!(body["currency"], "NGN");
    assert_eq!(body["customer"]["email"], "shopper@example.com");
    assert_eq!(body["redirect_url"], "https://shop.example/return");
    assert_eq!(
        flw.verify_request("SHOPABCD2345").unwrap().url,
        "http://flw.local/v3/transactions/verify_by_reference?tx_ref=SHOPABCD2345"
    );
    let amount = money(1000, "NGN");
    let refund = flw
        .refund_request(&RefundRequest {
            payment: payment_ref(Some("5510233"), amount),
            refund_id: "r1",
            amount,
            reason: Some("late"),
        })
        .unwrap();
    assert_eq!(
        refund.url,
        "http://flw.local/v3/transactions/5510233/refund"
    );
    assert_eq!(
        json_body(&refund),
        json!({ "amount": "10.00", "comments": "late" })
    );
    let link: Value = serde_json::from_str(&fixture(
        "flutterwave_payment_response.json",
        &[("LINK", "wy2dky")],
    ))
    .unwrap();
    assert_eq!(link["status"], "success");

    let verified = json!({ "status": "success", "data": { "id": 5510233, "status": "successful", "tx_ref": "SHOPABCD2345" } });
    assert_eq!(
        flutterwave::verify_outcome(200, &verified).unwrap(),
        Outcome::Captured {
            provider_reference: "5510233".into()
        }
    );

    let event = fixture(
        "flutterwave_charge_completed.json",
        &[
            ("TRANSACTION", "5510233"),
            ("REFERENCE", "SHOPABCD2345"),
            ("AMOUNT", "75.5"),
            ("CURRENCY", "NGN"),
            ("STATUS", "successful"),
        ],
    );
    let mut headers = HeaderMap::new();
    headers.insert("verif-hash", HeaderValue::from_static("hash-abc"));
    let parsed = flw.verify_webhook(&headers, event.as_bytes(), 0).unwrap();
    assert_eq!(parsed.id, "charge.completed:5510233:successful");
    match parsed.change {
        Change::Succeeded { amount, target, .. } => {
            assert_eq!((amount.minor, amount.currency.as_str()), (7550, "NGN"));
            assert_eq!(target.references, vec!["SHOPABCD2345".to_string()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    headers.insert("verif-hash", HeaderValue::from_static("hash-abd"));
    assert!(matches!(
        flw.verify_webhook(&headers, event.as_bytes(), 0),
        Err(WebhookError::BadSignature(_))
    ));
    let unconfigured = Flutterwave::new(&settings(&[]), client());
    assert_eq!(
        unconfigured.verify_webhook(&headers, event.as_bytes(), 0),
        Err(WebhookError::NotConfigured)
    );
}

#[test]
fn sepay_transfers_parse_with_their_reference_codes() {
    let sepay = Sepay::new(&keys());
    let body = fixture(
        "sepay_transfer.json",
        &[
            ("ID", "92704"),
            ("AMOUNT", "2277000"),
            ("DIRECTION", "in"),
            ("CONTENT", "CT DEN:0123 shopabcd2345 thanh toan"),
        ],
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_static("Apikey sepay-abc"),
    );
    let event = sepay.verify_webhook(&headers, body.as_bytes(), 0).unwrap();
    assert_eq!(event.id, "92704");
    match event.change {
        Change::Transfer {
            target,
            amount,
            provider_reference,
        } => {
            assert_eq!(target.references, vec!["SHOPABCD2345".to_string()]);
            assert_eq!((amount.minor, amount.currency.as_str()), (2277000, "VND"));
            assert_eq!(provider_reference, "FT2612192704");
        }
        other => panic!("unexpected {other:?}"),
    }
    headers.insert(
        "authorization",
        HeaderValue::from_static("Apikey sepay-abd"),
    );
    assert!(sepay.verify_webhook(&headers, body.as_bytes(), 0).is_err());
    let out = fixture(
        "sepay_transfer.json",
        &[
            ("ID", "92705"),
            ("AMOUNT", "10000"),
            ("DIRECTION", "out"),
            ("CONTENT", "SHOPABCD2345"),
        ],
    );
    assert_eq!(
        payments::providers::sepay::parse_event(
            out.as_bytes(),
            Currency::from_code("VND").unwrap()
        )
        .unwrap()
        .change,
        Change::Ignored
    );
}
