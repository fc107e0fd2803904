//! Authorization at the router: enforces the Federation directives `@authenticated`,
//! `@requiresScopes(scopes: [[...]])` and `@policy(policies: [[...]])` that the supergraph
//! carries on fields, object types, interfaces, scalars and enums.
//!
//! Before planning, the fields the caller may not see are removed from the operation; the
//! smaller operation is planned and executed, and the client's own selection is projected over
//! its result, so each removed field is answered `null` with an `UNAUTHORIZED_FIELD_OR_TYPE`
//! error at its path (`"@"` stands for every list position), non-null fields propagating the
//! null to their parent as the spec says. The rest of the query runs as usual.
//!
//! Scopes come from the token (`auth::Principal::scopes`: the `scope` claim plus the scopes
//! its `roles` imply). Lists mean "any of the inner lists, each fully": `[["a", "b"], ["c"]]`
//! is `(a AND b) OR c`. Several requirements on one element (field and its type) must all hold.
//! `@policy` names are decided by the policies in the router config (`[authorization.policies]`);
//! an unknown policy denies.
//!
//! Settings: `ROUTER_AUTHZ` / `[authorization] enabled` (`true` by default), and
//! `[authorization.policies.<name>]` with `roles`, `scopes` and `claims` (see `Policy`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use graphql_tools::static_graphql::query::{
    Definition as QDefinition, Document as QDocument, OperationDefinition, Selection, SelectionSet,
    TypeCondition,
};
use graphql_tools::static_graphql::schema::{
    Definition, Directive, Document, Type, TypeDefinition, TypeExtension, Value as SValue,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::Principal;
use crate::pipeline::plan::Prepared;
use crate::response::{GraphQLError, PathSeg};
use crate::schema::SchemaIndex;
use crate::supergraph::Supergraph;

pub const CODE: &str = "UNAUTHORIZED_FIELD_OR_TYPE";

/// A named policy: the caller must be signed in and meet every listed condition.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Any of these roles (ordered: admin ⊇ staff ⊇ customer).
    #[serde(default)]
    pub roles: Vec<String>,
    /// All of these scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Claims that must have exactly this value (or, for an array claim, contain it).
    #[serde(default)]
    pub claims: HashMap<String, Value>,
}

impl Policy {
    fn role(role: &str) -> Policy {
        Policy {
            roles: vec![role.to_string()],
            ..Policy::default()
        }
    }

    fn allows(&self, p: &Principal) -> bool {
        (self.roles.is_empty() || self.roles.iter().any(|r| p.has_scope(r)))
            && self.scopes.iter().all(|s| p.has_scope(s))
            && self.claims.iter().all(|(k, want)| match p.claims.get(k) {
                Some(Value::Array(items)) if !want.is_array() => items.contains(want),
                Some(v) => v == want,
                None => false,
            })
    }
}

#[derive(Debug, Clone)]
pub struct AuthzConfig {
    pub enabled: bool,
    pub policies: HashMap<String, Policy>,
}

impl Default for AuthzConfig {
    /// Built-in policies: `authenticated`, `customer`, `staff`, `admin`.
    fn default() -> Self {
        let policies = [
            ("authenticated".to_string(), Policy::default()),
            ("customer".to_string(), Policy::role("customer")),
            ("staff".to_string(), Policy::role("staff")),
            ("admin".to_string(), Policy::role("admin")),
        ]
        .into();
        AuthzConfig {
            enabled: true,
            policies,
        }
    }
}

/// `[authorization]` in the config file; `policies` add to (or replace) the built-ins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthzFile {
    enabled: Option<bool>,
    #[serde(default)]
    policies: HashMap<String, Policy>,
}

impl AuthzConfig {
    pub fn apply_file(&mut self, f: AuthzFile) {
        if let Some(v) = f.enabled {
            self.enabled = v;
        }
        self.policies.extend(f.policies);
    }

    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        if let Some(v) = env("ROUTER_AUTHZ") {
            self.enabled = matches!(v.trim(), "1" | "true" | "on" | "yes");
        }
    }
}

/// One requirement; an element's requirements must all hold.
#[derive(Debug, Clone, PartialEq)]
enum Rule {
    Authenticated,
    /// Any of the groups, each fully.
    Scopes(Vec<Vec<String>>),
    Policies(Vec<Vec<String>>),
}

