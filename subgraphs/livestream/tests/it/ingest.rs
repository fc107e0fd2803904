//! The media-server callbacks over HTTP, as nginx-rtmp and MediaMTX send them: the right key
//! takes a SCHEDULED stream LIVE, a wrong or missing key is refused with 403 and changes
//! nothing, a reconnect to a LIVE stream is accepted, a stream that is over takes no publisher,
//! and the publisher leaving ends the stream.

use serde_json::json;

use crate::common::*;

const PUBLISH: &str = "/ingest/nginx/on_publish";
const DONE: &str = "/ingest/nginx/on_publish_done";

fn nginx_form<'a>(name: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("call", "publish"),
        ("app", "live"),
        ("addr", "127.0.0.1"),
        ("clientid", "1"),
        ("flashVer", "FMLE/3.0"),
        ("tcUrl", "rtmp://127.0.0.1/live"),
        ("name", name),
        ("type", "live"),
        ("key", key),
    ]
}

#[tokio::test]
async fn nginx_publish_with_the_key_goes_live_and_done_ends_it() {
    let env = start().await;
    let stream = env.schedule("Ingest", &[]).await;

    for (name, key) in [
        (stream.playback_id.as_str(), "wrong-key"),
        (stream.playback_id.as_str(), ""),
        (stream.key.as_str(), stream.key.as_str()),
        ("unknown", stream.key.as_str()),
    ] {
        assert_eq!(
            env.callback(PUBLISH, &nginx_form(name, key)).await,
            403,
            "{name} {key}"
        );
    }
    assert_eq!(env.status(&stream.id).await, "SCHEDULED");
    // A disconnect with a wrong key does not end anything either.
    assert_eq!(
        env.callback(DONE, &nginx_form(&stream.playback_id, "x"))
            .await,
        403
    );

    let form = nginx_form(&stream.playback_id, &stream.key);
    assert_eq!(env.callback(PUBLISH, &form).await, 200);
    assert_eq!(env.status(&stream.id).await, "LIVE");
    assert_eq!(
        env.callback(PUBLISH, &form).await,
        200,
        "a reconnect is accepted"
    );

    assert_eq!(env.callback(DONE, &form).await, 200);
    assert_eq!(env.status(&stream.id).await, "ENDED");
    assert_eq!(
        env.callback(PUBLISH, &form).await,
        403,
        "an ended stream takes no publisher"
    );

    let events = env.events(&stream.id).await;
    let causes: Vec<_> = events
        .iter()
        .skip(1)
        .map(|(t, d)| (t.as_str(), d["cause"].as_str().unwrap()))
        .collect();
    assert_eq!(
        causes,
        [
            ("livestream.started", "PUBLISHER"),
            ("livestream.ended", "PUBLISHER")
        ]
    );
    env.stop().await;
}

#[tokio::test]
async fn a_rotated_key_refuses_the_old_one() {
    let env = start().await;
    let stream = env.schedule("Rotate", &[]).await;
    env.staff_gql(
        "mutation($id:ID!){ rotateStreamKey(id:$id){ id } }",
        json!({ "id": stream.id }),
    )
    .await;
    let form = nginx_form(&stream.playback_id, &stream.key);
    assert_eq!(env.callback(PUBLISH, &form).await, 403);
    assert_eq!(env.status(&stream.id).await, "SCHEDULED");
    env.stop().await;
}

#[tokio::test]
async fn cancelled_streams_take_no_publisher() {
    let env = start().await;
    let stream = env.schedule("Cancelled", &[]).await;
    env.move_to("cancelLivestream", &stream.id).await;
    let form = nginx_form(&stream.playback_id, &stream.key);
    assert_eq!(env.callback(PUBLISH, &form).await, 403);
    assert_eq!(env.status(&stream.id).await, "CANCELLED");
    env.stop().await;
}

#[tokio::test]
async fn mediamtx_auth_and_unpublish() {
    let env = start().await;
    let stream = env.schedule("MediaMTX", &[]).await;
    let post = |path: &'static str, body: serde_json::Value| {
        let env = &env;
        async move {
            env.app
                .http
                .post(format!("{}{path}", env.app.url))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let path = format!("live/{}", stream.playback_id);
    let auth = |action: &str, query: String| {
        json!({ "user": "", "password": "", "ip": "127.0.0.1", "action": action,
                "path": path, "protocol": "rtmp", "id": null, "query": query })
    };
    assert_eq!(
        post("/ingest/mediamtx/auth", auth("publish", "key=nope".into())).await,
        403
    );
    assert_eq!(
        post("/ingest/mediamtx/auth", auth("read", String::new())).await,
        200,
        "viewing is public"
    );
    assert_eq!(
        post("/ingest/mediamtx/auth", auth("api", String::new())).await,
        403
    );
    assert_eq!(env.status(&stream.id).await, "SCHEDULED");
    let good = format!("key={}", stream.key);
    assert_eq!(
        post("/ingest/mediamtx/auth", auth("publish", good.clone())).await,
        200
    );
    assert_eq!(env.status(&stream.id).await, "LIVE");
    let body = json!({ "path": path, "query": good });
    assert_eq!(post("/ingest/mediamtx/unpublish", body).await, 200);
    assert_eq!(env.status(&stream.id).await, "ENDED");
    env.stop().await;
}
