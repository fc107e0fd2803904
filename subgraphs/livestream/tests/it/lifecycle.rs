//! A stream's life as staff and viewers see it: scheduling with its validation, the status
//! table (every illegal move a CONFLICT naming both ends), edits, the queries, who may do
//! what, the stream key, and the events each change writes to the outbox.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn scheduled_live_ended_with_an_event_per_move() {
    let env = start().await;
    let product = kit::ids::new_id();
    let stream = env.schedule("Spring drop", &[&product]).await;
    assert_eq!(env.status(&stream.id).await, "SCHEDULED");

    let body = env.move_to("startLivestream", &stream.id).await;
    let live = &body["data"]["startLivestream"];
    assert_eq!(live["status"], "LIVE", "{body}");
    assert!(live["startedAt"].is_string());

    let body = env.move_to("endLivestream", &stream.id).await;
    let ended = &body["data"]["endLivestream"];
    assert_eq!(ended["status"], "ENDED", "{body}");
    assert!(ended["endedAt"].is_string());

    let events = env.events(&stream.id).await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "livestream.scheduled",
            "livestream.started",
            "livestream.ended"
        ]
    );
    let seqs: Vec<i64> = events
        .iter()
        .map(|(_, d)| d["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "seq grows: {seqs:?}");
    let started = &events[1].1;
    assert_eq!(started["title"], "Spring drop");
    assert_eq!(started["from"], "SCHEDULED");
    assert_eq!(started["to"], "LIVE");
    assert_eq!(started["cause"], "HOST");
    let url = started["url"].as_str().unwrap();
    assert!(url.contains(&stream.id), "a link to the stream: {url}");
    env.stop().await;
}

#[tokio::test]
async fn every_move_outside_the_table_is_a_conflict_naming_both_ends() {
    let env = start().await;
    let moves = [
        ("startLivestream", "LIVE"),
        ("endLivestream", "ENDED"),
        ("cancelLivestream", "CANCELLED"),
    ];
    // (how to reach the status, its name)
    let setups: [(&[&str], &str); 4] = [
        (&[], "SCHEDULED"),
        (&["startLivestream"], "LIVE"),
        (&["startLivestream", "endLivestream"], "ENDED"),
        (&["cancelLivestream"], "CANCELLED"),
    ];
    let allowed = [
        ("SCHEDULED", "LIVE"),
        ("SCHEDULED", "CANCELLED"),
        ("LIVE", "ENDED"),
    ];
    for (path, from) in setups {
        for (mutation, to) in moves {
            let stream = env.schedule("Table", &[]).await;
            for step in path {
                let body = env.move_to(step, &stream.id).await;
                assert!(body["errors"].is_null(), "{step}: {body}");
            }
            let body = env.move_to(mutation, &stream.id).await;
            if allowed.contains(&(from, to)) {
                assert_eq!(body["data"][mutation]["status"], to, "{from}->{to}: {body}");
            } else {
                assert_eq!(code(&body), "CONFLICT", "{from}->{to}: {body}");
                let msg = message(&body);
                assert!(msg.contains(from) && msg.contains(to), "{msg}");
                assert_eq!(env.status(&stream.id).await, from, "unchanged");
            }
        }
    }
    env.stop().await;
}

#[tokio::test]
async fn only_staff_host_and_only_staff_see_the_key() {
    let env = start().await;
    let customer = env.customer().await;
    let start = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let input = json!({ "title": "Mine", "scheduledStart": start });
    assert_eq!(
        code(&env.schedule_raw(None, input.clone()).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        code(&env.schedule_raw(Some(&customer.token), input).await),
        "FORBIDDEN"
    );

    let stream = env.schedule("Keys", &[]).await;
    for name in [
        "startLivestream",
        "endLivestream",
        "cancelLivestream",
        "rotateStreamKey",
    ] {
        let body = env
            .gql(
                &format!("mutation($id:ID!){{ {name}(id:$id){{ id }} }}"),
                json!({ "id": stream.id }),
                Some(&customer.token),
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{name}: {body}");
    }
    let query = "query($id:ID!){ livestream(id:$id){ title streamKey } }";
    let body = env
        .gql(query, json!({ "id": stream.id }), Some(&customer.token))
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    assert_eq!(
        body["data"]["livestream"]["title"], "Keys",
        "the rest stays readable"
    );
    assert!(body["data"]["livestream"]["streamKey"].is_null());

    // Playback never carries the key; the ingest name does, for staff.
    let body = env
        .staff_gql(
            "query($id:ID!){ livestream(id:$id){ hlsUrl playbackId ingestUrl ingestStreamName } }",
            json!({ "id": stream.id }),
        )
        .await;
    let s = &body["data"]["livestream"];
    let hls = s["hlsUrl"].as_str().unwrap();
    assert!(
        hls.contains(&stream.playback_id) && !hls.contains(&stream.key),
        "{hls}"
    );
    assert_eq!(
        s["ingestStreamName"],
        format!("{}?key={}", stream.playback_id, stream.key)
    );

    let body = env
        .staff_gql(
            "mutation($id:ID!){ rotateStreamKey(id:$id){ streamKey playbackId } }",
            json!({ "id": stream.id }),
        )
        .await;
    let rotated = body["data"]["rotateStreamKey"]["streamKey"]
        .as_str()
        .unwrap();
    assert_ne!(rotated, stream.key);
    assert_eq!(
        body["data"]["rotateStreamKey"]["playbackId"],
        stream.playback_id.as_str()
    );
    env.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let env = start().await;
    let ok_start = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let cases = [
        (
            json!({ "title": "  ", "scheduledStart": ok_start }),
            "input.title",
        ),
        (
            json!({ "title": "x".repeat(201), "scheduledStart": ok_start }),
            "input.title",
        ),
        (
            json!({ "title": "Past", "scheduledStart": past }),
            "input.scheduledStart",
        ),
        (
            json!({ "title": "Cover", "scheduledStart": ok_start, "coverImageUrl": "ftp://x" }),
            "input.coverImageUrl",
        ),
        (
            json!({ "title": "Ids", "scheduledStart": ok_start, "featuredProductIds": ["nope"] }),
            "input.featuredProductIds",
        ),
    ];
    for (input, expected) in cases {
        let body = env.schedule_raw(Some(&env.staff), input.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(field(&body), expected, "{input}");
    }
    let body = env.move_to("startLivestream", &kit::ids::new_id()).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = env.move_to("startLivestream", "x").await;
    assert_eq!(field(&body), "id");
    env.stop().await;
}

#[tokio::test]
async fn edits_apply_while_open_and_are_refused_after() {
    let env = start().await;
    let (a, b) = (kit::ids::new_id(), kit::ids::new_id());
    let stream = env.schedule("Draft title", &[&a]).await;
    let update = "mutation($id:ID!,$i:UpdateLivestreamInput!){ updateLivestream(id:$id,input:$i){ title description featuredProducts { id } } }";
    let body = env
        .staff_gql(
            update,
            json!({ "id": stream.id, "i": { "title": "Final", "description": "Hats", "featuredProductIds": [b, a] } }),
        )
        .await;
    let s = &body["data"]["updateLivestream"];
    assert_eq!(s["title"], "Final", "{body}");
    assert_eq!(s["description"], "Hats");
    assert_eq!(s["featuredProducts"], json!([{ "id": b }, { "id": a }]));

    env.move_to("cancelLivestream", &stream.id).await;
    let body = env
        .staff_gql(update, json!({ "id": stream.id, "i": { "title": "Late" } }))
        .await;
    assert_eq!(code(&body), "CONFLICT", "{body}");
    env.stop().await;
}

#[tokio::test]
async fn lists_filters_live_now_and_product_streams() {
    let env = start().await;
    let product = kit::ids::new_id();
    let upcoming = env.schedule("Upcoming", &[&product]).await;
    let live = env.live("On air").await;
    let cancelled = env.schedule("Off", &[&product]).await;
    env.move_to("cancelLivestream", &cancelled.id).await;
    let featured_live = env.schedule("Featured live", &[&product]).await;
    env.move_to("startLivestream", &featured_live.id).await;

    let ids = |body: &serde_json::Value, path: &str| -> Vec<String> {
        body["data"][path]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let list = "query($f:LivestreamFilter,$n:Int,$a:String){ livestreams(filter:$f,first:$n,after:$a){ totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let body = env
        .gql(list, json!({ "f": { "status": "LIVE" } }), None)
        .await;
    assert_eq!(
        ids(&body, "livestreams"),
        [featured_live.id.clone(), live.id.clone()]
    );
    assert_eq!(body["data"]["livestreams"]["totalCount"], 2);
    let body = env
        .gql(list, json!({ "f": { "upcoming": true } }), None)
        .await;
    assert_eq!(ids(&body, "livestreams"), vec![upcoming.id.clone()]);

    // Keyset pages of two walk all four, newest first, without repeats.
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let body = env.gql(list, json!({ "n": 2, "a": after }), None).await;
        seen.extend(ids(&body, "livestreams"));
        let info = &body["data"]["livestreams"]["pageInfo"];
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(
        seen,
        [
            featured_live.id.clone(),
            cancelled.id.clone(),
            live.id.clone(),
            upcoming.id.clone()
        ]
    );

    let body = env.gql("{ liveNow { id status } }", json!({}), None).await;
    let now: Vec<&str> = body["data"]["liveNow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(now, [featured_live.id.as_str(), live.id.as_str()]);

    let body = env
        .gql(
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on Product { id livestreams { id } } } }",
            json!({ "r": [{ "__typename": "Product", "id": product }, { "__typename": "Product", "id": kit::ids::new_id() }] }),
            None,
        )
        .await;
    assert_eq!(
        body["data"]["_entities"][0]["livestreams"],
        json!([{ "id": featured_live.id }, { "id": upcoming.id }]),
        "cancelled left out: {body}"
    );
    assert_eq!(body["data"]["_entities"][1]["livestreams"], json!([]));
    env.stop().await;
}
