"""Writes the cart benchmark's request bodies, one per line, each prefixed with the guest cart's
X-Cart-Token header (see bench/storefront/requests.lua): page.jsonl reads a 5-line cart page
(variant title, price, stock, thumbnail, discounts, totals) and add.jsonl adds one unit of a
variant to a cart. It creates the carts through the router first, with a coupon applied to the
page carts so the discounts path is measured too. Usage: bodies.py ROUTER_GRAPHQL_URL OUT_DIR"""
import json
import sys
import urllib.request

URL, OUT = sys.argv[1], sys.argv[2]
PAGE_CARTS = 100
ADD_CARTS = 200
ADD_VARIANTS = 20

PAGE = """query CartPage($id: ID!) { cart(id: $id) { id itemCount
  lines { id quantity unitPrice { amount currencyCode } lineTotal { amount currencyCode } priceChanged
    variant { id sku title stock { available inStock } product { title slug thumbnail } } }
  subtotal { amount currencyCode } discounts { kind code title amount { amount } }
  discountTotal { amount } estimatedTotal { amount currencyCode } couponCode } }"""

ADD = """mutation Add($cart: ID!, $v: ID!) { addCartLine(cartId: $cart, input: { variantId: $v, quantity: 1 }) {
  id itemCount subtotal { amount currencyCode } } }"""


def gql(query, variables=None, token=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Cart-Token"] = token
    req = urllib.request.Request(URL, body, headers)
    with urllib.request.urlopen(req, timeout=60) as resp:
        out = json.load(resp)
    if out.get("errors"):
        sys.exit(f"setup query failed: {out['errors']}")
    return out["data"]


def new_cart():
    created = gql("mutation { createCart { token cart { id } } }")["createCart"]
    return created["cart"]["id"], created["token"]


# Variants in stock, from the first leaf categories' listings.
roots = gql("{ rootCategories { children { id } } }")["rootCategories"]
variants = []
for leaf in [c["id"] for r in roots for c in r["children"]]:
    page = gql("""query($c: ID!) { category(id: $c) { products(first: 50) { edges { node {
        variants { id stock { available } } } } } } }""", {"c": leaf})
    for edge in page["category"]["products"]["edges"]:
        variants += [v["id"] for v in edge["node"]["variants"] if v["stock"]["available"] >= 100]
    if len(variants) >= 200:
        break
if len(variants) < ADD_VARIANTS:
    sys.exit(f"only {len(variants)} variants with 100 or more in stock")

lines = []
for i in range(PAGE_CARTS):
    cart, token = new_cart()
    for k in range(5):
        gql(ADD, {"cart": cart, "v": variants[(i * 5 + k) % len(variants)]}, token)
    gql('mutation($c: ID!) { applyCoupon(cartId: $c, code: "WELCOME10") { id } }', {"c": cart}, token)
    lines.append(f"X-Cart-Token: {token}\t" + json.dumps({"query": PAGE, "variables": {"id": cart}}))
with open(f"{OUT}/page.jsonl", "w") as f:
    f.write("\n".join(lines) + "\n")

lines = []
carts = [new_cart() for _ in range(ADD_CARTS)]
for k in range(ADD_VARIANTS):
    for cart, token in carts:
        body = {"query": ADD, "variables": {"cart": cart, "v": variants[k]}}
        lines.append(f"X-Cart-Token: {token}\t" + json.dumps(body))
with open(f"{OUT}/add.jsonl", "w") as f:
    f.write("\n".join(lines) + "\n")
