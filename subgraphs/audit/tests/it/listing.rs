//! `auditLog`: newest event first; each filter (type prefix, subject, actor, time range) alone
//! and combined; forward and backward keyset pages that cover every entry once; bad filter
//! input is `BAD_USER_INPUT` naming the field.

use chrono::{Duration, Utc};
use kit::events::Event;
use serde_json::json;

use crate::common::{self, code, event, field, log_ids};

#[tokio::test]
async fn filters_and_pages() {
    let env = common::start(&[]).await;
    let t0 = Utc::now() - Duration::hours(10);
    // 30 events an hour-fraction apart, oldest first: types, subjects and actors in rotation.
    let kinds = [
        "order.paid",
        "order.created",
        "orders.exported",
        "user.updated",
        "payment.failed",
    ];
    let events: Vec<Event> = (0..30)
        .map(|i| {
            let subject = format!("s{}", i % 3);
            let actor = format!("a{}", i % 2);
            Event {
                time: t0 + Duration::minutes(10 * i as i64),
                ..event("test", kinds[i % 5], Some(&subject), Some(&actor))
            }
        })
        .collect();
    env.publish(&events).await;
    env.wait_for(30).await;
    // Entry id per event, in event-time order (oldest first).
    let mut by_time = Vec::new();
    for e in &events {
        let id: String = sqlx::query_scalar("SELECT id FROM audit_entries WHERE event_id = $1")
            .bind(&e.id)
            .fetch_one(env.app.svc().db.background())
            .await
            .unwrap();
        by_time.push(id);
    }
    let newest_first: Vec<String> = by_time.iter().rev().cloned().collect();
    let expect = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..30)
            .rev()
            .filter(|i| keep(*i))
            .map(|i| by_time[i].clone())
            .collect()
    };

    let (all, body) = log_ids(&env, ", first: 100", json!({})).await;
    assert_eq!(all, newest_first);
    assert_eq!(body["data"]["auditLog"]["totalCount"], 30);

    let cases = [
        (json!({ "typePrefix": "order." }), expect(&|i| i % 5 < 2)),
        (json!({ "typePrefix": "order" }), expect(&|i| i % 5 < 3)),
        (
            json!({ "typePrefix": "order.paid" }),
            expect(&|i| i % 5 == 0),
        ),
        (json!({ "typePrefix": "nothing." }), vec![]),
        (json!({ "subject": "s1" }), expect(&|i| i % 3 == 1)),
        (json!({ "actor": "a0" }), expect(&|i| i % 2 == 0)),
        (
            json!({ "from": (t0 + Duration::minutes(50)).to_rfc3339(), "to": (t0 + Duration::minutes(120)).to_rfc3339() }),
            expect(&|i| (5..12).contains(&i)),
        ),
        (
            json!({ "typePrefix": "user.", "actor": "a1", "subject": "s0", "from": t0.to_rfc3339() }),
            expect(&|i| i % 5 == 3 && i % 2 == 1 && i % 3 == 0),
        ),
    ];
    for (filter, want) in cases {
        let (got, body) = log_ids(&env, ", first: 100", json!({ "f": filter })).await;
        assert_eq!(got, want, "filter {filter}: {body}");
        assert_eq!(
            body["data"]["auditLog"]["totalCount"],
            want.len(),
            "filter {filter}"
        );
    }

    // Forward pages of 7 cover everything once, in order; then backward from the end.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let args = match &after {
            Some(c) => format!(", first: 7, after: \"{c}\""),
            None => ", first: 7".into(),
        };
        let (ids, body) = log_ids(&env, &args, json!({})).await;
        seen.extend(ids);
        let info = &body["data"]["auditLog"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = Some(info["endCursor"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, newest_first);
    let mut back = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let args = match &before {
            Some(c) => format!(", last: 7, before: \"{c}\""),
            None => ", last: 7".into(),
        };
        let (mut ids, body) = log_ids(&env, &args, json!({})).await;
        ids.extend(back);
        back = ids;
        let info = &body["data"]["auditLog"]["pageInfo"];
        if info["hasPreviousPage"] != true {
            break;
        }
        before = Some(info["startCursor"].as_str().unwrap().to_string());
    }
    assert_eq!(back, newest_first);

    // A filtered page continues within the filter.
    let (page1, body) = log_ids(&env, ", first: 2", json!({ "f": { "subject": "s2" } })).await;
    let cursor = body["data"]["auditLog"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap()
        .to_string();
    let (page2, _) = log_ids(
        &env,
        &format!(", first: 100, after: \"{cursor}\""),
        json!({ "f": { "subject": "s2" } }),
    )
    .await;
    let mut joined = page1;
    joined.extend(page2);
    assert_eq!(joined, expect(&|i| i % 3 == 2));
    env.stop().await;
}

#[tokio::test]
async fn bad_filter_input_names_the_field() {
    let env = common::start(&[]).await;
    let q = |args: &str| {
        format!("query($f:AuditLogFilter){{ auditLog(filter:$f{args}){{ totalCount }} }}")
    };
    let now = Utc::now();
    for (filter, args, want) in [
        (
            json!({ "from": now.to_rfc3339(), "to": (now - Duration::hours(1)).to_rfc3339() }),
            "",
            "filter.to",
        ),
        (
            json!({ "typePrefix": "x".repeat(201) }),
            "",
            "filter.typePrefix",
        ),
        (json!({ "subject": "a\u{7}b" }), "", "filter.subject"),
        (json!({ "actor": "y".repeat(201) }), "", "filter.actor"),
        (json!({ "from": "yesterday" }), "", "filter.from"),
        (json!({ "to": "2026-13-01T00:00:00Z" }), "", "filter.to"),
        (json!({}), ", first: 101", "first"),
        (json!({}), ", after: \"***\"", "after"),
    ] {
        let body = env.admin_gql(&q(args), json!({ "f": filter })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{filter} {args}: {body}");
        assert_eq!(field(&body), want, "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(want),
            "{body}"
        );
    }
    env.stop().await;
}
