"""Turns one wrk run (its RESULT line on stdin) and the subgraphs' statement counters before and
after it into a markdown table row. Usage: report.py PAGE CLIENTS BEFORE AFTER CPU_TICKS_0 CPU_TICKS_1"""
import sys

page, clients, before, after, t0, t1 = sys.argv[1:7]
line = next(l for l in sys.stdin if l.startswith("RESULT"))
r = dict(kv.split("=") for kv in line.split()[1:])
n = int(r["requests"])


def read(path):
    return {k: int(v) for k, v in (l.split() for l in open(path) if l.strip())}


b, a = read(before), read(after)
per = ", ".join(f"{s} {(a[s] - b.get(s, 0)) / max(n, 1):.2f}" for s in sorted(a) if a[s] != b.get(s, 0))
cpu_ms = (int(t1) - int(t0)) * 10 / max(n, 1)
rps = n / float(r["secs"])
bad = int(r["bad"]) + int(r["socket_errors"])
print(f"| {page} | {clients} | {n} | {bad} | {rps:.0f} | {float(r['p50']):.2f} | {float(r['p90']):.2f} | "
      f"{float(r['p99']):.2f} | {cpu_ms:.2f} | {per or '-'} |")