/// The supergraph's authorization directives, indexed; built once per supergraph load.
#[derive(Debug, Default)]
pub struct Authz {
    config: Option<Arc<AuthzConfig>>,
    types: HashMap<String, Vec<Rule>>,
    fields: HashMap<(String, String), Vec<Rule>>,
}

fn rules(directives: &[Directive]) -> Vec<Rule> {
    let mut out = Vec::new();
    for d in directives {
        // The supergraph may prefix imported names (`@federation__authenticated`).
        let name = d.name.rsplit("__").next().unwrap_or(&d.name);
        let groups = |arg: &str| -> Vec<Vec<String>> {
            let Some((_, SValue::List(outer))) = d.arguments.iter().find(|(n, _)| n == arg) else {
                return Vec::new();
            };
            outer
                .iter()
                .map(|inner| match inner {
                    SValue::List(items) => items
                        .iter()
                        .filter_map(|v| match v {
                            SValue::String(s) | SValue::Enum(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect(),
                    SValue::String(s) => vec![s.clone()],
                    _ => Vec::new(),
                })
                .collect()
        };
        match name {
            "authenticated" => out.push(Rule::Authenticated),
            "requiresScopes" => out.push(Rule::Scopes(groups("scopes"))),
            "policy" => out.push(Rule::Policies(groups("policies"))),
            _ => {}
        }
    }
    out
}

impl Authz {
    /// `verifying`: tokens are verified at the edge (without that nothing is enforced here).
    pub fn new(supergraph: &Document, config: &AuthzConfig, verifying: bool) -> Authz {
        let mut authz = Authz {
            config: (config.enabled && verifying).then(|| Arc::new(config.clone())),
            ..Authz::default()
        };
        let mut add_type = |name: &str, dirs: &[Directive]| {
            let r = rules(dirs);
            if !r.is_empty() {
                authz.types.entry(name.to_string()).or_default().extend(r);
            }
        };
        for def in &supergraph.definitions {
            match def {
                Definition::TypeDefinition(TypeDefinition::Object(t)) => {
                    add_type(&t.name, &t.directives)
                }
                Definition::TypeDefinition(TypeDefinition::Interface(t)) => {
                    add_type(&t.name, &t.directives)
                }
                Definition::TypeDefinition(TypeDefinition::Scalar(t)) => {
                    add_type(&t.name, &t.directives)
                }
                Definition::TypeDefinition(TypeDefinition::Enum(t)) => {
                    add_type(&t.name, &t.directives)
                }
                Definition::TypeDefinition(TypeDefinition::Union(t)) => {
                    add_type(&t.name, &t.directives)
                }
                Definition::TypeExtension(TypeExtension::Object(t)) => {
                    add_type(&t.name, &t.directives)
                }
                _ => {}
            }
        }
        for def in &supergraph.definitions {
            let (owner, fields) = match def {
                Definition::TypeDefinition(TypeDefinition::Object(t)) => (&t.name, &t.fields),
                Definition::TypeDefinition(TypeDefinition::Interface(t)) => (&t.name, &t.fields),
                Definition::TypeExtension(TypeExtension::Object(t)) => (&t.name, &t.fields),
                _ => continue,
            };
            for f in fields {
                let r = rules(&f.directives);
                if !r.is_empty() {
                    authz
                        .fields
                        .entry((owner.clone(), f.name.clone()))
                        .or_default()
                        .extend(r);
                }
            }
        }
        authz
    }

    /// True when nothing in the supergraph needs checking (the fast path).
    pub fn is_inactive(&self) -> bool {
        self.config.is_none() || (self.types.is_empty() && self.fields.is_empty())
    }

    fn allows(&self, rules: &[Rule], p: Option<&Principal>) -> bool {
        let Some(config) = &self.config else {
            return true;
        };
        rules.iter().all(|rule| match (rule, p) {
            (_, None) => false,
            (Rule::Authenticated, Some(_)) => true,
            (Rule::Scopes(groups), Some(p)) => groups
                .iter()
                .any(|g| g.iter().all(|s| p.has_scope(s))),
            (Rule::Policies(groups), Some(p)) => groups.iter().any(|g| {
                g.iter().all(|name| match config.policies.get(name) {
                    Some(policy) => policy.allows(p),
                    None => {
                        tracing::warn!(policy = %name, "@policy names a policy the router does not define; denying");
                        false
                    }
                })
            }),
        })
    }

    fn type_allowed(&self, type_name: &str, p: Option<&Principal>) -> bool {
        self.types.get(type_name).is_none_or(|r| self.allows(r, p))
    }

    /// May `p` select `parent.field` (the field's rules, its type's, and for an abstract parent
    /// the rules of that field on every possible type)?
    fn field_allowed(
        &self,
        api: &SchemaIndex,
        parent: &str,
        field: &str,
        p: Option<&Principal>,
    ) -> bool {
        if field.starts_with("__") {
            return true;
        }
        let own = |owner: &str| {
            self.fields
                .get(&(owner.to_string(), field.to_string()))
                .is_none_or(|r| self.allows(r, p))
        };
        if !own(parent) {
            return false;
        }
        if let Some(info) = api.types.get(parent) {
            if !info.possible.iter().all(|t| own(t)) {
                return false;
            }
        }
        match api.field_type(parent, field) {
            Some(ty) => self.type_allowed(crate::schema::named(ty), p),
            None => true,
        }
    }
}

/// The operation to plan when some fields were removed, and the errors for them.
pub struct Restricted {
    pub prepared: Arc<Prepared>,
    pub errors: Vec<GraphQLError>,
}

/// Checks `prepared` for `principal`: `Ok(None)` when everything is allowed (run it as is),
/// `Ok(Some)` with the reduced operation otherwise.
pub fn restrict(
    supergraph: &Supergraph,
    prepared: &Prepared,
    operation_name: Option<&str>,
    principal: Option<&Principal>,
) -> Result<Option<Restricted>, Vec<GraphQLError>> {
    let errors = denied(supergraph, prepared, principal);
    if errors.is_empty() {
        return Ok(None);
    }
    crate::metrics::unauthorized_fields(errors.len());
    let text = reduced_document(&supergraph.authz, &supergraph.api, prepared, principal);
    let reduced = crate::pipeline::plan::prepare(supergraph, &text, operation_name)?;
    Ok(Some(Restricted {
        prepared: reduced,
        errors,
    }))
}

/// An `UNAUTHORIZED_FIELD_OR_TYPE` error at the response path of each field of `prepared`
/// that `principal` may not select; empty when everything is allowed.
pub fn denied(
    supergraph: &Supergraph,
    prepared: &Prepared,
    principal: Option<&Principal>,
) -> Vec<GraphQLError> {
    let authz = &supergraph.authz;
    if authz.is_inactive() {
        return Vec::new();
    }
    let mut walker = Walker {
        authz,
        api: &supergraph.api,
        principal,
        fragments: &prepared.fragments,
        errors: Vec::new(),
        path: Vec::new(),
        visiting: HashSet::new(),
    };
    walker.walk(&prepared.root_type, prepared.selection_set());
    walker.errors
}

/// Collects an error per denied field, at its response path.
struct Walker<'a> {
    authz: &'a Authz,
    api: &'a SchemaIndex,
    principal: Option<&'a Principal>,
    fragments: &'a HashMap<String, graphql_tools::static_graphql::query::FragmentDefinition>,
    errors: Vec<GraphQLError>,
    path: Vec<PathSeg>,
    visiting: HashSet<String>,
}

impl Walker<'_> {
    fn walk(&mut self, parent: &str, set: &SelectionSet) {
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
                    self.path.push(PathSeg::Key(key));
                    if !self
                        .authz
                        .field_allowed(self.api, parent, &f.name, self.principal)
                    {
                        self.errors.push(
                            GraphQLError::new("Unauthorized field or type")
                                .code(CODE)
                                .at(self.path.clone()),
                        );
                    } else if let Some(ty) = self.api.field_type(parent, &f.name) {
                        let lists = list_depth(ty);
                        for _ in 0..lists {
                            self.path.push(PathSeg::Key("@".into()));
                        }
                        let named = crate::schema::named(ty).to_string();
                        self.walk(&named, &f.selection_set);
                        for _ in 0..lists {
                            self.path.pop();
                        }
                    }
                    self.path.pop();
                }
                Selection::InlineFragment(i) => {
                    let ty = match &i.type_condition {
                        Some(TypeCondition::On(t)) => t.clone(),
                        None => parent.to_string(),
                    };
                    if self.authz.type_allowed(&ty, self.principal) {
                        self.walk(&ty, &i.selection_set);
                    }
                }
                Selection::FragmentSpread(s) => {
                    let Some(frag) = self.fragments.get(&s.fragment_name) else {
                        continue;
                    };
                    if !self.visiting.insert(s.fragment_name.clone()) {
                        continue;
                    }
                    let TypeCondition::On(ty) = &frag.type_condition;
                    if self.authz.type_allowed(ty, self.principal) {
                        self.walk(ty, &frag.selection_set);
                    }
                    self.visiting.remove(&s.fragment_name);
                }
            }
        }
    }
}

