"""The comparison job in one tool: read the sheet CSV, count the rows whose
options do not add up to the valid votes, and total each option nationally
and per first-level region over the rows that do.

    python bench/job.py TOOL CONFIG.toml SHEETS.csv

TOOL is pandas, pandas-pyarrow, polars or duckdb; or tallyproof-json, which
reads the output of `tallyproof tabulate --json` from SHEETS.csv's place and
puts it in the same form (its "seconds" is null: the caller times the
process). The columns come from the
tallyproof election config (first level's code column, the valid column, and
each option's columns, summed when an option has several). Prints one JSON
object: {"tool", "seconds", "cpu", "rows", "failures", "national", "regions"},
where "seconds" is the job's wall time alone (after the imports, from opening
the file to the totals in hand) and "cpu" the CPU time of all the process's
threads over the same span.
"""

import json
import sys
import time
import tomllib


def spec(config_path):
    with open(config_path, "rb") as f:
        cfg = tomllib.load(f)
    level = cfg["levels"][0]
    code = level["code"]
    if not isinstance(code, str):
        raise SystemExit("bench: the first level's code must be one column")
    valid = cfg["columns"]["valid"]
    if not isinstance(valid, str):
        raise SystemExit("bench: valid must be one column")
    options = {}
    for o in cfg["options"]:
        cols = o.get("columns", o["key"])
        options[o["key"]] = [cols] if isinstance(cols, str) else list(cols)
    return code, valid, options


def result(tool, seconds, rows, failures, by_region, cpu=None):
    """by_region: {region: [total per option]}, in option order."""
    national = None
    for totals in by_region.values():
        national = list(totals) if national is None else [a + b for a, b in zip(national, totals)]
    return {
        "tool": tool,
        "seconds": seconds,
        "cpu": cpu,
        "rows": int(rows),
        "failures": int(failures),
        "national": [int(v) for v in (national or [])],
        "regions": {str(k): [int(v) for v in t] for k, t in by_region.items()},
    }


def run_pandas(path, region, valid, options, engine):
    import pandas as pd

    cols = [region, valid] + sorted({c for cs in options.values() for c in cs})
    t0 = time.perf_counter()
    kw = {"engine": "pyarrow"} if engine == "pyarrow" else {}
    df = pd.read_csv(path, usecols=cols, dtype={region: str}, **kw)
    sums = {}
    for key, cs in options.items():
        s = df[cs[0]]
        for c in cs[1:]:
            s = s + df[c]
        sums[key] = s
    total = sum(sums.values())
    ok = total == df[valid]
    failures = int((~ok).sum())
    good = pd.DataFrame({k: v[ok] for k, v in sums.items()})
    good["_region"] = df[region][ok].str.strip()
    g = good.groupby("_region", sort=False).sum()
    by_region = {r: [int(g.at[r, k]) for k in options] for r in g.index}
    t1 = time.perf_counter()
    return t1 - t0, len(df), failures, by_region


def run_polars(path, region, valid, options):
    import polars as pl

    cols = [region, valid] + sorted({c for cs in options.values() for c in cs})
    t0 = time.perf_counter()
    lf = pl.scan_csv(path, schema_overrides={region: pl.Utf8}).select(cols)
    sums = [pl.sum_horizontal([pl.col(c) for c in cs]).alias(f"_o{i}") for i, cs in enumerate(options.values())]
    lf = lf.with_columns(sums).with_columns(
        (pl.sum_horizontal([pl.col(f"_o{i}") for i in range(len(options))]) == pl.col(valid)).alias("_ok"),
        pl.col(region).str.strip_chars().alias("_region"),
    )
    out = (
        lf.group_by("_region")
        .agg(
            [pl.len().alias("_rows"), (~pl.col("_ok")).sum().alias("_bad")]
            + [pl.col(f"_o{i}").filter(pl.col("_ok")).sum().alias(f"_t{i}") for i in range(len(options))]
        )
        .collect()
    )
    t1 = time.perf_counter()
    by_region = {}
    for row in out.iter_rows(named=True):
        by_region[row["_region"]] = [row[f"_t{i}"] or 0 for i in range(len(options))]
    return t1 - t0, out["_rows"].sum(), out["_bad"].sum(), by_region


def run_duckdb(path, region, valid, options):
    import duckdb

    def q(c):
        return '"' + c.replace('"', '""') + '"'

    sums = [" + ".join(q(c) for c in cs) for cs in options.values()]
    total = " + ".join(f"({s})" for s in sums)
    con = duckdb.connect()
    t0 = time.perf_counter()
    sql = f"""
        WITH t AS (
            SELECT trim(CAST({q(region)} AS VARCHAR)) AS r,
                   ({total}) = {q(valid)} AS ok,
                   {", ".join(f"({s}) AS o{i}" for i, s in enumerate(sums))}
            FROM read_csv(?, header = true, types = {{{json.dumps(region)}: 'VARCHAR'}})
        )
        SELECT r, count(*) AS n, count(*) FILTER (WHERE NOT ok) AS bad,
               {", ".join(f"coalesce(sum(o{i}) FILTER (WHERE ok), 0) AS t{i}" for i in range(len(sums)))}
        FROM t GROUP BY r
    """
    rows = con.execute(sql, [path]).fetchall()
    t1 = time.perf_counter()
    by_region = {r[0]: list(r[3:]) for r in rows}
    return t1 - t0, sum(r[1] for r in rows), sum(r[2] for r in rows), by_region


def from_tallyproof(json_path, options):
    with open(json_path) as f:
        out = json.load(f)
    if out["national"]["options"] != list(options):
        raise SystemExit("bench: tallyproof options differ from the config's")
    by_region = {u["code"]: u["votes"] for u in out["by_level"]["units"] if u["sheets"] > 0}
    failures = sum(r["sheets"] for r in out["validation"]["by_rule"] if r["rule"] in ("E006", "OptionsSum", "options-sum"))
    res = result("tallyproof", None, out["validation"]["rows_read"], failures, by_region)
    if res["national"] != out["national"]["units"][0]["votes"]:
        raise SystemExit("bench: tallyproof's regions do not add up to its national totals")
    return res


def main():
    tool, config, path = sys.argv[1:4]
    region, valid, options = spec(config)
    # Import before the clocks start: the job is timed, not the imports.
    module = {"pandas": "pandas", "pandas-pyarrow": "pandas", "polars": "polars", "duckdb": "duckdb"}.get(tool)
    if module:
        __import__(module)
        if tool == "pandas-pyarrow":
            __import__("pyarrow")
    c0 = time.process_time()
    if tool == "tallyproof-json":
        print(json.dumps(from_tallyproof(path, options)))
        return
    if tool == "pandas":
        out = run_pandas(path, region, valid, options, "c")
    elif tool == "pandas-pyarrow":
        out = run_pandas(path, region, valid, options, "pyarrow")
    elif tool == "polars":
        out = run_polars(path, region, valid, options)
    elif tool == "duckdb":
        out = run_duckdb(path, region, valid, options)
    else:
        raise SystemExit(f"bench: unknown tool {tool}")
    print(json.dumps(result(tool, *out, cpu=time.process_time() - c0)))


if __name__ == "__main__":
    main()
