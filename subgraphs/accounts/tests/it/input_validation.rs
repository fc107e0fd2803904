//! Hostile and malformed input gets `BAD_USER_INPUT` naming the field and never reaches SQL
//! as code: oversized values, SQL metacharacters, invalid emails, bad UTF-8, malformed bodies.

use crate::common::*;
use serde_json::json;

const REGISTER: &str = "mutation($e:String!,$p:String!,$n:String!){ register(email:$e,password:$p,name:$n){ id name } }";

async fn register_err(
    app: &kit::testing::TestApp,
    email: &str,
    password: &str,
    name: &str,
) -> (String, String) {
    let body = app
        .gql(
            REGISTER,
            json!({ "e": email, "p": password, "n": name }),
            None,
        )
        .await;
    (
        code(&body),
        body["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

#[tokio::test]
async fn invalid_emails_passwords_and_names_name_their_field() {
    let app = start().await;
    for bad in [
        "",
        "no-at-sign",
        "two@@example.com",
        "x'; DROP TABLE users;--@example.com",
        "a@b",
        "spaced name@example.com",
        "\u{0}@example.com",
    ] {
        assert_eq!(
            register_err(&app, bad, PASSWORD, "N").await,
            ("BAD_USER_INPUT".into(), "email".into()),
            "{bad:?}"
        );
    }
    let long_email = format!("{}@example.com", "a".repeat(300));
    assert_eq!(
        register_err(&app, &long_email, PASSWORD, "N").await.1,
        "email"
    );
    assert_eq!(
        register_err(&app, &unique_email("p"), "short", "N").await.1,
        "password"
    );
    assert_eq!(
        register_err(&app, &unique_email("p"), &"x".repeat(10_000), "N")
            .await
            .1,
        "password"
    );
    assert_eq!(
        register_err(&app, &unique_email("p"), "password1234", "N")
            .await
            .1,
        "password"
    );
    assert_eq!(
        register_err(&app, &unique_email("n"), PASSWORD, "").await.1,
        "name"
    );
    assert_eq!(
        register_err(&app, &unique_email("n"), PASSWORD, &"n".repeat(101))
            .await
            .1,
        "name"
    );
    assert_eq!(
        register_err(&app, &unique_email("n"), PASSWORD, "bell\u{7}")
            .await
            .1,
        "name"
    );
    app.stop().await;
}

#[tokio::test]
async fn sql_metacharacters_are_data_not_code() {
    let app = start().await;
    let name = "Robert'); DROP TABLE users;-- \" \\ %_";
    let email = unique_email("bobby");
    let body = app
        .gql(
            REGISTER,
            json!({ "e": email, "p": PASSWORD, "n": name }),
            None,
        )
        .await;
    assert_eq!(body["data"]["register"]["name"], json!(name), "{body}");
    let s = login(&app, &email).await;
    let me = app
        .gql("{ me { name email } }", json!({}), Some(&s.access))
        .await;
    assert_eq!(me["data"]["me"], json!({ "name": name, "email": email }));
    // An id that is SQL is just a malformed id.
    let addr = app
        .gql(
            "{ address(id: \"1' OR '1'='1\") { id } }",
            json!({}),
            Some(&s.access),
        )
        .await;
    assert_eq!(code(&addr), "BAD_USER_INPUT");
    assert_eq!(addr["errors"][0]["extensions"]["field"], json!("id"));
    app.stop().await;
}

#[tokio::test]
async fn malformed_request_bodies_are_bad_user_input() {
    let app = start().await;
    let (status, body) = app
        .post_raw(b"{\"query\":\"{ me { id } }\xff\xfe\"}".to_vec())
        .await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT".into()));
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));

    let (status, body) = app
        .post_raw(br#"{"query": "{ me { id } }", "variables": {"x": "\ud800"}}"#.to_vec())
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "BAD_USER_INPUT".into()),
        "lone surrogate: {body}"
    );

    let (status, body) = app.post_raw(b"not json".to_vec()).await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT".into()));

    let huge = serde_json::to_vec(
        &json!({ "query": "{ me { id } }", "variables": { "pad": "x".repeat(200_000) } }),
    )
    .unwrap();
    let (status, body) = app.post_raw(huge).await;
    assert_eq!((status, code(&body)), (413, "BAD_USER_INPUT".into()));

    let address = json!({ "fullName": "x".repeat(5000), "line1": "l", "city": "c", "postalCode": "p", "countryCode": "DE" });
    let s = customer(&app, "big").await;
    let body = app
        .gql(
            "mutation($i:AddressInput!){ addAddress(input:$i){ id } }",
            json!({ "i": address }),
            Some(&s.access),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!("input.fullName")
    );

    let country = json!({ "fullName": "A", "line1": "l", "city": "c", "postalCode": "p", "countryCode": "Germany" });
    let body = app
        .gql(
            "mutation($i:AddressInput!){ addAddress(input:$i){ id } }",
            json!({ "i": country }),
            Some(&s.access),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"],
        json!("input.countryCode")
    );

    // Type errors from GraphQL itself also carry a code.
    let body = app
        .gql(
            "{ users(first: \"ten\") { totalCount } }",
            json!({}),
            Some(&s.access),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    app.stop().await;
}