fn list_depth(ty: &Type) -> usize {
    match ty {
        Type::NamedType(_) => 0,
        Type::NonNullType(inner) => list_depth(inner),
        Type::ListType(inner) => 1 + list_depth(inner),
    }
}

/// The operation document without the denied fields (and fragments on denied types), with
/// variables and fragments that are no longer used dropped, as text for `plan::prepare`.
fn reduced_document(
    authz: &Authz,
    api: &SchemaIndex,
    prepared: &Prepared,
    principal: Option<&Principal>,
) -> String {
    let mut doc: QDocument = prepared.doc.clone();
    let root = prepared.root_type.clone();
    for def in &mut doc.definitions {
        match def {
            QDefinition::Operation(op) => {
                let set = match op {
                    OperationDefinition::SelectionSet(s) => s,
                    OperationDefinition::Query(q) => &mut q.selection_set,
                    OperationDefinition::Mutation(m) => &mut m.selection_set,
                    OperationDefinition::Subscription(s) => &mut s.selection_set,
                };
                // Sibling operations in the document have other roots; only the chosen one
                // is planned, so pruning with this root is enough.
                prune(authz, api, principal, &root, set);
            }
            QDefinition::Fragment(f) => {
                let TypeCondition::On(ty) = f.type_condition.clone();
                prune(authz, api, principal, &ty, &mut f.selection_set);
            }
        }
    }
    reduced_text(doc, prepared)
}

