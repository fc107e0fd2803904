//! Stage 1: parse the client's operation text into an owned AST.

use graphql_tools::static_graphql::query::Document;

use crate::response::GraphQLError;

pub fn parse(query: &str) -> Result<Document, Vec<GraphQLError>> {
    graphql_tools::parser::parse_query::<String>(query)
        .map(|d| d.into_static())
        .map_err(|e| {
            let msg = e.to_string();
            let msg = msg
                .trim()
                .trim_start_matches("query parse error: ")
                .to_string();
            vec![GraphQLError::new(format!("Syntax Error: {msg}")).code("GRAPHQL_PARSE_FAILED")]
        })
}
