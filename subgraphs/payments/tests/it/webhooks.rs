//! Provider webhooks over `POST /webhooks/{provider}`, signed with each provider's documented
//! scheme computed here: Stripe (`Stripe-Signature: t=..,v1=..`, HMAC-SHA256 of "{t}.{body}"),
//! Paystack (`x-paystack-signature`, hex HMAC-SHA512 of the body), Flutterwave (`verif-hash`
//! equal to the secret hash) and Sepay (`Authorization: Apikey <key>`). Valid events move the
//! payment; tampered bodies, wrong secrets and stale timestamps get 400 and change nothing;
//! replays (100 at once) and reordered events have one effect.

use futures_util::future::join_all;
use ring::hmac;
use serde_json::Value;

use crate::common::{self, fixture, Env, FLW_HASH, PAYSTACK_SK, SEPAY_KEY, STRIPE_WHSEC};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `Stripe-Signature` for `body` signed at `t` with `secret`.
fn stripe_header(body: &str, t: i64, secret: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let sig = hmac::sign(&key, format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex(sig.as_ref()))
}

fn paystack_header(body: &str, secret: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA512, secret.as_bytes());
    hex(hmac::sign(&key, body.as_bytes()).as_ref())
}

fn evt() -> String {
    format!("evt_{}", common::id().replace('-', ""))
}

fn pi() -> String {
    format!("pi_{}", &common::id().replace('-', "")[..24])
}

async fn stripe(env: &Env, body: &str, header: String) -> (u16, Value) {
    env.webhook("stripe", &[("Stripe-Signature", header)], body.as_bytes())
        .await
}

fn stripe_succeeded(event: &str, pi: &str, amount: &str, reference: &str) -> String {
    fixture(
        "stripe_payment_intent_succeeded.json",
        &[
            ("EVENT_ID", event),
            ("PI", pi),
            ("AMOUNT", amount),
            ("CURRENCY", "usd"),
            ("REFERENCE", reference),
        ],
    )
}

async fn status_of(env: &Env, id: &str) -> String {
    env.payment(id).await["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn stripe_webhooks_are_verified_and_mapped() {
    let env = common::start().await;
    let (order, started) = env.order("40.00", None, None).await;
    let id = started["id"].as_str().unwrap();
    let reference = started["reference"].as_str().unwrap();
    let intent = pi();
    let event = evt();
    let body = stripe_succeeded(&event, &intent, "4000", reference);

    // Unverifiable: nothing changes.
    let tampered = body.replace("4000", "1");
    let cases = [
        (tampered.clone(), stripe_header(&body, now(), STRIPE_WHSEC)),
        (body.clone(), stripe_header(&body, now(), "whsec_wrong")),
        (
            body.clone(),
            stripe_header(&body, now() - 301, STRIPE_WHSEC),
        ),
        (
            body.clone(),
            stripe_header(&body, now() + 301, STRIPE_WHSEC),
        ),
        (body.clone(), format!("t={},v1=zz", now())),
        (body.clone(), "v1=".to_string() + &hex(&[0; 32])),
    ];
    for (sent, header) in cases {
        let (status, answer) = stripe(&env, &sent, header).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    }
    let (status, _) = env.webhook("stripe", &[], body.as_bytes()).await;
    assert_eq!(status, 400);
    assert_eq!(status_of(&env, id).await, "REQUIRES_PAYMENT_METHOD");
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM webhook_events WHERE provider = $1",
            "stripe"
        )
        .await,
        0
    );

    // Several v1 signatures (secret rotation): any one matching is enough.
    let t = now();
    let good = stripe_header(&body, t, STRIPE_WHSEC);
    let rotated = format!(
        "t={t},v1={},{}",
        hex(&[7; 32]),
        good.split_once(',').unwrap().1
    );
    let (status, answer) = stripe(&env, &body, rotated).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "CAPTURED");
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "CAPTURED");
    assert_eq!(payment["provider"], "stripe");
    assert_eq!(payment["providerReference"], intent.as_str());
    let succeeded = env.events("payment.succeeded", id).await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].data["reservationReference"], order.as_str());
    assert_eq!(succeeded[0].data["provider"], "stripe");

    // A payment_failed arriving after succeeded changes nothing.
    let failed = fixture(
        "stripe_payment_intent_failed.json",
        &[
            ("EVENT_ID", &evt()),
            ("PI", &intent),
            ("AMOUNT", "4000"),
            ("REFERENCE", reference),
        ],
    );
    let (status, answer) = stripe(&env, &failed, stripe_header(&failed, now(), STRIPE_WHSEC)).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("UNCHANGED")),
        "{answer}"
    );
    assert_eq!(status_of(&env, id).await, "CAPTURED");
    assert!(env.events("payment.failed", id).await.is_empty());

    // A refund made in Stripe's dashboard (charge.refunded carries the refunded total).
    let refunded_event = evt();
    let refunded = fixture(
        "stripe_charge_refunded.json",
        &[
            ("EVENT_ID", &refunded_event),
            ("PI", &intent),
            ("AMOUNT", "4000"),
            ("REFUNDED", "1500"),
        ],
    );
    let (status, answer) = stripe(
        &env,
        &refunded,
        stripe_header(&refunded, now(), STRIPE_WHSEC),
    )
    .await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("REFUNDED")),
        "{answer}"
    );
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "PARTIALLY_REFUNDED");
    assert_eq!(payment["refundedAmount"]["amount"], "15.00");
    // The same total again (a later event id) adds nothing.
    let again = refunded.replace(&refunded_event, &evt());
    let (_, answer) = stripe(&env, &again, stripe_header(&again, now(), STRIPE_WHSEC)).await;
    assert_eq!(answer["outcome"], "KNOWN");
    assert_eq!(env.events("payment.refunded", id).await.len(), 1);
    env.stop().await;
}

