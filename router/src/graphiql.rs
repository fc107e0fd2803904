//! GraphiQL for browsers: the page served on `GET /graphql` and the vendored GraphiQL, React and
//! graphql-ws bundles and the query explorer plugin (`assets/graphiql/`, embedded in the binary)
//! served under `/graphiql/`, so the page works without reaching a CDN. Queries go over HTTP,
//! subscriptions over graphql-transport-ws on the same `/graphql` URL. A first visit opens with
//! an example operation that explains signing in and the Headers tab.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Bumped with the vendored versions so cached copies of older bundles are never reused.
const ASSET_VERSION: &str = "graphiql-3.8.3_react-18.3.1_graphql-ws-5.16.2_plugin-explorer-3.2.6";

/// One vendored file: its plain bytes and a gzip copy made by `assets/graphiql/fetch.sh`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    plain: &'static [u8],
    gzip: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            plain: include_bytes!(concat!("../assets/graphiql/", $name)),
            gzip: include_bytes!(concat!("../assets/graphiql/", $name, ".gz")),
        }
    };
}

static ASSETS: [Asset; 7] = [
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!(
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("graphql-ws.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!(
        "graphiql-plugin-explorer.umd.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("graphiql-plugin-explorer.css", "text/css; charset=utf-8"),
];

/// The editor's text on a first visit: something to run at once, and how to sign in (GraphiQL
/// keeps the user's own text in local storage after that).
const EXAMPLE: &str = r#"# The shop's GraphQL API. Press the run button (or Ctrl-Enter) to run an operation;
# with several, the button asks which. The Explorer (compass icon, left) builds queries by
# ticking fields; Docs (book icon) lists every type.
#
# Your cart, orders and the staff tools need an access token:
#   1. Run `SignIn` below with your email and password (the demo data has
#      ada@example.com / demo-password-2026, a customer).
#   2. Copy `accessToken` from the result.
#   3. In the Headers tab under this editor, paste
#        { "Authorization": "Bearer <the accessToken>" }
#      and run `Me`. Tokens are short-lived: sign in again on UNAUTHENTICATED.

query Storefront {
  products(first: 5) {
    edges {
      node {
        id
        title
        rating {
          average
          count
        }
      }
    }
  }
}

mutation SignIn {
  login(email: "ada@example.com", password: "demo-password-2026") {
    accessToken
  }
}

query Me {
  me {
    id
    name
    email
  }
}
"#;

/// The HTML page. Asset URLs are relative to `/graphql` and carry the version for cache busting.
pub fn page() -> String {
    let v = ASSET_VERSION;
    // A JSON string is a valid JavaScript string literal; `</` must not end the script early.
    let example = serde_json::to_string(EXAMPLE)
        .expect("a string serializes")
        .replace("</", "<\\/");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Router · GraphiQL</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" href="graphiql/graphiql.min.css?v={v}" />
  <link rel="stylesheet" href="graphiql/graphiql-plugin-explorer.css?v={v}" />
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="graphiql/react.production.min.js?v={v}"></script>
  <script src="graphiql/react-dom.production.min.js?v={v}"></script>
  <script src="graphiql/graphql-ws.min.js?v={v}"></script>
  <script src="graphiql/graphiql.min.js?v={v}"></script>
  <script src="graphiql/graphiql-plugin-explorer.umd.js?v={v}"></script>
  <script>
    const url = window.location.href.split(/[?#]/)[0];
    const wsUrl = url.replace(/^http/, 'ws');
    const fetcher = GraphiQL.createFetcher({{ url, subscriptionUrl: wsUrl,
      wsClient: graphqlWs.createClient({{ url: wsUrl, lazy: true }}) }});
    ReactDOM.createRoot(document.getElementById('graphiql'))
      .render(React.createElement(GraphiQL, {{
        fetcher,
        defaultQuery: {example},
        defaultHeaders: '{{}}',
        defaultEditorToolsVisibility: 'headers',
        plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      }}));
  </script>
</body>
</html>"#
    )
}

/// `GET /graphiql/{file}`: a vendored bundle, gzip-encoded when the client accepts gzip, cached
/// for a year (the page's URLs change with the versions).
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == file) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL asset").into_response();
    };
    let gzip = accepts_gzip(&headers);
    let body = if gzip { asset.gzip } else { asset.plain };
    let mut resp = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (header::VARY, HeaderValue::from_static("accept-encoding")),
        ],
        body,
    )
        .into_response();
    if gzip {
        // An existing Content-Encoding also tells the compression layer to leave the body alone.
        resp.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        h
    }

    #[test]
    fn gzip_negotiation_honours_q_zero_and_wildcard() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br, identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn page_links_every_script_asset() {
        let page = page();
        for a in ASSETS.iter() {
            assert!(
                page.contains(&format!("graphiql/{}?v=", a.name)),
                "{}",
                a.name
            );
        }
        assert!(!page.contains("unpkg.com"));
    }

    #[test]
    fn gzip_copies_match_their_files() {
        // The gzip copies are decompressed by browsers; a stale copy would serve old code.
        for a in ASSETS.iter() {
            assert_eq!(&a.gzip[..2], &[0x1f, 0x8b], "{} is gzip", a.name);
            let isize = u32::from_le_bytes(a.gzip[a.gzip.len() - 4..].try_into().unwrap());
            assert_eq!(isize as usize, a.plain.len(), "{} size", a.name);
        }
    }
}
