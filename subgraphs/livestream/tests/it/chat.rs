//! Chat over HTTP: signed-in users post while the stream is LIVE; every bad input gets its
//! clear error (empty, too long, not signed in, stream not live, unknown stream, rate limited,
//! muted); staff delete messages and mute users; history is newest first, keyset-paged.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn bad_chat_input_gets_a_clear_error() {
    let env = start_with(&[("CHAT_MAX_CHARS", "500"), ("CHAT_RATE_MAX", "1000")]).await;
    let user = env.customer().await;
    let stream = env.live("Chat").await;

    let body = env.chat(Some(&user.token), &stream.id, "  hello  ").await;
    assert_eq!(
        body["data"]["sendChatMessage"]["text"], "hello",
        "trimmed: {body}"
    );
    assert_eq!(
        body["data"]["sendChatMessage"]["author"]["id"],
        user.id.as_str()
    );
    let body = env
        .chat(Some(&user.token), &stream.id, &"é".repeat(500))
        .await;
    assert!(body["errors"].is_null(), "500 characters are fine: {body}");

    for text in ["", "   ", &"a".repeat(501)] {
        let body = env.chat(Some(&user.token), &stream.id, text).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(field(&body), "text");
    }
    let body = env.chat(None, &stream.id, "hi").await;
    assert_eq!(code(&body), "UNAUTHENTICATED");
    let body = env.chat(Some(&user.token), "nope", "hi").await;
    assert_eq!(field(&body), "streamId");
    let body = env.chat(Some(&user.token), &kit::ids::new_id(), "hi").await;
    assert_eq!(code(&body), "NOT_FOUND");

    let scheduled = env.schedule("Not yet", &[]).await;
    let body = env.chat(Some(&user.token), &scheduled.id, "early").await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(field(&body), "streamId");
    assert!(message(&body).contains("SCHEDULED"), "{body}");
    env.move_to("endLivestream", &stream.id).await;
    let body = env.chat(Some(&user.token), &stream.id, "late").await;
    assert_eq!(field(&body), "streamId");
    assert!(message(&body).contains("ENDED"), "{body}");
    env.stop().await;
}

#[tokio::test]
async fn each_user_is_rate_limited_on_their_own() {
    let env = start_with(&[("CHAT_RATE_MAX", "3"), ("CHAT_RATE_WINDOW_MS", "600000")]).await;
    let (a, b) = (env.customer().await, env.customer().await);
    let stream = env.live("Busy").await;
    for i in 0..3 {
        let body = env.chat(Some(&a.token), &stream.id, &format!("a{i}")).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let body = env.chat(Some(&a.token), &stream.id, "a3").await;
    assert_eq!(code(&body), "RATE_LIMITED", "{body}");
    assert!(
        body["errors"][0]["extensions"]["retryAfterSeconds"]
            .as_u64()
            .unwrap()
            > 0
    );
    let body = env.chat(Some(&b.token), &stream.id, "b0").await;
    assert!(
        body["errors"].is_null(),
        "another user is not limited: {body}"
    );
    env.stop().await;
}

#[tokio::test]
async fn staff_delete_and_mute_and_history_is_newest_first() {
    let env = start_with(&[("CHAT_RATE_MAX", "1000")]).await;
    let (user, troll) = (env.customer().await, env.customer().await);
    let stream = env.live("Moderated").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = env
            .chat(Some(&user.token), &stream.id, &format!("m{i}"))
            .await;
        ids.push(
            body["data"]["sendChatMessage"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let body = env.chat(Some(&troll.token), &stream.id, "spam").await;
    let spam = body["data"]["sendChatMessage"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let delete = "mutation($id:ID!){ deleteChatMessage(id:$id){ id deletedAt } }";
    let body = env
        .gql(delete, json!({ "id": spam }), Some(&user.token))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let body = env.staff_gql(delete, json!({ "id": spam })).await;
    assert!(
        body["data"]["deleteChatMessage"]["deletedAt"].is_string(),
        "{body}"
    );
    let again = env.staff_gql(delete, json!({ "id": spam })).await;
    assert!(again["errors"].is_null(), "deleting twice is fine: {again}");
    let body = env
        .staff_gql(delete, json!({ "id": kit::ids::new_id() }))
        .await;
    assert_eq!(code(&body), "NOT_FOUND");

    let mute = "mutation($s:ID!,$u:ID!,$m:Int!){ muteChatUser(streamId:$s,userId:$u,minutes:$m){ userId until } }";
    let vars = json!({ "s": stream.id, "u": troll.id, "m": 10 });
    assert_eq!(
        code(&env.gql(mute, vars.clone(), Some(&user.token)).await),
        "FORBIDDEN"
    );
    for bad in [0, 43_201] {
        let body = env
            .staff_gql(mute, json!({ "s": stream.id, "u": troll.id, "m": bad }))
            .await;
        assert_eq!(field(&body), "minutes", "{body}");
    }
    let body = env.staff_gql(mute, vars).await;
    assert_eq!(
        body["data"]["muteChatUser"]["userId"],
        troll.id.as_str(),
        "{body}"
    );
    let body = env.chat(Some(&troll.token), &stream.id, "still here").await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = env.chat(Some(&user.token), &stream.id, "m5").await;
    ids.push(
        body["data"]["sendChatMessage"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
    );

    // Newest first, the deleted one left out, in pages of four.
    let history = "query($id:ID!,$a:String){ livestream(id:$id){ chat(first:4,after:$a){ totalCount edges { node { id text } } pageInfo { hasNextPage endCursor } } } }";
    let body = env.gql(history, json!({ "id": stream.id }), None).await;
    let chat = &body["data"]["livestream"]["chat"];
    assert_eq!(chat["totalCount"], 6, "{body}");
    let mut seen: Vec<String> = Vec::new();
    let page = |c: &serde_json::Value| -> Vec<String> {
        c["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    seen.extend(page(chat));
    assert_eq!(chat["pageInfo"]["hasNextPage"], true);
    let after = chat["pageInfo"]["endCursor"].clone();
    let body = env
        .gql(history, json!({ "id": stream.id, "a": after }), None)
        .await;
    let chat = &body["data"]["livestream"]["chat"];
    seen.extend(page(chat));
    assert_eq!(chat["pageInfo"]["hasNextPage"], false);
    ids.reverse();
    assert_eq!(seen, ids);

    let types: Vec<String> = env
        .events(&stream.id)
        .await
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "livestream.chat_posted")
            .count(),
        7
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "livestream.chat_deleted")
            .count(),
        1
    );
    env.stop().await;
}
