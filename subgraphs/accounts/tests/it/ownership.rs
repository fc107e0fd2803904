//! Private data stays private: a customer cannot read or change another customer's addresses
//! or profile fields; staff can list and search users; only admins change roles.

use crate::common::*;
use serde_json::json;

const ADD: &str = "mutation($i:AddressInput!){ addAddress(input:$i){ id fullName countryCode } }";

fn address(name: &str) -> serde_json::Value {
    json!({ "fullName": name, "line1": "1 Infinite Loop", "city": "Cupertino", "postalCode": "95014", "countryCode": "us" })
}

#[tokio::test]
async fn customers_cannot_touch_each_others_addresses() {
    let app = start().await;
    let alice = customer(&app, "alice").await;
    let mallory = customer(&app, "mallory").await;
    let added = app
        .gql(ADD, json!({ "i": address("Alice") }), Some(&alice.access))
        .await;
    let addr = added["data"]["addAddress"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{added}"))
        .to_string();
    assert_eq!(added["data"]["addAddress"]["countryCode"], json!("US"));

    let read = app
        .gql(
            "query($id:ID!){ address(id:$id){ id } }",
            json!({ "id": addr }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&read), "NOT_FOUND", "{read}");
    let update = app
        .gql(
            "mutation($id:ID!,$i:AddressInput!){ updateAddress(id:$id,input:$i){ id } }",
            json!({ "id": addr, "i": address("Mallory") }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&update), "NOT_FOUND");
    let remove = app
        .gql(
            "mutation($id:ID!){ removeAddress(id:$id) }",
            json!({ "id": addr }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&remove), "NOT_FOUND");
    let default = app
        .gql(
            "mutation($id:ID!){ setDefaultAddress(id:$id){ id } }",
            json!({ "id": addr }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&default), "NOT_FOUND");

    // Through another user's profile: private fields are refused.
    let other = app
        .gql(
            "query($id:ID!){ user(id:$id){ id addresses { id } } }",
            json!({ "id": alice.user_id }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&other), "FORBIDDEN");
    let entity = app
        .gql(
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on User { name email } } }",
            json!({ "r": [{ "__typename": "User", "id": alice.user_id }] }),
            Some(&mallory.access),
        )
        .await;
    assert_eq!(code(&entity), "FORBIDDEN");
    assert!(
        !entity.to_string().contains("@example.com"),
        "email leaked: {entity}"
    );

    // Unauthenticated: no access at all.
    let anon = app
        .gql(
            "query($id:ID!){ address(id:$id){ id } }",
            json!({ "id": addr }),
            None,
        )
        .await;
    assert_eq!(code(&anon), "UNAUTHENTICATED");

    // Alice's address is intact, and she can manage it.
    let mine = app
        .gql(
            "{ me { addresses { id fullName } defaultAddress { id } } }",
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(
        mine["data"]["me"]["addresses"],
        json!([{ "id": addr, "fullName": "Alice" }])
    );
    assert_eq!(mine["data"]["me"]["defaultAddress"]["id"], json!(addr));
    let removed = app
        .gql(
            "mutation($id:ID!){ removeAddress(id:$id) }",
            json!({ "id": addr }),
            Some(&alice.access),
        )
        .await;
    assert_eq!(removed["data"]["removeAddress"], json!(addr));
    let mine = app
        .gql(
            "{ me { addresses { id } defaultAddress { id } } }",
            json!({}),
            Some(&alice.access),
        )
        .await;
    assert_eq!(
        mine["data"]["me"],
        json!({ "addresses": [], "defaultAddress": null })
    );
    app.stop().await;
}

#[tokio::test]
async fn staff_list_and_search_users_with_keyset_pages() {
    let (app, admin) = admin_app().await;
    let cust = customer(&app, "pager").await;
    for i in 0..5 {
        register(
            &app,
            &unique_email(&format!("page{i}")),
            &format!("Pager {i}"),
        )
        .await;
    }
    // Customers may not list users.
    let denied = app
        .gql(
            "{ users(first: 2) { totalCount } }",
            json!({}),
            Some(&cust.access),
        )
        .await;
    assert_eq!(code(&denied), "FORBIDDEN");

    // Promote a customer to staff; staff can list.
    let promoted = app
        .gql(
            "mutation($u:ID!){ setUserRole(userId:$u, role: STAFF){ id role } }",
            json!({ "u": cust.user_id }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(
        promoted["data"]["setUserRole"]["role"],
        json!("STAFF"),
        "{promoted}"
    );
    let staff = login(&app, &app_email(&app, &admin.access, &cust.user_id).await).await;

    let q = "query($a:String){ users(first: 3, after: $a, search: \"pager\") { totalCount edges { cursor node { id name email } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app.gql(q, json!({ "a": after }), Some(&staff.access)).await;
        let conn = &page["data"]["users"];
        assert_eq!(conn["totalCount"], json!(6), "{page}");
        for e in conn["edges"].as_array().unwrap() {
            seen.push(e["node"]["id"].as_str().unwrap().to_string());
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 6);
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "keyset order is by id");

    // Backwards from the end gives the last two.
    let back = app.gql("{ users(last: 2, search: \"pager\") { edges { node { id } } pageInfo { hasPreviousPage } } }", json!({}), Some(&staff.access)).await;
    let ids: Vec<_> = back["data"]["users"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, seen[4..].to_vec());
    assert_eq!(
        back["data"]["users"]["pageInfo"]["hasPreviousPage"],
        json!(true)
    );

    // LIKE wildcards are literal; a bad cursor is bad input.
    let wild = app
        .gql(
            "{ users(first: 5, search: \"%\") { totalCount } }",
            json!({}),
            Some(&staff.access),
        )
        .await;
    assert_eq!(wild["data"]["users"]["totalCount"], json!(0));
    let bad = app
        .gql(
            "{ users(first: 5, after: \"@@@\") { totalCount } }",
            json!({}),
            Some(&staff.access),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");

    // Staff cannot change roles; admins cannot change their own.
    let no = app
        .gql(
            "mutation($u:ID!){ setUserRole(userId:$u, role: ADMIN){ id } }",
            json!({ "u": staff.user_id }),
            Some(&staff.access),
        )
        .await;
    assert_eq!(code(&no), "FORBIDDEN");
    let selfie = app
        .gql(
            "mutation($u:ID!){ setUserRole(userId:$u, role: CUSTOMER){ id } }",
            json!({ "u": admin.user_id }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(code(&selfie), "BAD_USER_INPUT");
    app.stop().await;
}

/// The email of `user_id`, read as an admin.
async fn app_email(app: &kit::testing::TestApp, admin: &str, user_id: &str) -> String {
    let body = app
        .gql(
            "query($id:ID!){ user(id:$id){ email } }",
            json!({ "id": user_id }),
            Some(admin),
        )
        .await;
    body["data"]["user"]["email"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string()
}
