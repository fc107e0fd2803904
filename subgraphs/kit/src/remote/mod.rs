//! Calling another subgraph's `POST /graphql`, service to service: a JSON request with a
//! timeout, sent anonymously, with the caller's own credentials forwarded (their
//! `Authorization` plus named headers such as `X-Cart-Token`, so the other subgraph decides
//! access), or with this service's own token ([`crate::auth::service::ServiceIdentity`]).
//!
//! A GraphQL error from the other side comes back as the same [`AppError`] (code, message,
//! field, reason: see [`error`]); a transport failure or a malformed answer is `INTERNAL`, its
//! detail logged and never shown to the client.

pub mod error;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::auth::service::ServiceIdentity;
use crate::error::AppError;
use crate::server::RequestMeta;

/// Whose credentials a remote call carries.
#[derive(Clone, Copy)]
pub enum Credentials<'a> {
    /// None: for public fields.
    Anonymous,
    /// The current request's `Authorization` and the named headers (lower case), if present.
    Caller {
        meta: Option<&'a RequestMeta>,
        headers: &'a [&'a str],
    },
    /// This service's own access token.
    Service,
}

/// A client for one remote subgraph endpoint.
#[derive(Clone)]
pub struct Remote {
    /// The remote subgraph's name, for logs and error details.
    name: String,
    url: String,
    http: reqwest::Client,
    identity: Option<Arc<ServiceIdentity>>,
}

impl Remote {
    /// A client for `url` (the remote's `/graphql`), giving up after `timeout`.
    pub fn new(name: &str, url: &str, timeout: Duration) -> anyhow::Result<Remote> {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "the {name} URL must be an http(s) URL, got {url:?}"
        );
        Ok(Remote {
            name: name.to_string(),
            url: url.to_string(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
            identity: None,
        })
    }

    /// The identity [`Credentials::Service`] calls sign in with.
    pub fn with_identity(mut self, identity: Arc<ServiceIdentity>) -> Remote {
        self.identity = Some(identity);
        self
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `query` with `variables`; returns `data`. The first GraphQL error, if any, is the
    /// result instead (mapped as in [`error::from_graphql`]).
    pub async fn call(
        &self,
        query: &str,
        variables: Value,
        credentials: Credentials<'_>,
    ) -> Result<Value, AppError> {
        let body = json!({ "query": query, "variables": variables });
        let (answer, token) = self.send(&body, credentials).await?;
        if let (Some(token), Some(identity)) = (token, &self.identity) {
            // A token the other side no longer accepts (keys rotated, clock skew): sign in
            // again once and retry.
            if error::first_code(&answer) == Some("UNAUTHENTICATED") {
                identity.forget(&token).await;
                return self.finish(self.send(&body, credentials).await?.0);
            }
        }
        self.finish(answer)
    }

    fn finish(&self, answer: Value) -> Result<Value, AppError> {
        if let Some(first) = answer["errors"].as_array().and_then(|e| e.first()) {
            return Err(error::from_graphql(&self.name, first));
        }
        match answer.get("data") {
            Some(data) if !data.is_null() => Ok(data.clone()),
            _ => Err(AppError::internal(anyhow::anyhow!(
                "{} answered neither data nor errors",
                self.name
            ))),
        }
    }

    /// Sends one request; returns the answer and the service token it carried, if any.
    async fn send(
        &self,
        body: &Value,
        credentials: Credentials<'_>,
    ) -> Result<(Value, Option<String>), AppError> {
        let mut request = self.http.post(&self.url).json(body);
        let mut service_token = None;
        match credentials {
            Credentials::Anonymous => {}
            Credentials::Caller { meta, headers } => {
                let names = std::iter::once("authorization").chain(headers.iter().copied());
                for name in names {
                    if let Some(value) = meta.and_then(|m| m.header(name)) {
                        request = request.header(name, value);
                    }
                }
                if let Some(id) = meta
                    .map(|m| m.request_id.as_str())
                    .filter(|i| !i.is_empty())
                {
                    request = request.header("x-request-id", id);
                }
            }
            Credentials::Service => {
                let identity = self.identity.as_ref().ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!(
                        "calling {} as a service needs SERVICE_EMAIL and SERVICE_PASSWORD",
                        self.name
                    ))
                })?;
                // Boxed: signing in is itself a remote call (to accounts), so the futures nest.
                let token = Box::pin(identity.token()).await?;
                request = request.bearer_auth(&token);
                service_token = Some(token);
            }
        }
        let response = request.send().await.map_err(|e| {
            AppError::internal(anyhow::anyhow!(
                "{} unreachable at {}: {e}",
                self.name,
                self.url
            ))
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            AppError::internal(anyhow::anyhow!("{} answer unreadable: {e}", self.name))
        })?;
        let answer = serde_json::from_str(&text).map_err(|_| {
            AppError::internal(anyhow::anyhow!(
                "{} answered HTTP {status} without GraphQL JSON: {}",
                self.name,
                text.chars().take(200).collect::<String>()
            ))
        })?;
        Ok((answer, service_token))
    }
}
