//! The kit's typed reads (`Db::fetch_all`) return the same rows on SQLite (embedded run) and
//! PostgreSQL (real-server run): `$n` placeholders bound by number whatever their order or
//! repetition, NULLs as `None`, rows decoded by position, one counted statement per read, and
//! a repeated statement (served from each connection's prepared statements) answering alike.

use kit::db::{Columns, Param, ReadRow};
use kit::{testing, Db};

#[derive(Debug, PartialEq)]
struct Item {
    id: String,
    price: i64,
    note: Option<String>,
}

impl ReadRow for Item {
    fn read(c: &mut Columns<'_>) -> Result<Self, sqlx::Error> {
        Ok(Item {
            id: c.next()?,
            price: c.next()?,
            note: c.next()?,
        })
    }
}

#[tokio::test]
async fn typed_reads_bind_by_number_and_decode_by_position() {
    let config = testing::config("typed");
    let db = Db::connect(&config.database_url, &config.database_schema, 3)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE items (id TEXT PRIMARY KEY, price BIGINT NOT NULL, note TEXT)")
        .execute(db.pool())
        .await
        .unwrap();
    for (id, price, note) in [
        ("a", 300, Some("x")),
        ("b", 100, None),
        ("c", 200, Some("y")),
    ] {
        sqlx::query("INSERT INTO items (id, price, note) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(price as i64)
            .bind(note)
            .execute(db.pool())
            .await
            .unwrap();
    }

    // `$2` before `$1`, and `$1` twice.
    let sql = "SELECT id, price, note FROM items WHERE price >= $2 AND (id <> $1 OR price = $2 \
               OR $1 = 'none') ORDER BY price";
    let params = [Param::from("c"), Param::from(100i64)];
    for _ in 0..3 {
        let before = db.statements();
        let rows: Vec<Item> = db.fetch_all(sql, &params).await.unwrap();
        assert_eq!(db.statements(), before + 1);
        assert_eq!(
            rows,
            vec![
                Item {
                    id: "b".into(),
                    price: 100,
                    note: None
                },
                Item {
                    id: "a".into(),
                    price: 300,
                    note: Some("x".into())
                },
            ]
        );
    }
    let (count,): (i64,) = db
        .fetch_all("SELECT COUNT(*) FROM items", &[])
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(count, 3);
    let none: Vec<(String,)> = db
        .fetch_all("SELECT id FROM items WHERE id = $1", &[Param::from("zz")])
        .await
        .unwrap();
    assert!(none.is_empty());
    // A statement that cannot run is an error, not a panic.
    assert!(db
        .fetch_all::<(String,)>("SELECT id FROM no_such_table", &[])
        .await
        .is_err());
    db.close().await;
}