/// Prints an operation document that had selections removed, as a valid operation: fragments
/// and variable definitions no longer used are dropped.
pub(crate) fn reduced_text(mut doc: QDocument, prepared: &Prepared) -> String {
    drop_unused(&mut doc);
    let mut text = doc.to_string();
    // Variable definitions whose variable no longer appears: removing them keeps the reduced
    // operation valid (the client's values are still coerced against the original).
    for name in variable_names(prepared) {
        if occurrences(&text, &name) <= 1 {
            text = remove_variable_definition(&text, &name);
        }
    }
    text
}

/// A selection set may not be empty: an emptied one keeps the object and asks only for its
/// type name.
pub(crate) fn keep_non_empty(set: &mut SelectionSet) {
    if set.items.is_empty() {
        set.items.push(Selection::Field(
            graphql_tools::static_graphql::query::Field {
                position: set.span.0,
                alias: None,
                name: "__typename".into(),
                arguments: Vec::new(),
                directives: Vec::new(),
                selection_set: SelectionSet {
                    span: set.span,
                    items: Vec::new(),
                },
            },
        ));
    }
}

fn prune(
    authz: &Authz,
    api: &SchemaIndex,
    principal: Option<&Principal>,
    parent: &str,
    set: &mut SelectionSet,
) {
    if set.items.is_empty() {
        return; // a leaf
    }
    set.items.retain_mut(|sel| match sel {
        Selection::Field(f) => {
            if !authz.field_allowed(api, parent, &f.name, principal) {
                return false;
            }
            if let Some(ty) = api.field_type(parent, &f.name) {
                let named = crate::schema::named(ty).to_string();
                prune(authz, api, principal, &named, &mut f.selection_set);
            }
            true
        }
        Selection::InlineFragment(i) => {
            let ty = match &i.type_condition {
                Some(TypeCondition::On(t)) => t.clone(),
                None => parent.to_string(),
            };
            if !authz.type_allowed(&ty, principal) {
                return false;
            }
            prune(authz, api, principal, &ty, &mut i.selection_set);
            true
        }
        Selection::FragmentSpread(_) => true,
    });
    keep_non_empty(set);
}

