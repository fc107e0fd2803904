//! Which fetch nodes of a plan serve only deferred fragments. The planner resolves `@defer`
//! inline, so the router reads the plan it made for the whole operation: a fetch whose fields
//! (at its place in the response) are selected only by deferred fragments waits until the first
//! part is out; every other fetch runs first. Each fetch still happens once: a fetch that serves
//! both parts runs first and the deferred fields it brought are held back for their part.

use std::collections::{HashMap, HashSet};

use graphql_tools::static_graphql::query::{FragmentDefinition, Selection, SelectionSet};
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::SelectionSet as PlanSelectionSet;
use hive_router_query_planner::planner::plan_nodes::{FetchNode, FlattenNodePathSegment, PlanNode};

/// A path of response keys from the root (list positions left out).
pub type KeyPath = Vec<String>;

/// The response keys one selection (the primary one, or one deferred fragment's own, nested
/// deferred fragments excluded) asks for at every key path it reaches.
#[derive(Default)]
pub struct Selected(HashMap<KeyPath, HashSet<String>>);

/// Fragment nesting the walk follows at most (validation already refuses cycles).
const MAX_DEPTH: usize = 64;

impl Selected {
    pub fn of(
        set: &SelectionSet,
        at: &[String],
        fragments: &HashMap<String, FragmentDefinition>,
    ) -> Selected {
        let mut out = Selected::default();
        out.walk(set, &mut at.to_vec(), fragments, 0);
        out
    }

    fn walk(
        &mut self,
        set: &SelectionSet,
        path: &mut KeyPath,
        fragments: &HashMap<String, FragmentDefinition>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for sel in &set.items {
            match sel {
                Selection::Field(f) => {
                    let key = f.alias.clone().unwrap_or_else(|| f.name.clone());
                    self.0.entry(path.clone()).or_default().insert(key.clone());
                    path.push(key);
                    self.walk(&f.selection_set, path, fragments, depth + 1);
                    path.pop();
                }
                Selection::InlineFragment(i) => {
                    self.walk(&i.selection_set, path, fragments, depth + 1)
                }
                Selection::FragmentSpread(s) => {
                    if let Some(frag) = fragments.get(&s.fragment_name) {
                        self.walk(&frag.selection_set, path, fragments, depth + 1);
                    }
                }
            }
        }
    }

    /// Does this selection ask for `key` on the objects at `at`?
    pub fn has(&self, at: &[String], key: &str) -> bool {
        self.0.get(at).is_some_and(|keys| keys.contains(key))
    }
}

/// The deferred fragments (by index) each deferred fetch node waits for; nodes not listed run
/// before the first part.
#[derive(Default)]
pub struct Partition {
    owners: HashMap<usize, Vec<usize>>,
    /// First-part entity fetches below a streamed list: they run again after the first part,
    /// for the list's later items.
    split: HashSet<usize>,
}

fn addr(node: &PlanNode) -> usize {
    node as *const PlanNode as usize
}

impl Partition {
    /// Reads the plan's fetch nodes against the primary selection and each deferred fragment's.
    pub fn new(
        root: &PlanNode,
        primary: &Selected,
        deferred: &[Selected],
        streams: &[KeyPath],
    ) -> Partition {
        let mut required = HashSet::new();
        required_names(root, &mut required);
        let mut p = Partition::default();
        let ctx = Ctx {
            primary,
            deferred,
            required: &required,
            streams,
        };
        p.walk(root, &ctx);
        p
    }

    /// The deferred fragments waiting for `node`; `None`: it serves the first part.
    pub fn owners(&self, node: &PlanNode) -> Option<&[usize]> {
        self.owners.get(&addr(node)).map(Vec::as_slice)
    }

    /// Is `node` a first-part entity fetch that runs again for a streamed list's later items?
    pub fn is_split(&self, node: &PlanNode) -> bool {
        !self.split.is_empty() && self.split.contains(&addr(node))
    }

