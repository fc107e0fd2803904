//! A second fixture world ("library") for federation directives: multiple and compound keys,
//! nested @requires, @override, @shareable root fields, @inaccessible, and unions/interfaces
//! whose members live in different subgraphs.

use async_graphql::{
    ComplexObject, EmptyMutation, EmptySubscription, InputObject, Interface, Object, Schema,
    SimpleObject, Union, ID,
};

#[derive(SimpleObject, Clone)]
#[graphql(shareable)]
pub struct Dimensions {
    pub width: i32,
    pub height: i32,
}

pub mod catalog {
    use super::*;

    #[derive(SimpleObject, Clone)]
    #[graphql(complex)]
    pub struct Book {
        pub id: ID,
        pub isbn: String,
        pub title: Option<String>,
        pub price: Option<i32>,
        #[graphql(inaccessible)]
        pub secret: Option<String>,
        pub dimensions: Dimensions,
    }

    #[ComplexObject]
    impl Book {
        async fn copies(&self) -> Vec<Copy> {
            vec![
                Copy {
                    book_id: self.id.clone(),
                    shelf: "A".into(),
                    condition: "new".into(),
                },
                Copy {
                    book_id: self.id.clone(),
                    shelf: "B".into(),
                    condition: "worn".into(),
                },
            ]
        }
    }

    #[derive(SimpleObject, Clone)]
    pub struct Copy {
        pub book_id: ID,
        pub shelf: String,
        pub condition: String,
    }

    /// Owned by `films`; catalog only knows its key.
    #[derive(SimpleObject, Clone)]
    #[graphql(unresolvable = "id")]
    pub struct Movie {
        pub id: ID,
    }

    #[derive(Union, Clone)]
    pub enum SearchResult {
        Book(Book),
        Movie(Movie),
    }

    #[derive(Interface, Clone)]
    #[graphql(field(name = "id", ty = "&ID"))]
    pub enum Media {
        Book(Book),
        Movie(Movie),
    }

    pub fn books() -> Vec<Book> {
        vec![
            Book {
                id: "b1".into(),
                isbn: "111".into(),
                title: Some("Dune".into()),
                price: Some(1000),
                secret: Some("s1".into()),
                dimensions: Dimensions {
                    width: 10,
                    height: 20,
                },
            },
            Book {
                id: "b2".into(),
                isbn: "222".into(),
                title: Some("Emma".into()),
                price: Some(500),
                secret: Some("s2".into()),
                dimensions: Dimensions {
                    width: 5,
                    height: 5,
                },
            },
        ]
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn books(&self) -> Vec<Book> {
            books()
        }
        async fn search(&self) -> Vec<SearchResult> {
            vec![
                SearchResult::Book(books()[0].clone()),
                SearchResult::Movie(Movie { id: "m1".into() }),
            ]
        }
        async fn media(&self) -> Vec<Media> {
            vec![
                Media::Movie(Movie { id: "m1".into() }),
                Media::Book(books()[1].clone()),
            ]
        }
        #[graphql(shareable)]
        async fn featured(&self) -> Option<Book> {
            books().into_iter().next()
        }
        #[graphql(entity)]
        async fn find_book_by_id(&self, id: ID) -> Option<Book> {
            books().into_iter().find(|b| b.id == id)
        }
        #[graphql(entity)]
        async fn find_book_by_isbn(&self, isbn: String) -> Option<Book> {
            books().into_iter().find(|b| b.isbn == isbn)
        }
        #[graphql(entity)]
        async fn find_copy(&self, book_id: ID, shelf: String) -> Copy {
            let condition = if shelf == "A" { "new" } else { "worn" };
            Copy {
                book_id,
                shelf,
                condition: condition.into(),
            }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

pub mod films {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Movie {
        pub id: ID,
        pub title: Option<String>,
        pub year: i32,
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn movies(&self) -> Vec<Movie> {
            vec![Movie {
                id: "m1".into(),
                title: Some("Alien".into()),
                year: 1979,
            }]
        }
        #[graphql(entity)]
        async fn find_movie_by_id(&self, id: ID) -> Option<Movie> {
            (id == "m1").then(|| Movie {
                id,
                title: Some("Alien".into()),
                year: 1979,
            })
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

pub mod pricing {
    use super::*;

    #[derive(SimpleObject, Clone)]
    pub struct Book {
        pub id: ID,
        #[graphql(override_from = "catalog")]
        pub price: Option<i32>,
    }

    fn price(id: &str) -> Option<i32> {
        match id {
            "b1" => Some(2000),
            "b2" => Some(600),
            _ => None,
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(shareable)]
        async fn featured(&self) -> Option<Book> {
            Some(Book {
                id: "b1".into(),
                price: price("b1"),
            })
        }
        #[graphql(entity)]
        async fn find_book_by_id(&self, id: ID) -> Book {
            let p = price(id.as_str());
            Book { id, price: p }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

/// Knows books only by their second key, `isbn`; computes `area` from catalog's dimensions.
pub mod isbndb {
    use super::*;

    #[derive(InputObject)]
    pub struct DimensionsInput {
        pub width: i32,
        pub height: i32,
    }

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Book {
        pub isbn: String,
        pub pages: i32,
        #[graphql(external)]
        pub dimensions: Option<Dimensions>,
    }

    #[ComplexObject]
    impl Book {
        #[graphql(requires = "dimensions { width height }")]
        async fn area(&self) -> Option<i32> {
            self.dimensions.as_ref().map(|d| d.width * d.height)
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_book_by_isbn(
            &self,
            #[graphql(key)] isbn: String,
            dimensions: Option<DimensionsInput>,
        ) -> Book {
            let pages = if isbn == "111" { 412 } else { 300 };
            Book {
                isbn,
                pages,
                dimensions: dimensions.map(|d| Dimensions {
                    width: d.width,
                    height: d.height,
                }),
            }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}

/// Extends `Copy` (compound key `bookId shelf`) with availability and a @requires label.
pub mod stock {
    use super::*;

    #[derive(SimpleObject)]
    #[graphql(complex)]
    pub struct Copy {
        pub book_id: ID,
        pub shelf: String,
        #[graphql(external)]
        pub condition: Option<String>,
    }

    #[ComplexObject]
    impl Copy {
        async fn available(&self) -> bool {
            self.shelf == "A"
        }
        #[graphql(requires = "condition")]
        async fn label(&self) -> Option<String> {
            Some(format!(
                "{}:{}:{}",
                self.book_id.as_str(),
                self.shelf,
                self.condition.as_deref()?
            ))
        }
    }

    pub struct Query;

    #[Object]
    impl Query {
        #[graphql(entity)]
        async fn find_copy(
            &self,
            #[graphql(key)] book_id: ID,
            #[graphql(key)] shelf: String,
            condition: Option<String>,
        ) -> Copy {
            Copy {
                book_id,
                shelf,
                condition,
            }
        }
    }

    pub fn schema() -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .enable_federation()
            .finish()
    }
}