/// Drops fragment definitions no operation reaches any more.
fn drop_unused(doc: &mut QDocument) {
    fn spreads(set: &SelectionSet, out: &mut Vec<String>) {
        for sel in &set.items {
            match sel {
                Selection::Field(f) => spreads(&f.selection_set, out),
                Selection::InlineFragment(i) => spreads(&i.selection_set, out),
                Selection::FragmentSpread(s) => out.push(s.fragment_name.clone()),
            }
        }
    }
    let mut used: HashSet<String> = HashSet::new();
    let mut todo = Vec::new();
    for def in &doc.definitions {
        if let QDefinition::Operation(op) = def {
            let set = match op {
                OperationDefinition::SelectionSet(s) => s,
                OperationDefinition::Query(q) => &q.selection_set,
                OperationDefinition::Mutation(m) => &m.selection_set,
                OperationDefinition::Subscription(s) => &s.selection_set,
            };
            spreads(set, &mut todo);
        }
    }
    let frags: HashMap<String, SelectionSet> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            QDefinition::Fragment(f) => Some((f.name.clone(), f.selection_set.clone())),
            _ => None,
        })
        .collect();
    while let Some(name) = todo.pop() {
        if used.insert(name.clone()) {
            if let Some(set) = frags.get(&name) {
                spreads(set, &mut todo);
            }
        }
    }
    doc.definitions.retain(|d| match d {
        QDefinition::Fragment(f) => used.contains(&f.name),
        _ => true,
    });
}

