//! Shape limits of one parsed operation: depth, aliases, root fields and directives. Fragments
//! are followed, and each fragment's numbers are computed once and reused wherever it is spread,
//! so a document that spreads fragments exponentially costs linear work to measure.

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};

use super::{refusal, LimitsConfig};
use crate::response::GraphQLError;

/// What a selection set adds up to.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Deepest field nesting (a leaf field is 1).
    pub depth: usize,
    pub aliases: usize,
    pub directives: usize,
    /// Fields at this level, fragments flattened (for the root: root fields).
    pub fields: usize,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.depth = self.depth.max(other.depth);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.fields = self.fields.saturating_add(other.fields);
    }
}

struct Walker<'a> {
    fragments: HashMap<&'a str, &'a FragmentDefinition>,
    memo: HashMap<&'a str, Stats>,
    /// Fragments being walked: a cycle (invalid, refused by validation) counts as empty here.
    active: Vec<&'a str>,
}

impl<'a> Walker<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Stats {
        let mut out = Stats::default();
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    let child = self.set(&f.selection_set);
                    out.merge(Stats {
                        depth: 1 + child.depth,
                        aliases: child.aliases + usize::from(f.alias.is_some()),
                        directives: child.directives + f.directives.len(),
                        fields: 1,
                    });
                }
                Selection::InlineFragment(i) => {
                    let mut child = self.set(&i.selection_set);
                    child.directives += i.directives.len();
                    out.merge(child);
                }
                Selection::FragmentSpread(s) => {
                    let mut child = self.fragment(&s.fragment_name);
                    child.directives += s.directives.len();
                    out.merge(child);
                }
            }
        }
        out
    }

    fn fragment(&mut self, name: &'a str) -> Stats {
        if let Some(s) = self.memo.get(name) {
            return *s;
        }
        let Some(def) = self.fragments.get(name).copied() else {
            return Stats::default();
        };
        if self.active.contains(&name) {
            return Stats::default();
        }
        self.active.push(name);
        let mut stats = self.set(&def.selection_set);
        stats.directives += def.directives.len();
        self.active.pop();
        self.memo.insert(name, stats);
        stats
    }
}

/// Measures the operation at `op_index`.
pub fn measure(doc: &Document, op_index: usize) -> Stats {
    let fragments = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let mut walker = Walker {
        fragments,
        memo: HashMap::new(),
        active: Vec::new(),
    };
    let Some(Definition::Operation(op)) = doc.definitions.get(op_index) else {
        return Stats::default();
    };
    let (set, op_directives) = match op {
        OperationDefinition::SelectionSet(s) => (s, 0),
        OperationDefinition::Query(q) => (&q.selection_set, q.directives.len()),
        OperationDefinition::Mutation(m) => (&m.selection_set, m.directives.len()),
        OperationDefinition::Subscription(s) => (&s.selection_set, s.directives.len()),
    };
    let mut stats = walker.set(set);
    stats.directives += op_directives;
    stats
}

/// Refuses the operation named `operation_name` (or the only one) when it is deeper, more
/// aliased, wider at the root or more decorated than the configuration allows; every exceeded
/// limit is reported. Runs before validation, whose overlapping-fields rule is quadratic.
pub fn check(
    config: &LimitsConfig,
    doc: &Document,
    operation_name: Option<&str>,
) -> Result<(), Vec<GraphQLError>> {
    if !config.enabled {
        return Ok(());
    }
    // An unknown or ambiguous name is reported by operation selection later.
    let Some(op_index) = doc.definitions.iter().position(|d| match d {
        Definition::Operation(op) => match operation_name {
            None => true,
            Some(n) => op_name(op) == Some(n),
        },
        _ => false,
    }) else {
        return Ok(());
    };
    let s = measure(doc, op_index);
    let mut errors = Vec::new();
    if s.depth > config.max_depth {
        errors.push(refusal(
            "MAX_DEPTH_EXCEEDED",
            "the depth",
            s.depth,
            config.max_depth,
        ));
    }
    if s.aliases > config.max_aliases {
        errors.push(refusal(
            "MAX_ALIASES_EXCEEDED",
            "the alias count",
            s.aliases,
            config.max_aliases,
        ));
    }
    if s.fields > config.max_root_fields {
        errors.push(refusal(
            "MAX_ROOT_FIELDS_EXCEEDED",
            "the root field count",
            s.fields,
            config.max_root_fields,
        ));
    }
    if s.directives > config.max_directives {
        errors.push(refusal(
            "MAX_DIRECTIVES_EXCEEDED",
            "the directive count",
            s.directives,
            config.max_directives,
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn op_name(op: &OperationDefinition) -> Option<&str> {
    match op {
        OperationDefinition::SelectionSet(_) => None,
        OperationDefinition::Query(q) => q.name.as_deref(),
        OperationDefinition::Mutation(m) => m.name.as_deref(),
        OperationDefinition::Subscription(s) => s.name.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(text: &str) -> Stats {
        let doc = graphql_tools::parser::parse_query::<String>(text)
            .unwrap()
            .into_static();
        let op = doc
            .definitions
            .iter()
            .position(|d| matches!(d, Definition::Operation(_)))
            .unwrap();
        measure(&doc, op)
    }

    #[test]
    fn depth_aliases_root_fields_and_directives_follow_fragments() {
        let s = stats(
            "query Q @dir { a { b { c } } x: d @skip(if: false) ...F ... on Query { e } }
             fragment F on Query { y: f { g { h { i } } } }",
        );
        assert_eq!(
            s,
            Stats {
                depth: 4,
                aliases: 2,
                directives: 2,
                fields: 4
            }
        );
    }

    #[test]
    fn exponential_fragment_spreads_are_measured_once_each() {
        let mut text = String::from("{ ...F0 }\n");
        for i in 0..40 {
            text.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i + 1,
                i + 1
            ));
        }
        text.push_str("fragment F40 on Query { a: __typename }\n");
        let s = stats(&text);
        // 2^40 aliases, counted without walking them (saturating, so never wrapping).
        assert_eq!(s.aliases, 1 << 40);
        assert_eq!(s.fields, 1 << 40);
    }
}
