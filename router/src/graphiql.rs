//! The GraphiQL page served on `GET /graphql` to browsers, wired for queries and subscriptions
//! (graphql-transport-ws on the same URL).

pub fn page() -> &'static str {
    r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Router · GraphiQL</title>
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
  <link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css" />
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script crossorigin src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphql-ws@5/umd/graphql-ws.min.js"></script>
  <script crossorigin src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
  <script>
    const url = window.location.href.split('?')[0];
    const wsUrl = url.replace(/^http/, 'ws');
    const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: wsUrl,
      wsClient: graphqlWs.createClient({ url: wsUrl }) });
    ReactDOM.createRoot(document.getElementById('graphiql'))
      .render(React.createElement(GraphiQL, { fetcher }));
  </script>
</body>
</html>"#
}