    pub fn split_count(&self) -> usize {
        self.split.len()
    }

    /// How many deferred fetch nodes each of `n` deferred fragments waits for.
    pub fn counts(&self, n: usize) -> Vec<usize> {
        let mut out = vec![0; n];
        for owners in self.owners.values() {
            for &o in owners {
                if let Some(c) = out.get_mut(o) {
                    *c += 1;
                }
            }
        }
        out
    }

    fn walk(&mut self, node: &PlanNode, ctx: &Ctx<'_>) {
        match node {
            PlanNode::Fetch(f) => {
                if let Some(o) = ctx.classify(&[], fetched_root_keys(f)) {
                    self.owners.insert(addr(node), o);
                }
            }
            PlanNode::Flatten(fl) => match fl.node.as_ref() {
                PlanNode::Fetch(f) => {
                    let at = key_path(fl.path.as_slice());
                    if let Some(o) = ctx.classify(&at, fetched_entity_keys(f, "_entities")) {
                        self.owners.insert(addr(node), o);
                    } else if ctx.streamed(&at) {
                        self.split.insert(addr(node));
                    }
                }
                other => self.walk(other, ctx),
            },
            PlanNode::BatchFetch(b) => {
                // Deferred only when every path of every alias is.
                let mut all = Vec::new();
                let mut deferred = true;
                let mut streamed = false;
                for alias in &b.entity_batch.aliases {
                    let keys = fetched_keys_under(
                        &b.operation.document.operation.selection_set,
                        &alias.alias,
                    );
                    for path in &alias.merge_paths {
                        let at = key_path(path.as_slice());
                        streamed |= ctx.streamed(&at);
                        match ctx.classify(&at, keys.clone()) {
                            Some(o) if deferred => all.extend(o),
                            _ => deferred = false,
                        }
                    }
                }
                if deferred && !all.is_empty() {
                    all.sort_unstable();
                    all.dedup();
                    self.owners.insert(addr(node), all);
                } else if streamed {
                    self.split.insert(addr(node));
                }
            }
            PlanNode::Sequence(s) => s.nodes.iter().for_each(|n| self.walk(n, ctx)),
            PlanNode::Parallel(p) => p.nodes.iter().for_each(|n| self.walk(n, ctx)),
            PlanNode::Condition(c) => {
                for n in [&c.if_clause, &c.else_clause].into_iter().flatten() {
                    self.walk(n, ctx);
                }
            }
            PlanNode::Defer(d) => {
                if let Some(n) = &d.primary.node {
                    self.walk(n, ctx);
                }
                for n in d.deferred.iter().filter_map(|d| d.node.as_ref()) {
                    self.walk(n, ctx);
                }
            }
            PlanNode::Subscription(_) => {}
        }
    }
}

struct Ctx<'c> {
    primary: &'c Selected,
    deferred: &'c [Selected],
    /// Field names some fetch requires of an entity (`@requires` inputs and keys).
    required: &'c HashSet<String>,
    /// The streamed lists' paths.
    streams: &'c [KeyPath],
}

impl Ctx<'_> {
    /// Does a fetch at `at` resolve objects inside a streamed list?
    fn streamed(&self, at: &[String]) -> bool {
        self.streams.iter().any(|s| at.starts_with(s))
    }

    /// A fetch bringing `keys` onto the objects at `at` is deferred when no key is selected by
    /// the primary selection there, at least one is selected by a deferred fragment, and the
    /// keys nobody selects are not inputs another fetch requires (it might be a first-part one).
    fn classify(&self, at: &[String], keys: Option<Vec<String>>) -> Option<Vec<usize>> {
        let keys = keys?;
        let mut owners = Vec::new();
        for k in &keys {
            if self.primary.has(at, k) {
                return None;
            }
            let mut selected = false;
            for (i, d) in self.deferred.iter().enumerate() {
                if d.has(at, k) {
                    selected = true;
                    if !owners.contains(&i) {
                        owners.push(i);
                    }
                }
            }
            if !selected && self.required.contains(k) {
                return None;
            }
        }
        (!owners.is_empty()).then_some(owners)
    }
}

