//! Products and variants through the API: staff create, publish and archive; the public sees
//! published products only; validation names the field; duplicate slug and SKU conflict;
//! mutations need a staff token.

use crate::common::*;
use serde_json::json;

#[tokio::test]
async fn staff_manage_products_and_the_public_sees_published_ones() {
    let env = start().await;
    let id = product(
        &env,
        json!({ "title": "Trail Runner 2", "description": "Grippy shoe", "brand": "Acme",
                "attributes": [{ "name": "Material", "value": "mesh" }] }),
    )
    .await;
    let q = format!("query($id:ID!){{ product(id:$id){{ {PRODUCT_FIELDS} }} }}");
    // A draft is invisible to the public, visible to staff.
    let body = env.public(&q, json!({ "id": id })).await;
    assert_eq!(body["data"]["product"], json!(null));
    let data = env.staff(&q, json!({ "id": id })).await;
    assert_eq!(data["product"]["slug"], "trail-runner-2");
    assert_eq!(data["product"]["status"], "DRAFT");
    assert_eq!(
        data["product"]["attributes"],
        json!([{ "name": "material", "value": "mesh" }])
    );

    // Publishing needs a variant.
    let body = env
        .catalog
        .gql(
            "mutation($id:ID!){ publishProduct(id:$id){ id } }",
            json!({ "id": id }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    let vid = variant(&env, &id, "TR2-42", "89.90").await;
    publish(&env, &id).await;
    let body = env
        .public(
            "query($s:String!){ product(slug:$s){ id status priceFrom { amount currencyCode } \
             variants { id sku price { amount currencyCode } product { id } } } }",
            json!({ "s": "trail-runner-2" }),
        )
        .await;
    let p = &body["data"]["product"];
    assert_eq!(p["status"], "PUBLISHED", "{body}");
    assert_eq!(
        p["priceFrom"],
        json!({ "amount": "89.90", "currencyCode": "USD" })
    );
    assert_eq!(p["variants"][0]["id"], vid.as_str());
    assert_eq!(p["variants"][0]["product"]["id"], id.as_str());

    // The variant by SKU, and a cheaper variant lowers the "from" price.
    variant(&env, &id, "TR2-43", "79.00").await;
    let body = env
        .public(
            "{ variant(sku:\"TR2-43\"){ price { amount } product { priceFrom { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["variant"]["price"]["amount"], "79.00");
    assert_eq!(
        body["data"]["variant"]["product"]["priceFrom"]["amount"],
        "79.00"
    );

    // Update, then archive: archived products leave lists but still resolve by id.
    let data = env
        .staff(
            "mutation($id:ID!){ updateProduct(id:$id, input:{ title:\"Trail Runner 3\", brand:\"\" }){ title brand slug } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data["updateProduct"],
        json!({ "title": "Trail Runner 3", "brand": null, "slug": "trail-runner-2" })
    );
    let list = env.public("{ products { totalCount } }", json!({})).await;
    assert_eq!(list["data"]["products"]["totalCount"], 1);
    env.staff(
        "mutation($id:ID!){ archiveProduct(id:$id){ status } }",
        json!({ "id": id }),
    )
    .await;
    let list = env.public("{ products { totalCount } }", json!({})).await;
    assert_eq!(list["data"]["products"]["totalCount"], 0);
    let body = env.public(&q, json!({ "id": id })).await;
    assert_eq!(body["data"]["product"]["status"], "ARCHIVED");
    env.stop().await;
}

#[tokio::test]
async fn validation_conflicts_and_permissions() {
    let env = start().await;
    let create = "mutation($i:CreateProductInput!){ createProduct(input:$i){ id } }";

    // No token, or a forged one.
    let body = env
        .public(create, json!({ "i": { "title": "Nope" } }))
        .await;
    assert_eq!(code(&body), "UNAUTHENTICATED");

    for (input, bad_field) in [
        (json!({ "title": "  " }), "input.title"),
        (json!({ "title": "Ok", "slug": "Not A Slug" }), "input.slug"),
        (
            json!({ "title": "Ok", "categoryId": "nope" }),
            "input.categoryId",
        ),
        (
            json!({ "title": "Ok", "attributes": [{ "name": "a", "value": "1" }, { "name": "A", "value": "2" }] }),
            "input.attributes[1].name",
        ),
    ] {
        let body = env
            .catalog
            .gql(create, json!({ "i": input }), Some(&env.staff))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(field(&body), bad_field, "{body}");
    }

    let id = product(&env, json!({ "title": "Mug", "slug": "mug" })).await;
    let body = env
        .catalog
        .gql(
            create,
            json!({ "i": { "title": "Other", "slug": "mug" } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT");

    let cv = "mutation($i:CreateVariantInput!){ createVariant(input:$i){ id } }";
    let price = |amount: &str, cur: &str| json!({ "amount": amount, "currencyCode": cur });
    for (input, bad_field) in [
        (
            json!({ "productId": id, "sku": "M-1", "price": price("1.999", "USD") }),
            "input.price.amount",
        ),
        (
            json!({ "productId": id, "sku": "M-1", "price": price("-1", "USD") }),
            "input.price.amount",
        ),
        (
            json!({ "productId": id, "sku": "M-1", "price": price("1e3", "USD") }),
            "input.price.amount",
        ),
        (
            json!({ "productId": id, "sku": "M-1", "price": price("5", "XXX") }),
            "input.price.currencyCode",
        ),
        (
            json!({ "productId": id, "sku": "bad sku", "price": price("5", "USD") }),
            "input.sku",
        ),
        (
            json!({ "productId": id, "sku": "M-1", "price": price("5", "USD"), "weightGrams": -1 }),
            "input.weightGrams",
        ),
        (
            json!({ "productId": id, "sku": "M-1", "price": price("5", "USD"),
                    "dimensions": { "lengthMm": 1, "widthMm": -2, "heightMm": 3 } }),
            "input.dimensions.widthMm",
        ),
        (
            json!({ "productId": kit::ids::new_id(), "sku": "M-1", "price": price("5", "USD") }),
            "input.productId",
        ),
    ] {
        let body = env
            .catalog
            .gql(cv, json!({ "i": input }), Some(&env.staff))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(field(&body), bad_field, "{body}");
    }
    let data = env
        .staff(
            "mutation($i:CreateVariantInput!){ createVariant(input:$i){ price { amount currencyCode } weightGrams dimensions { lengthMm widthMm heightMm } options { name value } title } }",
            json!({ "i": { "productId": id, "sku": "M-1", "price": price("1500", "JPY"), "weightGrams": 350,
                "dimensions": { "lengthMm": 120, "widthMm": 90, "heightMm": 100 },
                "options": [{ "name": "Colour", "value": "white" }] } }),
        )
        .await;
    assert_eq!(
        data["createVariant"],
        json!({ "price": { "amount": "1500", "currencyCode": "JPY" }, "weightGrams": 350,
                "dimensions": { "lengthMm": 120, "widthMm": 90, "heightMm": 100 },
                "options": [{ "name": "colour", "value": "white" }], "title": "white" })
    );
    // Duplicate SKU, and a second currency on one product.
    let body = env
        .catalog
        .gql(
            cv,
            json!({ "i": { "productId": id, "sku": "M-1", "price": price("1600", "JPY") } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(code(&body), "CONFLICT");
    let body = env
        .catalog
        .gql(
            cv,
            json!({ "i": { "productId": id, "sku": "M-2", "price": price("16", "USD") } }),
            Some(&env.staff),
        )
        .await;
    assert_eq!(field(&body), "input.price.currencyCode");

    // A signed-in customer is not staff.
    let body = env
        .accounts
        .gql(
            "mutation{ register(email:\"shopper@example.com\", password:\"correct horse battery staple\", name:\"S\"){ id } }",
            json!({}),
            None,
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let login = env
        .accounts
        .gql(
            "mutation{ login(email:\"shopper@example.com\", password:\"correct horse battery staple\"){ accessToken } }",
            json!({}),
            None,
        )
        .await;
    let customer = login["data"]["login"]["accessToken"].as_str().unwrap();
    let body = env
        .catalog
        .gql(create, json!({ "i": { "title": "Nope" } }), Some(customer))
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // And may not list drafts.
    let body = env
        .catalog
        .gql(
            "{ products(filter:{ status: DRAFT }){ totalCount } }",
            json!({}),
            Some(customer),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    env.stop().await;
}
