"""Writes the benchmark's request bodies (one GraphQL JSON document per line) for the three
storefront pages, using ids and slugs read from the running platform through the router:
listing.jsonl (24 products of a leaf category), detail.jsonl (a product page), search.jsonl
(a faceted search). Usage: bodies.py ROUTER_GRAPHQL_URL OUT_DIR"""
import json
import sys
import urllib.request

URL, OUT = sys.argv[1], sys.argv[2]

LISTING = """query Listing($c: ID!) { category(id: $c) { name products(first: 24) { edges { cursor node {
  id title slug priceFrom { amount currencyCode } thumbnail rating { average count }
  variants { id stock { inStock } } } } pageInfo { hasNextPage endCursor } } } }"""

DETAIL = """query Detail($s: String!) { product(slug: $s) { id title description brand
  attributes { name value } category { name path { name } }
  variants { id sku title options { name value } price { amount currencyCode }
    compareAtPrice { amount } stock { available inStock } }
  media { url alt width height thumbnail(size: MEDIUM) } rating { average count distribution { stars count } }
  reviews(first: 10) { totalCount edges { node { rating title body createdAt verifiedPurchase
    author { id name } } } } } }"""

SEARCH = """query Search($q: String!) { searchProducts(query: $q, first: 24) {
  products { totalCount edges { cursor node { id title slug priceFrom { amount currencyCode }
    thumbnail rating { average count } } } }
  facets { categories { category { name } count } brands { value count }
    prices { min { amount } max { amount } count } attributes { name values { value count } } } } }"""

PHRASES = ["waterproof jacket", "lightweight", "boots", "organic cotton", "kestrel",
           "insulated sleeping bag", "vintage lamp", "recycled backpack", "headphones",
           "premium", "wool", "jackt", "compact speaker", "trail"]


def gql(query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(URL, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        out = json.load(resp)
    if out.get("errors"):
        sys.exit(f"discovery query failed: {out['errors']}")
    return out["data"]


def write(name, query, variables):
    docs = [json.dumps({"query": query, "variables": v}) for v in variables]
    with open(f"{OUT}/{name}.jsonl", "w") as f:
        f.write("\n".join(docs) + "\n")
    # Fail before measuring if the page itself is broken.
    gql(query, variables[0])


roots = gql("{ rootCategories { children { id } } }")["rootCategories"]
leaves = [c["id"] for r in roots for c in r["children"]]
slugs = []
after = None
while len(slugs) < 400:
    page = gql("query($a: String) { products(first: 100, after: $a) { edges { cursor node { slug } } } }",
               {"a": after})["products"]["edges"]
    if not page:
        break
    slugs += [e["node"]["slug"] for e in page]
    after = page[-1]["cursor"]

write("listing", LISTING, [{"c": c} for c in leaves])
write("detail", DETAIL, [{"s": s} for s in slugs])
write("search", SEARCH, [{"q": q} for q in PHRASES])
print(f"bodies: {len(leaves)} categories, {len(slugs)} products, {len(PHRASES)} phrases", file=sys.stderr)
