//! Federation directives through the router, on the "library" fixture world.

use serde_json::json;

use crate::common::*;
use crate::library::*;

async fn library() -> String {
    let catalog = serve_subgraph(catalog::schema()).await;
    let films = serve_subgraph(films::schema()).await;
    let pricing = serve_subgraph(pricing::schema()).await;
    let isbndb = serve_subgraph(isbndb::schema()).await;
    let stock = serve_subgraph(stock::schema()).await;
    start_router(&[
        ("catalog", &catalog),
        ("films", &films),
        ("pricing", &pricing),
        ("isbndb", &isbndb),
        ("stock", &stock),
    ])
    .await
}

#[tokio::test]
async fn multiple_and_compound_keys_with_nested_requires() {
    let url = library().await;
    let body = gql(
        &url,
        "{ books { title pages area copies { shelf available label } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {"books": [
            {"title": "Dune", "pages": 412, "area": 200, "copies": [
                {"shelf": "A", "available": true, "label": "b1:A:new"},
                {"shelf": "B", "available": false, "label": "b1:B:worn"}]},
            {"title": "Emma", "pages": 300, "area": 25, "copies": [
                {"shelf": "A", "available": true, "label": "b2:A:new"},
                {"shelf": "B", "available": false, "label": "b2:B:worn"}]}
        ]}})
    );
}

#[tokio::test]
async fn override_moves_the_field_and_shareable_root_field_resolves() {
    let url = library().await;
    let body = gql(
        &url,
        "{ featured { id title price } books { price } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "featured": {"id": "b1", "title": "Dune", "price": 2000},
            "books": [{"price": 2000}, {"price": 600}]
        }})
    );
}

#[tokio::test]
async fn unions_and_interfaces_with_members_in_other_subgraphs() {
    let url = library().await;
    let body = gql(
        &url,
        "{ search { __typename ... on Book { title } ... on Movie { title year } }
           media { id ... on Movie { title } ... on Book { isbn pages } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        body,
        json!({"data": {
            "search": [
                {"__typename": "Book", "title": "Dune"},
                {"__typename": "Movie", "title": "Alien", "year": 1979}
            ],
            "media": [
                {"id": "m1", "title": "Alien"},
                {"id": "b2", "isbn": "222", "pages": 300}
            ]
        }})
    );
}

#[tokio::test]
async fn inaccessible_fields_are_not_in_the_api() {
    let url = library().await;
    let (status, body) = post(&url, "{ books { secret } }", json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("secret"));
    let body = gql(
        &url,
        r#"{ __type(name: "Book") { fields { name } } }"#,
        json!({}),
    )
    .await;
    let names: Vec<&str> = body["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"title") && !names.contains(&"secret"),
        "{names:?}"
    );
}
