//! Links the authorization directives a kit subgraph declares: async-graphql imports only
//! `@requiresScopes` from the federation spec (v2.5), and exports `@authenticated` and `@policy`
//! (`kit::authz_directives`) as plain directive definitions, which composition would drop as
//! unknown. Before composing, such an SDL gets both names added to its federation `@link`
//! import (at v2.6, the version that has `@policy`), so the supergraph carries them and the
//! router enforces them (`authz`).

use std::borrow::Cow;

const NAMES: [&str; 2] = ["authenticated", "policy"];
const FEDERATION: &str = "https://specs.apollo.dev/federation/v2.";

/// The SDL with `@authenticated`/`@policy` imported when it declares them itself.
pub fn normalize(sdl: &str) -> Cow<'_, str> {
    let Some(link) = sdl.find(FEDERATION) else {
        return Cow::Borrowed(sdl);
    };
    let Some(import_at) = sdl[link..]
        .find("import: [")
        .map(|i| link + i + "import: [".len())
    else {
        return Cow::Borrowed(sdl);
    };
    let import_end = sdl[import_at..]
        .find(']')
        .map(|i| import_at + i)
        .unwrap_or(sdl.len());
    let imports = &sdl[import_at..import_end];
    let missing: Vec<&str> = NAMES
        .into_iter()
        .filter(|n| sdl.contains(&format!("directive @{n}")))
        .filter(|n| !imports.contains(&format!("\"@{n}\"")))
        .collect();
    if missing.is_empty() {
        return Cow::Borrowed(sdl);
    }
    let version_at = link + FEDERATION.len();
    let version_end = sdl[version_at..]
        .find('"')
        .map(|i| version_at + i)
        .unwrap_or(version_at);
    let minor: u32 = sdl[version_at..version_end].parse().unwrap_or(0);
    let mut out = String::with_capacity(sdl.len() + 40);
    out.push_str(&sdl[..version_at]);
    out.push_str(&minor.max(6).to_string());
    out.push_str(&sdl[version_end..import_at]);
    for n in &missing {
        out.push_str(&format!("\"@{n}\", "));
    }
    out.push_str(&sdl[import_at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_directives_are_imported_at_v2_6() {
        let sdl = "type Query { a: Int @authenticated }\ndirective @authenticated on FIELD_DEFINITION\nextend schema @link(\n\turl: \"https://specs.apollo.dev/federation/v2.5\",\n\timport: [\"@key\", \"@requiresScopes\"]\n)\n";
        let out = normalize(sdl);
        assert!(
            out.contains("federation/v2.6\",\n\timport: [\"@authenticated\", \"@key\""),
            "{out}"
        );
        // Already linked, or not declared: unchanged.
        assert!(matches!(normalize(&out), Cow::Borrowed(_)));
        let plain = "extend schema @link(url: \"https://specs.apollo.dev/federation/v2.3\", import: [\"@key\"])\ntype Query { a: Int }";
        assert!(matches!(normalize(plain), Cow::Borrowed(_)));
    }
}
