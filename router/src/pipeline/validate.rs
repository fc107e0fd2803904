//! Stage 2: validate the operation against the API schema with every GraphQL validation rule.

use graphql_tools::static_graphql::query::Document;
use serde_json::json;

use crate::response::GraphQLError;
use crate::supergraph::Supergraph;

pub fn validate(supergraph: &Supergraph, doc: &Document) -> Vec<GraphQLError> {
    let schema = &supergraph.api_doc;
    graphql_tools::validation::validate::validate(schema, doc, &supergraph.validation)
        .into_iter()
        .map(|e| {
            let mut err = GraphQLError::new(e.message).code("GRAPHQL_VALIDATION_FAILED");
            if !e.locations.is_empty() {
                err.locations = Some(json!(e
                    .locations
                    .iter()
                    .map(|p| json!({"line": p.line, "column": p.column}))
                    .collect::<Vec<_>>()));
            }
            err
        })
        .collect()
}
