"""Split a simulated sheets.csv for bench/server.sh: most rows to import,
the rest held out as witness entries (one JSON body a line), and the ids
of every station for look-ups."""
import csv, json, sys

sheets, out, held = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = list(csv.DictReader(open(sheets)))
geo = {"region", "region_name", "district", "station"}
imp, ent = rows[:-held], rows[-held:]
with open(f"{out}/import.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(imp)
with open(f"{out}/entries.txt", "w") as f:
    for r in ent:
        fields = {k: v for k, v in r.items() if k not in geo}
        f.write(json.dumps({"station": r["station"], "fields": fields}) + "\n")
with open(f"{out}/stations.txt", "w") as f:
    for r in rows:
        f.write(r["station"] + "\n")
print(f"{len(imp)} to import, {len(ent)} held out as entries")
