//! What may be cached and for how long: the subgraphs' `@cacheControl(maxAge:, scope:)` on
//! object types and fields, carried into the supergraph by `@composeDirective`, and the analysis
//! of one subgraph operation (an `_entities` fetch, cacheable root fields, or neither), memoized
//! by operation text because the planner hands out the same few operations again and again.
//!
//! An entity type without a rule of its own may still be cached field by field: an `_entities`
//! fetch that selects only fields carrying a rule (e.g. accounts' `User.name`, what a review's
//! author needs, while `User.email` has none) is cached under the strictest of them. A type's
//! own rule covers every subgraph's fields of it, so it is kept for types whose every field
//! may be shared.

use std::collections::HashMap;
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition as QDefinition, OperationDefinition, Selection,
};
use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document as SchemaDocument, Type, TypeDefinition, Value as SValue,
};
use parking_lot::RwLock;

/// How long a value may be kept, and whether it belongs to one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub max_age_secs: u32,
    pub private: bool,
}

impl Rule {
    /// The more restrictive of two rules (shorter age; private wins).
    pub fn and(self, other: Rule) -> Rule {
        Rule {
            max_age_secs: self.max_age_secs.min(other.max_age_secs),
            private: self.private || other.private,
        }
    }
}

/// A subgraph operation as the cache sees it.
#[derive(Debug)]
pub enum Fetch {
    /// `_entities(representations: $representations)`: cached per entity, by its typename's rule,
    /// else by the rule its selected fields allow (typename → rule, for types without one).
    Entities(HashMap<String, Rule>),
    /// Root query fields all declared cacheable: the whole response under this rule.
    Root(Rule),
    /// A mutation: not cached, and once it is done the subgraph's entries are dropped, so the
    /// writer reads its own write even before the change's event arrives.
    Mutation,
    /// A subscription, an undeclared field, or more than one entity selection.
    Uncacheable,
}

/// The `@cacheControl` rules of one supergraph.
#[derive(Debug, Default)]
pub struct Policy {
    types: HashMap<String, Rule>,
    fields: HashMap<(String, String), Rule>,
    /// Root field name → its return type's name.
    query_fields: HashMap<String, String>,
    query_type: String,
    analysed: RwLock<HashMap<u64, Arc<Fetch>>>,
}

/// Operations remembered before the memo starts over (the planner's are few; this bounds
/// memory if something generates many).
const MAX_ANALYSED: usize = 4096;

fn rule_of(directives: &[Directive]) -> Option<Rule> {
    // A type defined in several subgraphs carries each one's directive: the strictest holds.
    directives
        .iter()
        .filter(|d| d.name == "cacheControl")
        .filter_map(|d| {
            let mut max_age = None;
            let mut private = false;
            for (name, value) in &d.arguments {
                match (name.as_str(), value) {
                    ("maxAge", SValue::Int(n)) => {
                        max_age = n.as_i64().map(|n| n.clamp(0, u32::MAX as i64) as u32)
                    }
                    ("scope", SValue::Enum(s) | SValue::String(s)) => private = s == "PRIVATE",
                    _ => {}
                }
            }
            max_age.map(|max_age_secs| Rule {
                max_age_secs,
                private,
            })
        })
        .reduce(Rule::and)
        .filter(|r| r.max_age_secs > 0)
}

fn named(ty: &Type) -> &str {
    match ty {
        Type::NamedType(n) => n,
        Type::ListType(t) | Type::NonNullType(t) => named(t),
    }
}

