#!/usr/bin/env python3
"""Memory after a flood: uploads statements (a 40,000-row CSV and a 300 KB PDF from
../shared/statements, in turn) four at a time, asks each imported account for four PDF
statements, then watches the server's resident memory while it idles.

    python3 scripts/memory-flood.py http://127.0.0.1:8080 <secret key> <server pid> [uploads, 40]

Run the server with rate limits off (docs/performance.md, "Memory after a flood").
"""
import json, os, random, subprocess, sys, time, urllib.request, uuid, concurrent.futures as cf
BASE = sys.argv[1]; KEY = sys.argv[2]; PID = int(sys.argv[3]); ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 40
def rss():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
def multipart(fields, file_name, data):
    b = uuid.uuid4().hex; out = []
    for k, v in fields.items():
        out.append(f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.append(f'--{b}\r\nContent-Disposition: form-data; name="statement"; filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    out.append(f"--{b}--\r\n".encode())
    return b"".join(out), b
def req(method, path, body=None, ctype=None):
    r = urllib.request.Request(BASE + path, data=body, method=method, headers={"mono-sec-key": KEY, **({"content-type": ctype} if ctype else {})})
    try:
        with urllib.request.urlopen(r, timeout=120) as res: return res.status, res.read()
    except urllib.error.HTTPError as e: return e.code, e.read()
rows = ["Date,Description,Debit,Credit,Balance"]; bal = 10_000_000
for i in range(40000):
    amt = random.randint(100, 50000); bal -= amt
    rows.append(f"2026-{1 + i % 12:02d}-{1 + i % 28:02d},POS PURCHASE {i} SHOPRITE LEKKI,{amt/100:.2f},,{bal/100:.2f}")
csv = ("\n".join(rows)).encode()
pdf = open(os.path.join(os.path.dirname(__file__), "../../shared/statements/pdf/monopoly__example_statement.pdf"), "rb").read()
print("idle at start", rss(), "MB", flush=True)
accounts = []
def upload(i):
    name, data = (f"s{i}.csv", csv) if i % 2 == 0 else (f"s{i}.pdf", pdf)
    body, b = multipart({"customer_name": f"Mem {i}", "customer_email": f"mem{i}@example.ng", "currency": "NGN"}, name, data)
    return req("POST", "/passbook/v1/statements", body, f"multipart/form-data; boundary={b}")
peak = 0
uploads = []
with cf.ThreadPoolExecutor(4) as pool:
    for status, body in pool.map(upload, range(ROUNDS)):
        peak = max(peak, rss())
        uploads.append(status)
        if status != 200:
            print("upload", status, body[:200], flush=True)
        if status == 200:
            d = json.loads(body).get("data") or {}
            accounts += [a.get("id") for a in d.get("accounts", []) if isinstance(a, dict) and a.get("id")] if isinstance(d, dict) else []
print("uploads done", ROUNDS, "peak", peak, "MB now", rss(), "MB", "accounts", len(accounts), flush=True)
def pdfs(acc):
    out = []
    for p in ["last1month", "last3months", "last6months", "last12months"]:
        out.append(req("GET", f"/v2/accounts/{acc}/statement?period={p}&output=pdf")[0])
    return out
with cf.ThreadPoolExecutor(8) as pool:
    statuses = [s for r in pool.map(pdfs, accounts) for s in r]
print("pdf requests", len(statuses), {s: statuses.count(s) for s in set(statuses)}, "now", rss(), "MB", flush=True)
for wait in [5, 15, 30]:
    time.sleep(wait if wait == 5 else wait - (15 if wait == 30 else 5))
    print(f"idle after ~{wait}s", rss(), "MB", flush=True)
