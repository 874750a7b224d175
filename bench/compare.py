"""Driver of bench/compare.sh: times each tool on each file and checks that
they agree before reporting.

    python bench/compare.py --bin TALLYPROOF --runs 5 --tools "..." --out FILE NAME:DIR...

Each DIR holds sheets.csv and election.toml. Every run is a fresh process
under /usr/bin/time -v. For tallyproof the time is the whole process
(`tallyproof tabulate --json`); for the Python tools it is the job alone,
measured inside the process after the imports (bench/job.py), so the
interpreter's start-up and the library imports are not counted against them.
Both the job time and the process wall time are reported.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JOB = os.path.join(HERE, "job.py")


def timed(cmd, stdout_path):
    """Run cmd under /usr/bin/time -v; return (wall seconds, peak RSS MiB, CPU seconds)."""
    with open(stdout_path, "w") as out, tempfile.NamedTemporaryFile("r+") as err:
        t0 = time.perf_counter()
        rc = subprocess.call(["/usr/bin/time", "-v"] + cmd, stdout=out, stderr=err)
        wall = time.perf_counter() - t0
        err.seek(0)
        text = err.read()
    if rc != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({rc}):\n{text[-3000:]}")
    rss, cpu = None, 0.0
    for line in text.splitlines():
        if "Maximum resident set size" in line:
            rss = int(line.split(":")[1]) / 1024
        if "User time" in line or "System time" in line:
            cpu += float(line.split(":")[1])
    return wall, rss, cpu


def run(tool, binary, d, tmp):
    """One run of tool on directory d: (result, job seconds, process seconds, RSS MiB, job CPU seconds)."""
    cfg = os.path.join(d, "election.toml")
    csv = os.path.join(d, "sheets.csv")
    out = os.path.join(tmp, f"{tool}.json")
    if tool == "tallyproof":
        wall, rss, cpu = timed([binary, "tabulate", "--json", "--config", cfg, csv], out)
        norm = subprocess.run(
            [sys.executable, JOB, "tallyproof-json", cfg, out], check=True, capture_output=True, text=True
        ).stdout
        res = json.loads(norm)
        return res, wall, wall, rss, cpu
    wall, rss, _ = timed([sys.executable, JOB, tool, cfg, csv], out)
    with open(out) as f:
        res = json.load(f)
    return res, res["seconds"], wall, rss, res["cpu"]


def same(a, b):
    return (a["rows"], a["failures"], a["national"], a["regions"]) == (
        b["rows"],
        b["failures"],
        b["national"],
        b["regions"],
    )


def versions(binary):
    v = {"python": platform.python_version()}
    for m in ["pandas", "polars", "duckdb", "pyarrow", "numpy"]:
        try:
            v[m] = __import__(m).__version__
        except ImportError:
            v[m] = "missing"
    v["tallyproof"] = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.split()[-1]
    v["rustc"] = " ".join(subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.split()[1:])
    return v


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tools", default="tallyproof duckdb polars pandas pandas-pyarrow")
    ap.add_argument("--out")
    ap.add_argument("files", nargs="+", help="NAME:DIR")
    a = ap.parse_args()
    tools = a.tools.split()
    if tools[0] != "tallyproof":
        tools = ["tallyproof"] + [t for t in tools if t != "tallyproof"]
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    say(f"machine: {machine()}")
    say("versions: " + ", ".join(f"{k} {v}" for k, v in versions(a.bin).items()))
    say(f"runs: 1 warm-up + {a.runs} timed per tool and file; medians; load average at start: {load()}")
    say()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in a.files:
            name, d = spec.split(":", 1)
            size = os.path.getsize(os.path.join(d, "sheets.csv"))
            # Warm-up, and the agreement check, before any time is reported.
            results = {}
            for tool in tools:
                results[tool] = run(tool, a.bin, d, tmp)[0]
            ref = results["tallyproof"]
            for tool in tools[1:]:
                if not same(ref, results[tool]):
                    r = results[tool]
                    diff = [
                        k
                        for k in ["rows", "failures", "national", "regions"]
                        if r[k] != ref[k]
                    ]
                    sys.exit(
                        f"bench: {tool} disagrees with tallyproof on {name} ({', '.join(diff)}):\n"
                        f"  tallyproof rows {ref['rows']} failures {ref['failures']} national {ref['national']}\n"
                        f"  {tool} rows {r['rows']} failures {r['failures']} national {r['national']}"
                    )
            print(
                f"{name}: all tools agree: {ref['rows']} rows, {ref['failures']} failing the sum, "
                f"{len(ref['regions'])} regions, national {ref['national']}",
                file=sys.stderr,
                flush=True,
            )
            med = {}
            for tool in tools:
                jobs, walls, rsss, cpus = [], [], [], []
                for _ in range(a.runs):
                    _, job, wall, rss, cpu = run(tool, a.bin, d, tmp)
                    jobs.append(job)
                    walls.append(wall)
                    rsss.append(rss)
                    cpus.append(cpu)
                med[tool] = (
                    statistics.median(jobs),
                    statistics.median(walls),
                    statistics.median(rsss),
                    statistics.median(cpus),
                    jobs,
                )
            for tool in tools:
                job, wall, rss, cpu, jobs = med[tool]
                ratio = med["tallyproof"][0] / job
                cpu_ratio = med["tallyproof"][3] / cpu
                rows.append(
                    f"| {name} | {size / 2**20:.0f} | {ref['rows']:,} | {tool} | {job:.3f} | {wall:.3f} | "
                    f"{ref['rows'] / job / 1e6:.2f} | {cpu:.2f} | {rss:.0f} | {rss * 2**20 / size:.2f} | "
                    f"**{ratio:.2f}** | {cpu_ratio:.2f} | {' '.join(f'{j:.2f}' for j in jobs)} |"
                )
            print(f"{name}: timed", file=sys.stderr, flush=True)
    say(
        "| file | MiB | rows | tool | job s (median) | process s | M rows/s | job CPU s | peak RSS MiB | "
        "RSS / file | tallyproof / tool (time) | tallyproof / tool (CPU) | job s, each run |"
    )
    say("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        say(r)
    say()
    say(f"load average at end: {load()}")
    if a.out:
        with open(a.out, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