#[tokio::test]
async fn a_failed_stripe_payment_fails_once() {
    let env = common::start().await;
    let (_, started) = env.order("12.00", None, None).await;
    let id = started["id"].as_str().unwrap();
    let body = fixture(
        "stripe_payment_intent_failed.json",
        &[
            ("EVENT_ID", &evt()),
            ("PI", &pi()),
            ("AMOUNT", "1200"),
            ("REFERENCE", started["reference"].as_str().unwrap()),
        ],
    );
    let (status, answer) = stripe(&env, &body, stripe_header(&body, now(), STRIPE_WHSEC)).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("FAILED")),
        "{answer}"
    );
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "FAILED");
    assert_eq!(payment["declineCode"], "insufficient_funds");
    // A success that arrives late cannot revive it.
    let late = stripe_succeeded(
        &evt(),
        &pi(),
        "1200",
        started["reference"].as_str().unwrap(),
    );
    let (_, answer) = stripe(&env, &late, stripe_header(&late, now(), STRIPE_WHSEC)).await;
    assert_eq!(answer["outcome"], "UNCHANGED");
    assert_eq!(status_of(&env, id).await, "FAILED");
    assert_eq!(env.events("payment.failed", id).await.len(), 1);
    assert!(env.events("payment.succeeded", id).await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn one_webhook_replayed_100_times_at_once_has_one_effect() {
    let env = common::start().await;
    let (_, started) = env.order("77.00", None, None).await;
    let id = started["id"].as_str().unwrap();
    let event = evt();
    let body = stripe_succeeded(
        &event,
        &pi(),
        "7700",
        started["reference"].as_str().unwrap(),
    );
    let header = stripe_header(&body, now(), STRIPE_WHSEC);
    let answers = join_all((0..100).map(|_| stripe(&env, &body, header.clone()))).await;
    let mut fresh = 0;
    for (status, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        if answer["duplicate"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1, "exactly one delivery applied");
    assert_eq!(
        env.count(
            "SELECT COUNT(*) FROM webhook_events WHERE event_id = $1",
            &event
        )
        .await,
        1
    );
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "CAPTURED");
    assert_eq!(
        payment["attempts"].as_array().unwrap().len(),
        1,
        "{payment}"
    );
    env.stop().await;
}

#[tokio::test]
async fn paystack_webhooks_are_verified_and_amounts_checked() {
    let env = common::start().await;
    let (_, started) = env.order_in("2500.00", "NGN", None, None).await;
    let id = started["id"].as_str().unwrap();
    let reference = started["reference"].as_str().unwrap();
    let charge = |amount: &str, currency: &str, transaction: &str| {
        fixture(
            "paystack_charge_success.json",
            &[
                ("TRANSACTION", transaction),
                ("REFERENCE", reference),
                ("AMOUNT", amount),
                ("CURRENCY", currency),
            ],
        )
    };
    let send = |body: String, secret: &'static str| {
        let env = &env;
        async move {
            let header = paystack_header(&body, secret);
            env.webhook(
                "paystack",
                &[("x-paystack-signature", header)],
                body.as_bytes(),
            )
            .await
        }
    };
    let body = charge("250000", "NGN", "4099260516");
    let tampered = body.replace("Approved", "Approved!");
    let header = paystack_header(&body, PAYSTACK_SK);
    let (status, _) = env
        .webhook(
            "paystack",
            &[("x-paystack-signature", header)],
            tampered.as_bytes(),
        )
        .await;
    assert_eq!(status, 400, "tampered body");
    let (status, _) = send(body.clone(), "sk_test_wrong").await;
    assert_eq!(status, 400, "wrong secret");
    assert_eq!(status_of(&env, id).await, "REQUIRES_PAYMENT_METHOD");

    // A verified charge of the wrong amount or currency never succeeds the payment.
    let (_, answer) = send(charge("200000", "NGN", "4099260517"), PAYSTACK_SK).await;
    assert_eq!(answer["outcome"], "MISMATCH");
    let (_, answer) = send(charge("250000", "GHS", "4099260518"), PAYSTACK_SK).await;
    assert_eq!(answer["outcome"], "MISMATCH");
    assert_eq!(status_of(&env, id).await, "REQUIRES_PAYMENT_METHOD");

    let (status, answer) = send(body.clone(), PAYSTACK_SK).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("CAPTURED")),
        "{answer}"
    );
    let (_, answer) = send(body, PAYSTACK_SK).await;
    assert_eq!(answer["duplicate"], true);
    let payment = env.payment(id).await;
    assert_eq!(payment["provider"], "paystack");
    assert_eq!(payment["providerReference"], "4099260516");
    assert_eq!(env.events("payment.succeeded", id).await.len(), 1);

    let refund = fixture(
        "paystack_refund_processed.json",
        &[
            ("REFUND", "3018284"),
            ("REFERENCE", reference),
            ("AMOUNT", "100000"),
        ],
    );
    let (_, answer) = send(refund.clone(), PAYSTACK_SK).await;
    assert_eq!(answer["outcome"], "REFUNDED", "{answer}");
    let (_, answer) = send(refund, PAYSTACK_SK).await;
    assert_eq!(answer["duplicate"], true);
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "PARTIALLY_REFUNDED");
    assert_eq!(payment["refundedAmount"]["amount"], "1000.00");
    env.stop().await;
}