/// Does a flatten path (before a list) name exactly these response keys?
pub fn same_keys(prefix: &[FlattenNodePathSegment], keys: &[String]) -> bool {
    let mut fields = prefix.iter().filter_map(|s| match s {
        FlattenNodePathSegment::Field(k) => Some(k),
        _ => None,
    });
    keys.iter().all(|k| fields.next() == Some(k)) && fields.next().is_none()
}

/// A flatten path as response keys.
fn key_path(segs: &[FlattenNodePathSegment]) -> KeyPath {
    segs.iter()
        .filter_map(|s| match s {
            FlattenNodePathSegment::Field(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// The response keys a root fetch puts on the root object (`None`: it cannot tell).
fn fetched_root_keys(f: &FetchNode) -> Option<Vec<String>> {
    let mut out = Vec::new();
    direct_keys(&f.operation.document.operation.selection_set, &mut out)?;
    Some(out)
}

/// The response keys an entity fetch puts on each entity (under its `_entities` field).
fn fetched_entity_keys(f: &FetchNode, field: &str) -> Option<Vec<String>> {
    fetched_keys_under(&f.operation.document.operation.selection_set, field)
}

fn fetched_keys_under(set: &PlanSelectionSet, field: &str) -> Option<Vec<String>> {
    let entities = set.items.iter().find_map(|item| match item {
        SelectionItem::Field(f) if f.alias.as_deref().unwrap_or(&f.name) == field => Some(f),
        _ => None,
    })?;
    let mut out = Vec::new();
    direct_keys(&entities.selections, &mut out)?;
    Some(out)
}

/// The field response keys of a selection set, through inline fragments, `__typename` left out;
/// `None` when it spreads a named fragment (not read here).
fn direct_keys(set: &PlanSelectionSet, out: &mut Vec<String>) -> Option<()> {
    for item in &set.items {
        match item {
            SelectionItem::Field(f) => {
                let key = f.alias.as_deref().unwrap_or(&f.name);
                if key != "__typename" && !out.iter().any(|k| k == key) {
                    out.push(key.to_string());
                }
            }
            SelectionItem::InlineFragment(i) => direct_keys(&i.selections, out)?,
            SelectionItem::FragmentSpread(_) => return None,
        }
    }
    Some(())
}

fn required_names(node: &PlanNode, out: &mut HashSet<String>) {
    match node {
        PlanNode::Fetch(f) => {
            if let Some(r) = &f.requires {
                names(r, out)
            }
        }
        PlanNode::Flatten(fl) => required_names(&fl.node, out),
        PlanNode::BatchFetch(b) => b
            .entity_batch
            .aliases
            .iter()
            .for_each(|a| names(&a.requires, out)),
        PlanNode::Sequence(s) => s.nodes.iter().for_each(|n| required_names(n, out)),
        PlanNode::Parallel(p) => p.nodes.iter().for_each(|n| required_names(n, out)),
        PlanNode::Condition(c) => {
            for n in [&c.if_clause, &c.else_clause].into_iter().flatten() {
                required_names(n, out);
            }
        }
        PlanNode::Defer(d) => {
            if let Some(n) = &d.primary.node {
                required_names(n, out);
            }
            for n in d.deferred.iter().filter_map(|d| d.node.as_ref()) {
                required_names(n, out);
            }
        }
        PlanNode::Subscription(_) => {}
    }
}

/// Every field name in a selection set, at any depth.
fn names(set: &PlanSelectionSet, out: &mut HashSet<String>) {
    for item in &set.items {
        match item {
            SelectionItem::Field(f) => {
                out.insert(f.name.clone());
                names(&f.selections, out);
            }
            SelectionItem::InlineFragment(i) => names(&i.selections, out),
            SelectionItem::FragmentSpread(_) => {}
        }
    }
}
