//! Fetches a subgraph's SDL through the federation `_service { sdl }` query.

use std::time::Duration;

use serde_json::Value;

use super::SubgraphSdl;

pub async fn fetch_sdl(
    http: &reqwest::Client,
    name: &str,
    url: &str,
) -> Result<SubgraphSdl, String> {
    let resp = http
        .post(url)
        .timeout(Duration::from_secs(10))
        .json(&serde_json::json!({"query": "{ _service { sdl } }"}))
        .send()
        .await
        .map_err(|e| format!("subgraph '{name}' at {url}: {e}"))?;
    let body: Value = resp
        .json()
        .await
        .map_err(|e| format!("subgraph '{name}' at {url}: invalid response: {e}"))?;
    let sdl = body
        .pointer("/data/_service/sdl")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("subgraph '{name}' at {url}: no _service.sdl in response"))?;
    Ok(SubgraphSdl {
        name: name.to_string(),
        url: url.to_string(),
        sdl: sdl.to_string(),
    })
}

/// Fetches every subgraph's SDL, in order.
pub async fn fetch_all(
    http: &reqwest::Client,
    subgraphs: &[(String, String)],
) -> Result<Vec<SubgraphSdl>, Vec<String>> {
    let results =
        futures_util::future::join_all(subgraphs.iter().map(|(n, u)| fetch_sdl(http, n, u))).await;
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => ok.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}
