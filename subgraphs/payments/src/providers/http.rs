//! Provider HTTP calls as data: an [`ApiRequest`] (method, URL, headers, form or JSON body) that
//! adapters build and tests inspect, and [`send`], which performs it and returns the status and
//! JSON body. `Debug` never shows the Authorization header or form values (card data travels
//! in Stripe's form).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::ProviderError;

#[derive(Clone, PartialEq)]
pub enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
}

#[derive(Clone, PartialEq)]
pub struct ApiRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

impl ApiRequest {
    pub fn new(method: Method, url: String, bearer: &str) -> ApiRequest {
        ApiRequest {
            method,
            url,
            headers: vec![("Authorization".into(), format!("Bearer {bearer}"))],
            body: Body::None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> ApiRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> ApiRequest {
        self.body = Body::Form(fields);
        self
    }

    pub fn json(mut self, body: Value) -> ApiRequest {
        self.body = Body::Json(body);
        self
    }

    /// A header's value (tests).
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A form field's value (tests and adapters).
    pub fn form_value(&self, name: &str) -> Option<&str> {
        match &self.body {
            Body::Form(fields) => fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

pub fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(timeout).build()?)
}

/// Performs `request`; any HTTP status comes back with its JSON body (the adapter decides what
/// a 402 means), a transport failure or a non-JSON body is `Unavailable`.
pub async fn send(
    client: &reqwest::Client,
    request: &ApiRequest,
) -> Result<(u16, Value), ProviderError> {
    let mut builder = client.request(request.method.clone(), &request.url);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    builder = match &request.body {
        Body::None => builder,
        Body::Form(fields) => builder.form(fields),
        Body::Json(value) => builder.json(value),
    };
    let response = builder
        .send()
        .await
        .map_err(|e| ProviderError::Unavailable(format!("{request:?}: {}", e.without_url())))?;
    let status = response.status().as_u16();
    let body = response
        .json::<Value>()
        .await
        .map_err(|e| ProviderError::Unavailable(format!("{request:?}: status {status}: {e}")))?;
    Ok((status, body))
}
