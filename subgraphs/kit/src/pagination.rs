//! Relay cursor connections backed by keyset pagination. A cursor is the opaque encoding of the
//! row's sort key; a page is "rows after/before that key", never an OFFSET, so pages stay
//! stable while rows are inserted.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::SimpleObject;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::AppError;

pub const MAX_PAGE: i64 = 100;
pub const DEFAULT_PAGE: i64 = 20;

/// The sort key of a row, opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

impl CursorType for Cursor {
    type Error = base64::DecodeError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD.decode(s)?;
        String::from_utf8(bytes)
            .map(Cursor)
            .map_err(|_| base64::DecodeError::InvalidPadding)
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }
}

/// `totalCount` on every connection.
#[derive(SimpleObject)]
pub struct Total {
    pub total_count: i64,
}

/// A validated page request: fetch `limit + 1` rows past `cursor`, in `backward` order.
#[derive(Debug, Clone)]
pub struct Window {
    pub cursor: Option<String>,
    pub limit: i64,
    pub backward: bool,
    had_cursor: bool,
}

impl Window {
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Window, AppError> {
        let check = |field: &str, n: i32| {
            if n < 0 || n as i64 > MAX_PAGE {
                Err(AppError::bad_input(
                    field,
                    format!("must be between 0 and {MAX_PAGE}"),
                ))
            } else {
                Ok(n as i64)
            }
        };
        let decode = |field: &str, c: Option<String>| -> Result<Option<String>, AppError> {
            c.map(|c| {
                Cursor::decode_cursor(&c)
                    .map(|c| c.0)
                    .map_err(|_| AppError::bad_input(field, "is not a valid cursor"))
            })
            .transpose()
        };
        match (first, last) {
            (Some(_), Some(_)) => Err(AppError::bad_input("last", "cannot be combined with first")),
            (_, Some(n)) => {
                let cursor = decode("before", before)?;
                Ok(Window {
                    had_cursor: cursor.is_some(),
                    cursor,
                    limit: check("last", n)?,
                    backward: true,
                })
            }
            (first, None) => {
                let cursor = decode("after", after)?;
                let limit = first
                    .map(|n| check("first", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE);
                Ok(Window {
                    had_cursor: cursor.is_some(),
                    cursor,
                    limit,
                    backward: false,
                })
            }
        }
    }

    /// Rows to fetch: one more than the page, to learn whether another page exists.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Builds the connection from rows fetched in window order (ascending for forward pages,
    /// descending for backward ones).
    pub fn connection<N: async_graphql::OutputType>(
        &self,
        mut rows: Vec<N>,
        key: impl Fn(&N) -> String,
        total_count: i64,
    ) -> Connection<Cursor, N, Total> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        if self.backward {
            rows.reverse();
        }
        let (has_previous, has_next) = if self.backward {
            (more, self.had_cursor)
        } else {
            (self.had_cursor, more)
        };
        let mut connection =
            Connection::with_additional_fields(has_previous, has_next, Total { total_count });
        connection
            .edges
            .extend(rows.into_iter().map(|n| Edge::new(Cursor(key(&n)), n)));
        connection
    }
}
