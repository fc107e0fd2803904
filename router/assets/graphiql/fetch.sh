#!/usr/bin/env bash
# Re-fetches the vendored GraphiQL build from the npm registry (`npm pack`, no install scripts run),
# copies the browser bundles and licences here, and writes the gzip copies the router serves to
# clients that accept gzip. Bump the versions below, run it, commit the result.
set -euo pipefail
cd "$(dirname "$0")"

GRAPHIQL=3.8.3
REACT=18.3.1
GRAPHQL_WS=5.16.2
EXPLORER=3.2.6

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" "graphql-ws@$GRAPHQL_WS" \
  "@graphiql/plugin-explorer@$EXPLORER" >/dev/null)
for pkg in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT graphql-ws-$GRAPHQL_WS graphiql-plugin-explorer-$EXPLORER; do
  mkdir -p "$work/$pkg"
  tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done

cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" graphiql.min.js
cp "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" graphiql.min.css
cp "$work/react-$REACT/package/umd/react.production.min.js" react.production.min.js
cp "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" react-dom.production.min.js
cp "$work/graphql-ws-$GRAPHQL_WS/package/umd/graphql-ws.min.js" graphql-ws.min.js
cp "$work/graphiql-plugin-explorer-$EXPLORER/package/dist/index.umd.js" graphiql-plugin-explorer.umd.js
cp "$work/graphiql-plugin-explorer-$EXPLORER/package/dist/style.css" graphiql-plugin-explorer.css

mkdir -p licenses
cp "$work/graphiql-$GRAPHIQL/package/LICENSE" licenses/graphiql.LICENSE
cp "$work/react-$REACT/package/LICENSE" licenses/react.LICENSE
cp "$work/react-dom-$REACT/package/LICENSE" licenses/react-dom.LICENSE
cp "$work/graphql-ws-$GRAPHQL_WS/package/LICENSE.md" licenses/graphql-ws.LICENSE

# -n: no name or timestamp in the header, so a re-run gives byte-identical files.
for f in *.js *.css; do gzip -9 -n -c "$f" >"$f.gz"; done
echo "graphiql $GRAPHIQL, react/react-dom $REACT, graphql-ws $GRAPHQL_WS, plugin-explorer $EXPLORER"
