//! Fixture subgraphs in async-graphql with federation enabled: the classic
//! accounts / products / inventory / reviews shop, extended to exercise federation features.

use async_graphql::{
    ComplexObject, Context, EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, ID,
};

pub mod accounts {
    use super::*;

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct User {
        pub id: ID,
        pub name: Option<String>,
        #[graphql(shareable)]
        pub username: Option<String>,
    }

    #[ComplexObject]
    impl User {
        /// Fails for user 2, to test error re-pathing.
        async fn flaky(&self) -> async_graphql::Result<Option<String>> {
            if self.id == "2" {
                Err("flaky failed".into())
            } else {
                Ok(Some(format!("ok-{}", self.id.as_str())))
            }
        }
    }

    pub fn users() -> Vec<User> {
        vec![
            User {
                id: "1".into(),
                name: Some("Ada Lovelace".into()),
                username: Some("@ada".into()),
            },
            User {
                id: "2".into(),
                name: Some("Alan Turing".into()),
                username: Some("@complete".into()),
            },
        ]
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn me(&self) -> User {
            users()[0].clone()
        }
        async fn users(&self) -> Vec<User> {
            users()
        }
        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> Option<User> {
            users().into_iter().find(|u| u.id == id)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

pub mod products {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Product {
        pub upc: String,
        pub name: Option<String>,
        pub price: Option<i32>,
        pub weight: Option<i32>,
    }

    pub fn products() -> Vec<Product> {
        vec![
            Product {
                upc: "1".into(),
                name: Some("Table".into()),
                price: Some(899),
                weight: Some(100),
            },
            Product {
                upc: "2".into(),
                name: Some("Couch".into()),
                price: Some(1299),
                weight: Some(1000),
            },
            Product {
                upc: "3".into(),
                name: Some("Chair".into()),
                price: Some(54),
                weight: Some(50),
            },
        ]
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn top_products(&self, #[graphql(default = 5)] first: i32) -> Vec<Product> {
            products().into_iter().take(first as usize).collect()
        }
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Option<Product> {
            products().into_iter().find(|p| p.upc == upc)
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

pub mod inventory {
    use super::*;

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
        #[graphql(external)]
        pub price: Option<i32>,
        #[graphql(external)]
        pub weight: Option<i32>,
    }

    #[ComplexObject]
    impl Product {
        async fn in_stock(&self) -> bool {
            self.upc != "2"
        }
        /// Needs price and weight from the products subgraph; express shipping costs double.
        #[graphql(requires = "price weight")]
        async fn shipping_estimate(
            &self,
            #[graphql(default = false)] express: bool,
        ) -> Option<i32> {
            let price = self.price?;
            let weight = self.weight?;
            let base = if price > 1000 { 0 } else { weight / 2 };
            Some(if express { base * 2 } else { base })
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_product_by_upc(
            &self,
            #[graphql(key)] upc: String,
            price: Option<i32>,
            weight: Option<i32>,
        ) -> Product {
            Product { upc, price, weight }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

pub mod reviews {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Review {
        pub id: ID,
        pub body: String,
        #[graphql(provides = "username")]
        pub author: User,
        pub product: Product,
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct User {
        pub id: ID,
        #[graphql(external)]
        pub username: Option<String>,
    }

    #[ComplexObject]
    impl User {
        async fn reviews(&self) -> Vec<Review> {
            all()
                .into_iter()
                .filter(|r| r.author.id == self.id)
                .collect()
        }
    }

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Product {
        pub upc: String,
    }

    #[ComplexObject]
    impl Product {
        async fn reviews(&self) -> Vec<Review> {
            all()
                .into_iter()
                .filter(|r| r.product.upc == self.upc)
                .collect()
        }
    }

    fn user(id: &str, username: &str) -> User {
        User {
            id: id.into(),
            username: Some(username.into()),
        }
    }

    pub fn all() -> Vec<Review> {
        let p = |upc: &str| Product { upc: upc.into() };
        vec![
            Review {
                id: "1".into(),
                body: "Love it!".into(),
                author: user("1", "@ada"),
                product: p("1"),
            },
            Review {
                id: "2".into(),
                body: "Too expensive.".into(),
                author: user("1", "@ada"),
                product: p("2"),
            },
            Review {
                id: "3".into(),
                body: "Could be better.".into(),
                author: user("2", "@complete"),
                product: p("3"),
            },
            Review {
                id: "4".into(),
                body: "Prefer something else.".into(),
                author: user("2", "@complete"),
                product: p("1"),
            },
        ]
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn reviews(&self, ctx: &Context<'_>) -> Vec<Review> {
            let _ = ctx;
            all()
        }
        #[graphql(entity)]
        async fn find_user_by_id(&self, id: ID) -> User {
            User { id, username: None }
        }
        #[graphql(entity)]
        async fn find_product_by_upc(&self, upc: String) -> Product {
            Product { upc }
        }
    }

    pub struct Subscription;

    #[async_graphql::Subscription]
    impl Subscription {
        /// Emits `count` existing reviews, 20 ms apart, then completes.
        async fn review_added(&self, count: i32) -> impl futures_util::Stream<Item = Review> {
            let items: Vec<Review> = all().into_iter().take(count as usize).collect();
            async_stream::stream! {
                for r in items {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    yield r;
                }
            }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, Subscription> {
        Schema::build(Query, EmptyMutation, Subscription)
            .enable_federation()
            .enable_subscription_in_federation()
            .finish()
    }
}

/// Two subgraphs whose mutations append to one shared log, to observe execution order.
pub mod ledger {
    use std::sync::{Arc, Mutex};

    use super::*;

    pub type Log = Arc<Mutex<Vec<String>>>;

    macro_rules! ledger_subgraph {
        ($module:ident, $query_field:ident, $mutation_field:ident) => {
            pub mod $module {
                use super::*;

                pub struct Query;

                #[Object]
                impl Query {
                    async fn $query_field(&self, ctx: &Context<'_>) -> Vec<String> {
                        ctx.data_unchecked::<Log>().lock().unwrap().clone()
                    }
                }

                pub struct Mutation;

                #[Object]
                impl Mutation {
                    /// Appends after `delay_ms`; returns the log as it is after the append.
                    async fn $mutation_field(
                        &self,
                        ctx: &Context<'_>,
                        value: String,
                        #[graphql(default = 0)] delay_ms: u64,
                    ) -> Vec<String> {
                        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
                        let log = ctx.data_unchecked::<Log>();
                        let mut log = log.lock().unwrap();
                        log.push(value);
                        log.clone()
                    }
                }

                pub fn schema(log: Log) -> Schema<Query, Mutation, EmptySubscription> {
                    Schema::build(Query, Mutation, EmptySubscription)
                        .data(log)
                        .enable_federation()
                        .finish()
                }
            }
        };
    }

    ledger_subgraph!(a, a_log, append_a);
    ledger_subgraph!(b, b_log, append_b);
}
