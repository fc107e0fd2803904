//! Staff and admin tools: look users up, list and search them (keyset-paged), change roles.

use async_graphql::connection::Connection;
use async_graphql::{Context, Object, Result, ID};
use kit::auth::{require_owner_or_staff, require_role, Role};
use kit::authz_directives::authenticated;
use kit::ids::{now_millis, parse_id};
use kit::pagination::{Cursor, Total, Window};
use kit::schema::service;
use kit::AppError;
use serde_json::json;

use crate::tokens::refresh;
use crate::users::{self, User, UserRowTuple, USER_COLUMNS};

const SEARCH_MAX: usize = 100;

/// `LIKE` pattern matching `term` anywhere, with `%`, `_` and `\` taken literally.
fn contains_pattern(term: &str) -> String {
    let mut escaped = String::with_capacity(term.len() + 2);
    escaped.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// A user by id: yourself, or anyone for staff.
    #[graphql(directive = authenticated::apply())]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let id = parse_id("id", &id)?;
        require_owner_or_staff(ctx, &id)?;
        Ok(users::load(ctx, &id).await?)
    }

    /// All users, oldest first, optionally filtered by a search over email and name. Staff only.
    #[graphql(requires_scopes = "staff")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        search: Option<String>,
    ) -> Result<Connection<Cursor, User, Total>> {
        require_role(ctx, Role::Staff)?;
        let window = Window::parse(first, after, last, before)?;
        let search = search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if search
            .as_ref()
            .is_some_and(|s| s.chars().count() > SEARCH_MAX)
        {
            return Err(AppError::bad_input(
                "search",
                format!("must be at most {SEARCH_MAX} characters"),
            )
            .into());
        }
        let pattern = search.as_deref().map(contains_pattern);
        let filter = "(LOWER(email) LIKE $1 ESCAPE '\\' OR LOWER(name) LIKE $1 ESCAPE '\\')";
        let db = &service(ctx).db;

        let mut conditions = Vec::new();
        let mut next = 1;
        if pattern.is_some() {
            conditions.push(filter.to_string());
            next = 2;
        }
        if window.cursor.is_some() {
            conditions.push(format!(
                "id {} ${next}",
                if window.backward { "<" } else { ">" }
            ));
            next += 1;
        }
        let where_clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = if window.backward { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users {where_clause} ORDER BY id {order} LIMIT ${next}"
        );
        let mut query = sqlx::query_as::<_, UserRowTuple>(&sql);
        if let Some(p) = &pattern {
            query = query.bind(p);
        }
        if let Some(c) = &window.cursor {
            query = query.bind(c);
        }
        let rows = query
            .bind(window.fetch())
            .fetch_all(db.pool())
            .await
            .map_err(AppError::from)?;

        let total: i64 = match &pattern {
            Some(p) => {
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users WHERE {filter}"))
                    .bind(p)
                    .fetch_one(db.pool())
                    .await
            }
            None => {
                sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(db.pool())
                    .await
            }
        }
        .map_err(AppError::from)?;
        let users = rows.into_iter().map(User::from_row).collect();
        Ok(window.connection(users, |u: &User| u.id.to_string(), total))
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Changes a user's role and ends their sessions so the new role applies at next sign-in.
    /// Admin only; admins cannot change their own role (so the last admin cannot lock
    /// everyone out).
    #[graphql(requires_scopes = "admin")]
    async fn set_user_role(&self, ctx: &Context<'_>, user_id: ID, role: Role) -> Result<User> {
        let admin = require_role(ctx, Role::Admin)?;
        let user_id = parse_id("userId", &user_id)?;
        if user_id == admin.user_id {
            return Err(
                AppError::bad_input("userId", "admins cannot change their own role").into(),
            );
        }
        let svc = service(ctx);
        let mut tx = svc.db.begin().await.map_err(AppError::from)?;
        let updated = sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
            .bind(role.as_str())
            .bind(now_millis())
            .bind(&user_id)
            .execute(tx.conn())
            .await
            .map_err(AppError::from)?
            .rows_affected();
        if updated == 0 {
            return Err(AppError::not_found("userId: no such user").into());
        }
        refresh::revoke_user(&mut tx, &user_id).await?;
        let event = svc.event(
            "user.updated",
            Some(user_id.clone()),
            json!({ "userId": user_id, "changed": ["role"], "role": role.as_str() }),
        );
        tx.emit(&event).await.map_err(AppError::from)?;
        tx.commit().await.map_err(AppError::from)?;
        Ok(users::by_id(&svc.db, &user_id)
            .await?
            .ok_or_else(|| AppError::not_found("userId: no such user"))?)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_wildcards_in_search_terms_are_literal() {
        assert_eq!(contains_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