#[tokio::test]
async fn flutterwave_webhooks_need_the_secret_hash_and_a_matching_amount() {
    let env = common::start().await;
    let (_, started) = env.order_in("75.50", "NGN", None, None).await;
    let id = started["id"].as_str().unwrap();
    let reference = started["reference"].as_str().unwrap();
    let charge = |amount: &str, currency: &str, status: &str, transaction: &str| {
        fixture(
            "flutterwave_charge_completed.json",
            &[
                ("TRANSACTION", transaction),
                ("REFERENCE", reference),
                ("AMOUNT", amount),
                ("CURRENCY", currency),
                ("STATUS", status),
            ],
        )
    };
    let send = |body: String, hash: &'static str| {
        let env = &env;
        async move {
            env.webhook(
                "flutterwave",
                &[("verif-hash", hash.to_string())],
                body.as_bytes(),
            )
            .await
        }
    };
    let body = charge("75.5", "NGN", "successful", "5510233");
    let (status, _) = send(body.clone(), "not-the-hash").await;
    assert_eq!(status, 400);
    let (status, _) = env.webhook("flutterwave", &[], body.as_bytes()).await;
    assert_eq!(status, 400);
    let (_, answer) = send(charge("75.49", "NGN", "successful", "5510234"), FLW_HASH).await;
    assert_eq!(answer["outcome"], "MISMATCH");
    let (_, answer) = send(charge("75.5", "USD", "successful", "5510235"), FLW_HASH).await;
    assert_eq!(answer["outcome"], "MISMATCH");
    let (_, answer) = send(charge("75.5", "NGN", "pending", "5510236"), FLW_HASH).await;
    assert_eq!(answer["outcome"], "IGNORED");
    assert_eq!(status_of(&env, id).await, "REQUIRES_PAYMENT_METHOD");

    let (status, answer) = send(body, FLW_HASH).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("CAPTURED")),
        "{answer}"
    );
    let payment = env.payment(id).await;
    assert_eq!(payment["provider"], "flutterwave");
    assert_eq!(payment["capturedAmount"]["amount"], "75.50");
    // A failure for the same transaction afterwards changes nothing.
    let (_, answer) = send(charge("75.5", "NGN", "failed", "5510233"), FLW_HASH).await;
    assert_eq!(answer["outcome"], "UNCHANGED");
    assert_eq!(status_of(&env, id).await, "CAPTURED");
    env.stop().await;
}

