//! The category tree and collections: paths and children, moves that would create a cycle are
//! refused, `category.products` covers the subtree, filters by category and collection, and a
//! collection keeps its manual order.

use crate::common::*;
use serde_json::{json, Value};

async fn category(env: &Env, name: &str, parent: Option<&str>) -> String {
    let data = env
        .staff(
            "mutation($i:CreateCategoryInput!){ createCategory(input:$i){ id } }",
            json!({ "i": { "name": name, "parentId": parent } }),
        )
        .await;
    data["createCategory"]["id"].as_str().unwrap().to_string()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn tree_paths_moves_and_subtree_products() {
    let env = start().await;
    let clothing = category(&env, "Clothing", None).await;
    let tops = category(&env, "Tops", Some(&clothing)).await;
    let shirts = category(&env, "Shirts", Some(&tops)).await;
    let shoes = category(&env, "Shoes", None).await;

    let q = "query($id:ID!){ category(id:$id){ name depth path { name } parent { name } children { name } } }";
    let c = &env.public(q, json!({ "id": shirts })).await["data"]["category"];
    assert_eq!(names(&c["path"]), ["Clothing", "Tops", "Shirts"]);
    assert_eq!(c["depth"], 2);
    assert_eq!(c["parent"]["name"], "Tops");
    let c = &env.public(q, json!({ "id": clothing })).await["data"]["category"];
    assert_eq!(names(&c["children"]), ["Tops"]);

    // A category cannot move under itself or its descendants.
    let mv = "mutation($id:ID!,$p:ID!){ updateCategory(id:$id, input:{ parentId:$p }){ id } }";
    for target in [&clothing, &shirts] {
        let body = env
            .catalog
            .gql(mv, json!({ "id": clothing, "p": target }), Some(&env.staff))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert_eq!(field(&body), "input.parentId");
    }
    // Moving Tops (and Shirts with it) under Shoes rewrites the subtree's paths.
    env.staff(mv, json!({ "id": tops, "p": shoes })).await;
    let c = &env.public(q, json!({ "id": shirts })).await["data"]["category"];
    assert_eq!(names(&c["path"]), ["Shoes", "Tops", "Shirts"]);
    let roots = env.public("{ rootCategories { name } }", json!({})).await;
    assert_eq!(
        names(&roots["data"]["rootCategories"]),
        ["Clothing", "Shoes"]
    );

    // Products filed at any depth show under every ancestor.
    let a = published(
        &env,
        json!({ "title": "Oxford Shirt", "categoryId": shirts }),
        "40.00",
    )
    .await;
    let b = published(
        &env,
        json!({ "title": "Runner", "categoryId": shoes }),
        "60.00",
    )
    .await;
    let _c = published(
        &env,
        json!({ "title": "Scarf", "categoryId": clothing }),
        "15.00",
    )
    .await;
    let q = "query($id:ID!){ category(id:$id){ products(first:10){ totalCount edges { node { id } } } } }";
    let p = &env.public(q, json!({ "id": shoes })).await["data"]["category"]["products"];
    assert_eq!(p["totalCount"], 2);
    assert_eq!(ids(p), vec![b.clone(), a.clone()]);
    let p = &env.public(q, json!({ "id": shirts })).await["data"]["category"]["products"];
    assert_eq!(ids(p), vec![a.clone()]);
    let body = env
        .public(
            "query($c:ID!){ products(filter:{ categoryId:$c }){ totalCount } }",
            json!({ "c": tops }),
        )
        .await;
    assert_eq!(body["data"]["products"]["totalCount"], 1);
    // A category that does not exist has no products (and is not an error).
    let body = env
        .public(
            "query($c:ID!){ products(first:5, filter:{ categoryId:$c }){ totalCount edges { node { id } } } }",
            json!({ "c": kit::ids::new_id() }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["products"]["totalCount"], 0);
    assert_eq!(ids(&body["data"]["products"]), Vec::<String>::new());

    // Duplicate slug.
    let body = env
        .catalog
        .gql(
            "mutation{ createCategory(input:{ name:\"Shoes\" }){ id } }",
            json!({}),
            Some(&env.staff),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT");
    env.stop().await;
}

#[tokio::test]
async fn collections_keep_manual_order() {
    let env = start().await;
    let a = published(&env, json!({ "title": "A" }), "1.00").await;
    let b = published(&env, json!({ "title": "B" }), "2.00").await;
    let c = published(&env, json!({ "title": "C" }), "3.00").await;
    let draft = product(&env, json!({ "title": "Draft" })).await;
    let data = env
        .staff(
            "mutation{ createCollection(input:{ title:\"Summer Picks\" }){ id slug } }",
            json!({}),
        )
        .await;
    let col = data["createCollection"]["id"].as_str().unwrap().to_string();
    assert_eq!(data["createCollection"]["slug"], "summer-picks");
    let add = "mutation($c:ID!,$p:[ID!]!){ addProductsToCollection(collectionId:$c, productIds:$p){ id } }";
    env.staff(add, json!({ "c": col, "p": [c, a, draft] }))
        .await;
    env.staff(add, json!({ "c": col, "p": [b, a] })).await;

    let q = "query($s:String!,$a:String){ collection(slug:$s){ products(first:2, after:$a){ totalCount pageInfo { endCursor hasNextPage } edges { node { id } } } } }";
    let p1 = &env.public(q, json!({ "s": "summer-picks" })).await["data"]["collection"]["products"];
    assert_eq!(p1["totalCount"], 3, "the draft is hidden from the public");
    assert_eq!(ids(p1), vec![c.clone(), a.clone()]);
    let p2 = &env
        .public(
            q,
            json!({ "s": "summer-picks", "a": p1["pageInfo"]["endCursor"] }),
        )
        .await["data"]["collection"]["products"];
    assert_eq!(ids(p2), vec![b.clone()]);
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);

    // Staff see the draft; removal; filter by collection.
    let staff = env.staff(q, json!({ "s": "summer-picks" })).await;
    assert_eq!(staff["collection"]["products"]["totalCount"], 4);
    env.staff(
        "mutation($c:ID!,$p:[ID!]!){ removeProductsFromCollection(collectionId:$c, productIds:$p){ id } }",
        json!({ "c": col, "p": [c] }),
    )
    .await;
    let body = env
        .public(
            "query($c:ID!){ products(filter:{ collectionId:$c }, sort: PRICE_ASC){ edges { node { id } } } }",
            json!({ "c": col }),
        )
        .await;
    assert_eq!(ids(&body["data"]["products"]), vec![a, b]);

    let body = env
        .catalog
        .gql(
            add,
            json!({ "c": col, "p": [kit::ids::new_id()] }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(field(&body), "productIds[0]");

    // Collections are entities too.
    let body = env
        .public(
            "query($r:[_Any!]!){ _entities(representations:$r){ ... on Collection { title } } }",
            json!({ "r": [{ "__typename": "Collection", "id": col }] }),
        )
        .await;
    assert_eq!(
        body["data"]["_entities"],
        json!([{ "title": "Summer Picks" }])
    );
    env.stop().await;
}

/// A storefront listing page (a category's products with their variants) is one statement
/// per level: the category (which says it is a leaf), its page, and the page's variants; a
/// parent category's page reads its subtree inside the page's statement, so it costs the same,
/// and so does the root `products` list filtered by category (its page and the variants).
#[tokio::test]
async fn a_listing_page_reads_one_statement_per_level() {
    let env = start().await;
    let root = category(&env, "Outdoor", None).await;
    let leaf = category(&env, "Tents", Some(&root)).await;
    let mut expected = Vec::new();
    for i in 0..5 {
        let id = published(
            &env,
            json!({ "title": format!("Tent {i}"), "categoryId": leaf }),
            "99.00",
        )
        .await;
        expected.insert(0, id);
    }
    // One product with two variants: the joined page carries both, in order, on that product.
    variant(&env, &expected[2], "SKU-TENT-SECOND", "120.00").await;
    let q = "query($id:ID!){ category(id:$id){ name products(first:24){ edges { node { id title variants { id price { amount } } } } pageInfo { hasNextPage } } } }";
    // The category, then the page with its variants joined (one statement, not two).
    for (id, statements) in [(&leaf, 2), (&root, 2)] {
        let before = env.catalog.metric("db_statements_total").await;
        let body = env.public(q, json!({ "id": id })).await;
        let cost = env.catalog.metric("db_statements_total").await - before;
        let page = &body["data"]["category"]["products"];
        assert_eq!(ids(page), expected, "{body}");
        assert!(page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["node"]["variants"][0]["price"]["amount"] == "99.00"));
        let counts: Vec<usize> = page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["variants"].as_array().unwrap().len())
            .collect();
        assert_eq!(counts, [1, 1, 2, 1, 1], "{body}");
        assert_eq!(
            page["edges"][2]["node"]["variants"][1]["price"]["amount"],
            "120.00"
        );
        assert_eq!(cost, statements, "statements for category {id}");
    }
    let q = "query($id:ID!){ products(first:24, filter:{categoryId:$id}){ edges { node { id variants { id } } } } }";
    for id in [&leaf, &root] {
        let before = env.catalog.metric("db_statements_total").await;
        let body = env.public(q, json!({ "id": id })).await;
        let cost = env.catalog.metric("db_statements_total").await - before;
        assert_eq!(ids(&body["data"]["products"]), expected, "{body}");
        assert_eq!(cost, 1, "statements for products under {id}");
    }
    env.stop().await;
}