impl Policy {
    pub fn new(doc: &SchemaDocument) -> Self {
        let mut policy = Policy {
            query_type: "Query".into(),
            ..Policy::default()
        };
        for def in &doc.definitions {
            match def {
                Definition::SchemaDefinition(s) => {
                    if let Some(q) = &s.query {
                        policy.query_type = q.clone();
                    }
                }
                Definition::TypeDefinition(TypeDefinition::Object(t)) => {
                    if let Some(rule) = rule_of(&t.directives) {
                        policy.types.insert(t.name.clone(), rule);
                    }
                    for f in &t.fields {
                        if let Some(rule) = rule_of(&f.directives) {
                            policy.fields.insert((t.name.clone(), f.name.clone()), rule);
                        }
                    }
                }
                _ => {}
            }
        }
        for def in &doc.definitions {
            if let Definition::TypeDefinition(TypeDefinition::Object(t)) = def {
                if t.name == policy.query_type {
                    for f in &t.fields {
                        policy
                            .query_fields
                            .insert(f.name.clone(), named(&f.field_type).to_string());
                    }
                }
            }
        }
        policy
    }

    /// True when nothing in the supergraph is declared cacheable.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.fields.is_empty()
    }

    /// The rule of an entity type.
    pub fn entity(&self, typename: &str) -> Option<Rule> {
        self.types.get(typename).copied()
    }

    /// A root field's rule: its own directive, else its return type's.
    fn root_field(&self, field: &str) -> Option<Rule> {
        if field == "__typename" {
            return Some(Rule {
                max_age_secs: u32::MAX,
                private: false,
            });
        }
        self.fields
            .get(&(self.query_type.clone(), field.to_string()))
            .copied()
            .or_else(|| self.types.get(self.query_fields.get(field)?).copied())
    }

    /// What the cache may do with this subgraph operation.
    pub fn analyse(&self, query: &str) -> Arc<Fetch> {
        let key = xxhash_rust::xxh3::xxh3_64(query.as_bytes());
        if let Some(found) = self.analysed.read().get(&key) {
            return found.clone();
        }
        let fetch = Arc::new(self.classify(query));
        let mut memo = self.analysed.write();
        if memo.len() >= MAX_ANALYSED {
            memo.clear();
        }
        memo.insert(key, fetch.clone());
        fetch
    }

    /// For each `... on T { f g }` of an `_entities` selection whose type has no rule: the
    /// strictest rule of its fields, when every selected field has one (`__typename` needs
    /// none). A field with a selection of its own is covered only by its own rule.
    fn field_rules(&self, items: &[Selection]) -> HashMap<String, Rule> {
        let mut rules = HashMap::new();
        for item in items {
            let Selection::InlineFragment(frag) = item else {
                continue;
            };
            let Some(graphql_tools::static_graphql::query::TypeCondition::On(t)) =
                &frag.type_condition
            else {
                continue;
            };
            if self.types.contains_key(t) {
                continue;
            }
            let mut rule: Option<Rule> = None;
            let mut covered = true;
            for sel in &frag.selection_set.items {
                let Selection::Field(f) = sel else {
                    covered = false;
                    break;
                };
                if f.name == "__typename" {
                    continue;
                }
                match self.fields.get(&(t.clone(), f.name.clone())) {
                    Some(r) => rule = Some(rule.map_or(*r, |acc| acc.and(*r))),
                    None => {
                        covered = false;
                        break;
                    }
                }
            }
            if let (true, Some(rule)) = (covered, rule) {
                rules.insert(t.clone(), rule);
            }
        }
        rules
    }

    fn classify(&self, query: &str) -> Fetch {
        let Ok(doc) = graphql_tools::parser::parse_query::<String>(query) else {
            return Fetch::Uncacheable;
        };
        let doc = doc.into_static();
        let mut ops = doc.definitions.iter().filter_map(|d| match d {
            QDefinition::Operation(op) => Some(op),
            QDefinition::Fragment(_) => None,
        });
        let (Some(op), None) = (ops.next(), ops.next()) else {
            return Fetch::Uncacheable;
        };
        let items = match op {
            OperationDefinition::Query(q) => &q.selection_set.items,
            OperationDefinition::SelectionSet(s) => &s.items,
            OperationDefinition::Mutation(_) => return Fetch::Mutation,
            OperationDefinition::Subscription(_) => return Fetch::Uncacheable,
        };
        let fields: Vec<_> = items
            .iter()
            .map(|s| match s {
                Selection::Field(f) => Some(f),
                _ => None,
            })
            .collect();
        if fields.iter().any(Option::is_none) {
            return Fetch::Uncacheable;
        }
        let fields: Vec<_> = fields.into_iter().flatten().collect();
        if fields.iter().any(|f| f.name == "_entities") {
            // One entity selection, fed by `$representations` (a batch of aliases is not
            // split per entity).
            let single = fields.len() == 1
                && fields[0].arguments.iter().any(|(n, v)| {
                    n == "representations"
                        && matches!(v, graphql_tools::static_graphql::query::Value::Variable(v) if v == "representations")
                });
            return if single {
                Fetch::Entities(self.field_rules(&fields[0].selection_set.items))
            } else {
                Fetch::Uncacheable
            };
        }
        let mut rule: Option<Rule> = None;
        for f in &fields {
            let Some(r) = self.root_field(&f.name) else {
                return Fetch::Uncacheable;
            };
            rule = Some(rule.map_or(r, |acc| acc.and(r)));
        }
        match rule {
            Some(r) if r.max_age_secs != u32::MAX => Fetch::Root(r),
            _ => Fetch::Uncacheable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let doc = graphql_tools::parser::parse_schema::<String>(
            r#"
            type Query {
              product(id: ID!): Product
              me: User @cacheControl(maxAge: 30, scope: PRIVATE)
              time: String
            }
            type Product @cacheControl(maxAge: 60) @cacheControl(maxAge: 120, scope: PUBLIC) { id: ID! }
            type User { id: ID! }
            "#,
        )
        .unwrap()
        .into_static();
        Policy::new(&doc)
    }

    #[test]
    fn rules_come_from_types_and_fields_and_the_strictest_wins() {
        let p = policy();
        assert_eq!(
            p.entity("Product"),
            Some(Rule {
                max_age_secs: 60,
                private: false
            })
        );
        assert_eq!(p.entity("User"), None);
        assert!(matches!(
            *p.analyse("{ product(id: 1) { id } }"),
            Fetch::Root(Rule {
                max_age_secs: 60,
                private: false
            })
        ));
        assert!(matches!(
            *p.analyse("{ product(id: 1) { id } me { id } }"),
            Fetch::Root(Rule {
                max_age_secs: 30,
                private: true
            })
        ));
        assert!(matches!(*p.analyse("{ time }"), Fetch::Uncacheable));
        assert!(matches!(
            *p.analyse("mutation { product(id: 1) { id } }"),
            Fetch::Mutation
        ));
        assert!(matches!(
            *p.analyse("query($representations:[_Any!]!){_entities(representations:$representations){...on Product{id}}}"),
            Fetch::Entities(_)
        ));
    }

    #[test]
    fn an_entity_selection_of_ruled_fields_is_cacheable_without_a_type_rule() {
        let doc = graphql_tools::parser::parse_schema::<String>(
            r#"
            type Query { me: User }
            type User {
              id: ID! @cacheControl(maxAge: 600, scope: PUBLIC)
              name: String! @cacheControl(maxAge: 300)
              email: String!
            }
            "#,
        )
        .unwrap()
        .into_static();
        let p = Policy::new(&doc);
        assert_eq!(p.entity("User"), None);
        let rules = |q: &str| match &*p.analyse(q) {
            Fetch::Entities(rules) => rules.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            rules("query($representations:[_Any!]!){_entities(representations:$representations){...on User{__typename name id}}}")
                .get("User"),
            Some(&Rule {
                max_age_secs: 300,
                private: false
            })
        );
        // One field without a rule makes the whole selection uncacheable.
        assert!(rules(
            "query($representations:[_Any!]!){_entities(representations:$representations){...on User{name email}}}"
        )
        .is_empty());
    }
}