#[tokio::test]
async fn sepay_transfers_add_up_until_the_payment_is_covered() {
    let env = common::start().await;
    let (order, started) = env.order_in("500000", "VND", None, None).await;
    let id = started["id"].as_str().unwrap();
    let reference = started["reference"].as_str().unwrap();
    let transfer = |tx: &str, amount: &str, direction: &str, content: String| {
        fixture(
            "sepay_transfer.json",
            &[
                ("ID", tx),
                ("AMOUNT", amount),
                ("DIRECTION", direction),
                ("CONTENT", &content),
            ],
        )
    };
    let send = |body: String, key: &'static str| {
        let env = &env;
        async move {
            env.webhook(
                "sepay",
                &[("Authorization", format!("Apikey {key}"))],
                body.as_bytes(),
            )
            .await
        }
    };
    // The shopper types the code in lower case with a space in it.
    let spaced = format!(
        "thanh toan don {} {}",
        &reference[..4].to_lowercase(),
        &reference[4..]
    );
    let first = transfer("92704", "200000", "in", spaced);
    let (status, _) = send(first.clone(), "wrong-key").await;
    assert_eq!(status, 400);
    let (status, _) = env
        .webhook(
            "sepay",
            &[("Authorization", format!("Bearer {SEPAY_KEY}"))],
            first.as_bytes(),
        )
        .await;
    assert_eq!(status, 400, "only the Apikey scheme");

    let (status, answer) = send(first.clone(), SEPAY_KEY).await;
    assert_eq!(
        (status, answer["outcome"].as_str()),
        (200, Some("PARTIAL")),
        "{answer}"
    );
    assert_eq!(answer["success"], true);
    let (_, answer) = send(first, SEPAY_KEY).await;
    assert_eq!(answer["duplicate"], true);
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "REQUIRES_PAYMENT_METHOD");
    assert_eq!(payment["receivedAmount"]["amount"], "200000");

    // Money going out of the account is not a payment.
    let (_, answer) = send(
        transfer("92705", "300000", "out", reference.to_string()),
        SEPAY_KEY,
    )
    .await;
    assert_eq!(answer["outcome"], "IGNORED");
    let (_, answer) = send(
        transfer("92706", "300000", "in", "no code here".to_string()),
        SEPAY_KEY,
    )
    .await;
    assert_eq!(answer["outcome"], "UNMATCHED");

    let (_, answer) = send(
        transfer("92707", "350000", "in", format!("{reference} con lai")),
        SEPAY_KEY,
    )
    .await;
    assert_eq!(answer["outcome"], "OVERPAID", "{answer}");
    let payment = env.payment(id).await;
    assert_eq!(payment["status"], "CAPTURED");
    assert_eq!(payment["provider"], "sepay");
    assert_eq!(payment["receivedAmount"]["amount"], "550000");
    assert_eq!(payment["capturedAmount"]["amount"], "500000");
    let succeeded = env.events("payment.succeeded", id).await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].data["reservationReference"], order.as_str());
    let outcomes: Vec<&str> = payment["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["PARTIAL", "OVERPAID"]);
    env.stop().await;
}

#[tokio::test]
async fn unknown_and_unconfigured_webhooks_are_refused() {
    let env = common::start_with(&[("SEPAY_API_KEY", "")]).await;
    let (status, _) = env.webhook("test", &[], b"{}").await;
    assert_eq!(status, 404);
    let (status, _) = env.webhook("paypal", &[], b"{}").await;
    assert_eq!(status, 404);
    // No key configured: nothing can be verified.
    let (status, answer) = env
        .webhook(
            "sepay",
            &[("Authorization", "Apikey ".to_string())],
            b"{\"id\":1}",
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    env.stop().await;
}
