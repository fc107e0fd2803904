"""Checkout load through the router: CLIENTS concurrent guest shoppers, each repeating for SECONDS
the whole purchase — create a cart, add a variant, read the shipping options and the total,
check out, open an SSE subscription to the order (`orderStatusChanged` with the order token),
pay with the test provider's success card, and wait on that subscription until the order is
PAID. Prints checkouts that reached PAID per second, the checkout mutation's latency, and the
time from sending `payOrder` to the subscriber seeing PAID (p50/p99), plus failures by kind.
Usage: load.py ROUTER_GRAPHQL_URL CLIENTS SECONDS"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

URL, CLIENTS, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
PARSED = urllib.parse.urlparse(URL)
ADDRESS = {"fullName": "Bench Shopper", "line1": "1 Load St", "city": "Springfield",
           "region": "IL", "postalCode": "62701", "countryCode": "US"}


def post(conn, query, variables=None, headers=None):
    body = json.dumps({"query": query, "variables": variables or {}})
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    conn.request("POST", PARSED.path, body, h)
    resp = conn.getresponse()
    out = json.loads(resp.read())
    if out.get("errors"):
        raise RuntimeError(out["errors"][0].get("extensions", {}).get("code", "ERROR") + ": "
                           + out["errors"][0]["message"])
    return out["data"]


def connect():
    return http.client.HTTPConnection(PARSED.hostname, PARSED.port, timeout=60)


def variants():
    conn = connect()
    roots = post(conn, "{ rootCategories { children { id } } }")["rootCategories"]
    found = []
    for leaf in [c["id"] for r in roots for c in r["children"]]:
        page = post(conn, """query($c: ID!) { category(id: $c) { products(first: 50) { edges { node {
            variants { id stock { available } } } } } } }""", {"c": leaf})
        for edge in page["category"]["products"]["edges"]:
            found += [v["id"] for v in edge["node"]["variants"] if v["stock"]["available"] >= 50]
    return found


def wait_paid(order, token, ready, result):
    """Subscribes over SSE; signals `ready` once the stream is open, then records when PAID
    arrives."""
    conn = connect()
    body = json.dumps({"query": """subscription($o: ID!, $t: String) {
        orderStatusChanged(orderId: $o, orderToken: $t) { status } }""",
                       "variables": {"o": order, "t": token}})
    conn.request("POST", PARSED.path, body, {"Content-Type": "application/json",
                                              "Accept": "text/event-stream"})
    resp = conn.getresponse()
    ready.set()
    kind = ""
    while True:
        line = resp.fp.readline()
        if not line:
            return
        line = line.decode().strip()
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:") and kind == "next":
            status = json.loads(line[5:]).get("data", {}).get("orderStatusChanged", {}).get("status")
            if status == "PAID":
                result.append(time.monotonic())
                conn.close()
                return


def shopper(index, variant_ids, deadline, stats, lock):
    conn = connect()
    n = 0
    while time.monotonic() < deadline:
        n += 1
        variant = variant_ids[(index * 7919 + n) % len(variant_ids)]
        try:
            created = post(conn, "mutation { createCart { token cart { id } } }")["createCart"]
            cart, token = created["cart"]["id"], created["token"]
            h = {"X-Cart-Token": token}
            post(conn, """mutation($c: ID!, $v: ID!) { addCartLine(cartId: $c,
                input: { variantId: $v, quantity: 1 }) { id } }""", {"c": cart, "v": variant}, h)
            quote = post(conn, """query($c: ID!) { cart(id: $c) { estimatedTotal { amount }
                shippingOptions(address: { countryCode: "US", region: "IL", postalCode: "62701" }) {
                methodId name price { amount } } } }""", {"c": cart}, h)["cart"]
            option = next(o for o in quote["shippingOptions"] if o["name"] == "Standard")
            total = round(float(quote["estimatedTotal"]["amount"]) + float(option["price"]["amount"]), 2)
            started = time.monotonic()
            placed = post(conn, """mutation($i: CheckoutInput!) { checkout(input: $i) {
                orderToken order { id } } }""", {"i": {
                "cartId": cart, "email": f"bench{index}@example.com", "shippingAddress": ADDRESS,
                "shippingMethodId": option["methodId"],
                "expectedTotal": {"amount": f"{total:.2f}", "currencyCode": "USD"},
                "idempotencyKey": f"bench-{index}-{n}"}}, h)["checkout"]
            checkout_ms = (time.monotonic() - started) * 1000
            order, order_token = placed["order"]["id"], placed["orderToken"]
            ready, seen = threading.Event(), []
            watcher = threading.Thread(target=wait_paid, args=(order, order_token, ready, seen))
            watcher.start()
            ready.wait(10)
            paid_at = time.monotonic()
            post(conn, """mutation($o: ID!, $k: String!) { payOrder(input: { orderId: $o,
                card: { number: "4242424242424242", expMonth: 12, expYear: 2031, cvc: "123" },
                idempotencyKey: $k }) { status } }""", {"o": order, "k": f"pay-{order}"},
                 {"X-Order-Token": order_token})
            watcher.join(60)
            with lock:
                if seen:
                    stats["paid"] += 1
                    stats["checkout_ms"].append(checkout_ms)
                    stats["to_paid_ms"].append((seen[0] - paid_at) * 1000)
                else:
                    stats["errors"]["PAID not seen"] = stats["errors"].get("PAID not seen", 0) + 1
        except Exception as err:  # noqa: BLE001 - counted and reported
            kind = str(err).split(":")[0][:40]
            with lock:
                stats["errors"][kind] = stats["errors"].get(kind, 0) + 1
            conn.close()
            conn = connect()


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


ids = variants()
if not ids:
    sys.exit("no variants with 50 or more in stock")
stats = {"paid": 0, "checkout_ms": [], "to_paid_ms": [], "errors": {}}
lock = threading.Lock()
start = time.monotonic()
deadline = start + SECONDS
threads = [threading.Thread(target=shopper, args=(i, ids, deadline, stats, lock)) for i in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start
print(f"| {CLIENTS} | {stats['paid']} | {stats['paid'] / elapsed:.1f} | "
      f"{pct(stats['checkout_ms'], 50):.1f} / {pct(stats['checkout_ms'], 99):.1f} | "
      f"{pct(stats['to_paid_ms'], 50):.1f} / {pct(stats['to_paid_ms'], 99):.1f} | "
      f"{sum(stats['errors'].values())} {json.dumps(stats['errors']) if stats['errors'] else ''} |")
