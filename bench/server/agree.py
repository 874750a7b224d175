"""The time from a second agreeing entry to the agreed result on the
station's JSON and in the national totals, for K held-out stations:
POST the entry with token A, POST it with token B (the clock starts when
B's request is sent), then poll /api/v1/stations/ID and /api/v1/totals
every 20 ms until the station says agreed and the totals moved."""
import json, sys, time, urllib.request

base, entries, tokens, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
skip = int(sys.argv[5]) if len(sys.argv) > 5 else 0
toks = [t.strip() for t in open(tokens) if t.strip()]
# The last 100 held-out stations, which entries.lua leaves alone.
reserved = [l for l in open(entries)][-100:]
bodies = reserved[skip:skip + k]

def req(method, path, body=None, tok=None):
    r = urllib.request.Request(base + path, method=method, data=body.encode() if body else None)
    if tok:
        r.add_header("Authorization", "Bearer " + tok)
        r.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(r, timeout=30) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

times = []
for i, b in enumerate(bodies):
    st = json.loads(b)["station"]
    _, body = req("GET", "/api/v1/stations/" + st)
    if json.loads(body).get("status") is not None:
        print(f"{st} has a sheet already: skipped", file=sys.stderr)
        continue
    req("POST", "/api/v1/entries", b, toks[(2 * i) % len(toks)])
    _, before = req("GET", "/api/v1/totals")
    t0 = time.monotonic()
    s, _ = req("POST", "/api/v1/entries", b, toks[(2 * i + 1) % len(toks)])
    seen_station = seen_totals = None
    while time.monotonic() - t0 < 30 and (seen_station is None or seen_totals is None):
        if seen_station is None:
            _, body = req("GET", "/api/v1/stations/" + st)
            if json.loads(body).get("status") == "agreed":
                seen_station = time.monotonic() - t0
        if seen_totals is None:
            _, now = req("GET", "/api/v1/totals")
            if now != before:
                seen_totals = time.monotonic() - t0
        time.sleep(0.02)
    times.append((seen_station or 99, seen_totals or 99))
st = sorted(t[0] for t in times)
tt = sorted(t[1] for t in times)
print(f"agreement visible: station page median {st[len(st)//2]*1e3:.0f} ms max {st[-1]*1e3:.0f} ms; "
      f"totals median {tt[len(tt)//2]*1e3:.0f} ms max {tt[-1]*1e3:.0f} ms ({len(times)} stations)")