fn variable_names(prepared: &Prepared) -> Vec<String> {
    prepared
        .variable_definitions()
        .iter()
        .map(|v| v.name.clone())
        .collect()
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// How often `$name` appears as a whole variable reference in `text`.
fn occurrences(text: &str, name: &str) -> usize {
    let needle = format!("${name}");
    text.match_indices(&needle)
        .filter(|(i, _)| {
            !text[i + needle.len()..]
                .chars()
                .next()
                .is_some_and(is_name_char)
        })
        .count()
}

/// Removes `$name: Type = default` from the variable definitions of the printed document.
fn remove_variable_definition(text: &str, name: &str) -> String {
    let needle = format!("${name}:");
    let Some(start) = text.find(&needle) else {
        return text.to_string();
    };
    // The definition ends at the next `,` or `$` or `)` at depth 0 (defaults may hold lists
    // and objects).
    let mut depth = 0i32;
    let mut end = text.len();
    let mut in_string = false;
    for (i, c) in text[start + needle.len()..].char_indices() {
        let at = start + needle.len() + i;
        match c {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ')' if depth == 0 => {
                end = at;
                break;
            }
            '$' | ',' if depth == 0 => {
                end = at;
                break;
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..start]);
    let rest = text[end..].trim_start_matches([',', ' ']);
    out.push_str(rest);
    // `query Q()` is not valid GraphQL: drop an emptied parenthesis pair.
    out.replace("()", "")
}

/// Executes the reduced plan and projects the client's own selection over its result; the
/// authorization errors come first, so the projector's non-null propagation sees them and
/// reports no second error for the same path.
pub async fn run(
    ctx: &crate::pipeline::Context<'_>,
    prepared: &Prepared,
    restricted: Restricted,
    vars: &Map<String, Value>,
    initial: Value,
) -> crate::response::Response {
    let exec = crate::pipeline::execute::Execution::new(
        ctx.supergraph,
        ctx.client,
        vars,
        ctx.headers,
        initial,
    );
    if let Some(node) = restricted
        .prepared
        .plan
        .as_ref()
        .and_then(|p| p.node.as_ref())
    {
        exec.run(node).await;
    }
    let mut errors = restricted.errors;
    errors.extend(exec.errors.into_inner());
    crate::pipeline::shape(
        ctx.supergraph,
        prepared,
        vars,
        exec.data.into_inner(),
        errors,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(sdl: &str) -> Document {
        graphql_tools::parser::parse_schema(sdl)
            .unwrap()
            .into_static()
    }

    #[test]
    fn directives_are_indexed_from_fields_and_types() {
        let d = doc(r#"
            type Query { me: User @authenticated  staff: String @requiresScopes(scopes: [["staff"], ["admin", "ops"]]) }
            type User @policy(policies: [["owner"]]) { id: ID! }
            scalar Secret @authenticated
            enum Level @requiresScopes(scopes: [["staff"]]) { A }
        "#);
        let a = Authz::new(&d, &AuthzConfig::default(), true);
        assert_eq!(
            a.fields[&("Query".into(), "me".into())],
            vec![Rule::Authenticated]
        );
        assert_eq!(
            a.fields[&("Query".into(), "staff".into())],
            vec![Rule::Scopes(vec![
                vec!["staff".into()],
                vec!["admin".into(), "ops".into()]
            ])]
        );
        assert_eq!(
            a.types["User"],
            vec![Rule::Policies(vec![vec!["owner".into()]])]
        );
        assert_eq!(a.types["Secret"], vec![Rule::Authenticated]);
        assert!(a.types.contains_key("Level"));
    }

    #[test]
    fn composition_keeps_the_directives_in_the_supergraph() {
        let sub = |name: &str, sdl: &str| crate::compose::SubgraphSdl {
            name: name.into(),
            url: format!("http://{name}/graphql"),
            sdl: sdl.into(),
        };
        let sdl = crate::compose::compose(&[
            sub(
                "a",
                r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated", "@requiresScopes", "@policy"])
                   type Query { me: User @authenticated  staffOnly: String @requiresScopes(scopes: [["staff"]]) }
                   type User @key(fields: "id") { id: ID!  email: String @policy(policies: [["owner"]]) }"#,
            ),
            sub(
                "b",
                r#"extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@authenticated"])
                   type User @key(fields: "id") { id: ID!  orders: [String] @authenticated }"#,
            ),
        ])
        .unwrap();
        let a = Authz::new(&doc(&sdl), &AuthzConfig::default(), true);
        assert_eq!(
            a.fields.get(&("Query".into(), "me".into())),
            Some(&vec![Rule::Authenticated]),
            "{sdl}"
        );
        assert!(
            a.fields.contains_key(&("Query".into(), "staffOnly".into())),
            "{sdl}"
        );
        assert!(
            a.fields.contains_key(&("User".into(), "email".into())),
            "{sdl}"
        );
        assert!(
            a.fields.contains_key(&("User".into(), "orders".into())),
            "{sdl}"
        );
    }

    /// What async-graphql exports for a kit subgraph: the federation link, and the directives
    /// declared by `kit::authz_directives` as plain type directives.
    #[test]
    fn composition_reads_declared_authorization_directives() {
        let sdl = crate::compose::compose(&[crate::compose::SubgraphSdl {
            name: "a".into(),
            url: "http://a/graphql".into(),
            sdl: r#"
type Query { me: User @authenticated  staff: String @requiresScopes(scopes: [["staff"]])  p: String @policy(policies: [["owner"]]) }
type User @key(fields: "id") @authenticated { id: ID! }
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @policy(policies: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
extend schema @link(
	url: "https://specs.apollo.dev/federation/v2.5",
	import: ["@key", "@tag", "@shareable", "@inaccessible", "@override", "@external", "@provides", "@requires", "@composeDirective", "@interfaceObject", "@requiresScopes"]
)
"#
            .into(),
        }])
        .unwrap();
        let a = Authz::new(&doc(&sdl), &AuthzConfig::default(), true);
        assert!(
            a.fields.contains_key(&("Query".into(), "me".into())),
            "{sdl}"
        );
        assert!(
            a.fields.contains_key(&("Query".into(), "staff".into())),
            "{sdl}"
        );
        assert!(
            a.fields.contains_key(&("Query".into(), "p".into())),
            "{sdl}"
        );
        assert!(a.types.contains_key("User"), "{sdl}");
    }

    #[test]
    fn variable_definitions_are_removed_textually() {
        let t = "query Q($a: ID!, $b: [Int] = [1, 2], $c: String) {\n  x(a: $a, c: $c)\n}\n";
        assert_eq!(occurrences(t, "b"), 1);
        assert_eq!(occurrences(t, "a"), 2);
        let out = remove_variable_definition(t, "b");
        assert_eq!(
            out,
            "query Q($a: ID!, $c: String) {\n  x(a: $a, c: $c)\n}\n"
        );
        let out = remove_variable_definition("query Q($b: Int) {\n  x\n}\n", "b");
        assert_eq!(out, "query Q {\n  x\n}\n");
    }
}
