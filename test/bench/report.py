#!/usr/bin/python3
"""Helpers of scripts/bench.sh: per-contestant rows, the results folder.

Standard library only (it runs with Debian's /usr/bin/python3).

  report.py pgcpu POSTMASTER_PID
      CPU seconds (user+sys) spent so far by the PostgreSQL cluster: the
      postmaster's own time, the time of its children that it has reaped
      (cutime+cstime: backends that already exited), and the time of its
      live children.  bench.sh takes the difference around each run.
  report.py expected --out F --size N --count C --checksum X ...
      the expected results of one size, as JSON.
  report.py row --out F --mw MW.json --name NAME --size N --rc RC
                --expected E.json --pg-cpu-s S [--note T]
                [--stats STATS.json --index I] [--lines L]
      checks one contestant's result and writes its row; exits 3 if wrong.
  report.py final --dir DIR [--commit C] [--pg-version V]
      rows/*.json -> results.json, results.md, docs_per_s.png, memory.png
      (gnuplot), and the issue's targets as PASS/FAIL lines.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

MIB = 1024 * 1024
BIG, SMALL = 7850484, 1000000
# The order of the table and of the plots' bars.
ORDER = ["floor-pg-copy", "floor-pg-json", "floor-server",
         "forkbulk-pg-w1", "forkbulk-pg-w2", "forkbulk-pg-w4",
         "forkbulk-pg-w4-plain", "forkbulk-pg-w4-gzip",
         "forkbulk-ndjson-w1", "forkbulk-ndjson-w2", "forkbulk-ndjson-w4",
         "forkbulk-ndjson-w4-gzip",
         "py-careful", "py-careful-parallel4", "py-faithful-thread4",
         "py-faithful-4", "py-faithful"]


def stat_fields(pid):
    """Fields of /proc/PID/stat after the command name, or None."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cmd_pgcpu(args):
    tck = os.sysconf("SC_CLK_TCK")
    pm = stat_fields(args.pid)
    if pm is None:
        print("0.00")
        return 0
    # after ')': state ppid ... utime=11 stime=12 cutime=13 cstime=14
    ticks = sum(int(pm[i]) for i in (11, 12, 13, 14))
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        f = stat_fields(name)
        if f is not None and f[1] == str(args.pid):
            ticks += int(f[11]) + int(f[12])
    print("%.2f" % (ticks / tck))
    return 0


def cmd_expected(args):
    with open(args.out, "w") as f:
        json.dump({"size": args.size, "count": args.count,
                   "checksum": args.checksum,
                   "source_checksum": args.source_checksum,
                   "ref_bytes": args.ref_bytes,
                   "body_bytes": args.body_bytes,
                   "ref_copy_s": args.ref_copy_s}, f)
    return 0


def cmd_row(args):
    with open(args.mw) as f:
        mw = json.load(f)
    with open(args.expected) as f:
        exp = json.load(f)
    row = {"name": args.name, "size": args.size, "exit_code": args.rc,
           "pg_cpu_s": args.pg_cpu_s, "note": args.note or ""}
    row.update({k: mw[k] for k in (
        "wall_s", "cpu_s", "cpu_user_s", "cpu_sys_s", "pss_peak_mb",
        "pss_peak_at_s", "procs_at_peak", "procs_max", "rss_max_mb",
        "rss_sampled_mb", "ru_maxrss_mb", "samples", "capped", "cap_mb",
        "capped_at_s", "timed_out", "stragglers", "table_full")})
    docs, body = exp["count"], exp["body_bytes"]
    row["wire_bytes"] = None
    check = ""
    ok = args.rc == 0
    if args.lines is not None:
        ok = ok and args.lines == exp["count"]
        check = "%d of %d rows written" % (args.lines, exp["count"])
    else:
        with open(args.stats) as f:
            stats = json.load(f)
        # Request bodies as they crossed the wire (gzipped or not), every
        # request the contestant sent since the server's reset.
        row["wire_bytes"] = stats["bytes_received"]
        idx = stats["indices"].get(args.index) or {}
        held, csum = idx.get("docs", 0), idx.get("checksum", "")
        ok = ok and held == exp["count"] and csum == exp["checksum"]
        check = "index holds %d of %d, checksum %s" % (
            held, exp["count"],
            "ok" if csum == exp["checksum"] else "WRONG (%s)" % csum)
    row["docs"] = docs
    row["body_bytes"] = body
    row["check"] = check
    wall = row["wall_s"]
    if row["capped"]:
        row["status"] = "capped"
    elif row["timed_out"]:
        row["status"] = "timeout"
    else:
        row["status"] = "ok" if ok else "WRONG"
    valid = row["status"] == "ok" and wall > 0
    row["docs_per_s"] = docs / wall if valid else None
    row["mb_per_s"] = body / 1e6 / wall if valid else None
    row["cpu_s_per_mdoc"] = (row["cpu_s"] / docs * 1e6
                             if valid and docs else None)
    with open(args.out, "w") as f:
        json.dump(row, f, indent=1)
    print("bench:   %-22s %-7s %8.2f s %10s docs/s  PSS peak %8.1f MiB  "
          "rc %d  %s" % (
              args.name, row["status"], wall,
              "%.0f" % row["docs_per_s"] if valid else "-",
              row["pss_peak_mb"], args.rc, check))
    return 0 if row["status"] in ("ok", "capped") else 3


def cmd_median(args):
    """--repeat: the contestant's row is its run of median wall time (the
    lower middle one of an even count); a run that was not ok is the row
    instead, so a wrong result is never hidden by good ones."""
    runs = []
    for p in args.runs:
        with open(p) as f:
            runs.append(json.load(f))
    bad = [r for r in runs if r["status"] != "ok"]
    if bad:
        row = bad[0]
    else:
        row = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]
    walls = ", ".join("%.2f" % r["wall_s"] for r in runs)
    row = dict(row, runs_wall_s=[r["wall_s"] for r in runs])
    row["note"] = "; ".join(n for n in (row["note"], "median of %d runs "
                                        "(wall s: %s)" % (len(runs), walls))
                            if n)
    with open(args.out, "w") as f:
        json.dump(row, f, indent=1)
    print("bench:   %-22s median of %d: %.2f s (%s)" % (
        row["name"], len(runs), row["wall_s"], walls))
    return 0 if row["status"] in ("ok", "capped") else 3


def machine():
    info = {"nproc": os.cpu_count(), "kernel": platform.release(),
            "date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        info["ram_gib"] = round(kb / MIB, 1)
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        info["loadavg"] = open("/proc/loadavg").read().split()[:3]
    except OSError:
        pass
    return info


def fmt(v, spec):
    return "-" if v is None else spec % v


def order_key(name):
    return (ORDER.index(name) if name in ORDER else len(ORDER), name)


def extrapolate(rows, row):
    """Linear in rows from the same contestant's 1,000,000 run."""
    for r in rows:
        if (r["name"] == row["name"] and r["size"] == SMALL
                and r["status"] == "ok" and row["size"] > SMALL):
            return r["pss_peak_mb"] * row["size"] / SMALL
    return None


def table(rows, size, exp):
    out = ["## %s flows" % format(size, ","), ""]
    if exp:
        out.append("Reference: %s documents, bulk body %.1f MB "
                   "(%.1f bytes per action+source pair)." % (
                       format(exp["count"], ","), exp["body_bytes"] / 1e6,
                       exp["body_bytes"] / exp["count"]))
        out.append("")
    out.append("| contestant | wall s | docs/s | MB/s | wire MB | CPU s (tree) "
               "| CPU s / M docs | pg CPU s | peak RSS largest MiB "
               "| peak sum-PSS MiB | exit | correct | notes |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
               "---|")
    for r in sorted((r for r in rows if r["size"] == size),
                    key=lambda r: order_key(r["name"])):
        notes = [r["check"]]
        if r["note"]:
            notes.append(r["note"])
        marked = ""
        if r["status"] == "capped":
            marked = " *"
            notes.insert(0, "**capped at %d MiB after %.1f s**: figures are "
                         "up to the kill" % (r["cap_mb"], r["capped_at_s"]))
            est = extrapolate(rows, r)
            if est is not None:
                notes.append("extrapolated PSS peak (linear in rows from "
                             "its 1,000,000 run): %.0f MiB" % est)
        elif r["status"] == "timeout":
            notes.insert(0, "**timed out**")
        correct = {"ok": "yes", "capped": "no (capped)",
                   "timeout": "no (timeout)"}.get(r["status"], "**WRONG**")
        wire = r.get("wire_bytes")
        out.append("| %s | %.2f | %s | %s | %s | %.2f | %s | %.2f | %.1f%s "
                   "| %.1f%s | %d | %s | %s |" % (
                       r["name"], r["wall_s"], fmt(r["docs_per_s"], "%.0f"),
                       fmt(r["mb_per_s"], "%.1f"),
                       fmt(wire / 1e6 if wire is not None else None, "%.1f"),
                       r["cpu_s"],
                       fmt(r["cpu_s_per_mdoc"], "%.2f"), r["pg_cpu_s"],
                       r["rss_max_mb"], marked, r["pss_peak_mb"], marked,
                       r["exit_code"], correct, "; ".join(notes)))
    out.append("")
    return out


def find(rows, name, size):
    for r in rows:
        if r["name"] == name and r["size"] == size:
            return r
    return None


def compress_targets(rows):
    """Issue #15's: at 7,850,484 flows, forkbulk-pg-w4-gzip against
    forkbulk-pg-w4 of the same bench run."""
    gz, plain = find(rows, "forkbulk-pg-w4-gzip", BIG), find(
        rows, "forkbulk-pg-w4", BIG)
    if gz is None or plain is None:
        return []
    out = ["## Targets (issue #15: --compress, 7,850,484 flows)", ""]
    ok = gz["status"] == "ok" and plain["status"] == "ok"
    slower = gz["wall_s"] / plain["wall_s"]
    fewer = (plain["wire_bytes"] / gz["wire_bytes"]
             if gz["wire_bytes"] else 0)
    out.append("- %s wall: %.2f s compressed = %.2fx the %.2f s uncompressed "
               "(at most 1.25x)" % ("PASS" if ok and slower <= 1.25 else
                                    "FAIL", gz["wall_s"], slower,
                                    plain["wall_s"]))
    out.append("- %s wire: %.1f MB compressed, %.1fx fewer than %.1f MB "
               "(at least 4x)" % ("PASS" if ok and fewer >= 4 else "FAIL",
                                  gz["wire_bytes"] / 1e6, fewer,
                                  plain["wire_bytes"] / 1e6))
    out.append("")
    return out


def targets(rows):
    """The issue's targets, only when both sizes ran."""
    big, small = find(rows, "forkbulk-pg-w4", BIG), find(rows,
                                                       "forkbulk-pg-w4", SMALL)
    if big is None or small is None:
        return ["Targets: not judged (they need forkbulk-pg-w4 at both "
                "1,000,000 and 7,850,484 flows).", ""]
    out = ["## Targets (issue #6: forkbulk-pg-w4, 7,850,484 flows)", ""]

    def line(ok, text):
        out.append("- %s %s" % ("PASS" if ok else "FAIL", text))

    ok_run = big["status"] == "ok"
    pss_mb = big["pss_peak_mb"] * MIB / 1e6  # MiB -> 10^6 bytes
    line(ok_run and pss_mb < 150,
         "memory: sum-of-PSS peak %.1f MiB = %.1f MB < 150 MB"
         % (big["pss_peak_mb"], pss_mb))
    growth = (big["pss_peak_mb"] - small["pss_peak_mb"]) / small["pss_peak_mb"]
    line(ok_run and small["status"] == "ok" and abs(growth) <= 0.10,
         "memory flat: %.1f MiB at 7,850,484 vs %.1f MiB at 1,000,000 "
         "(%+.1f%%, limit 10%%)" % (big["pss_peak_mb"], small["pss_peak_mb"],
                                    growth * 100))
    careful = find(rows, "py-careful", BIG)
    if careful and careful["docs_per_s"] and big["docs_per_s"]:
        ratio = big["docs_per_s"] / careful["docs_per_s"]
        line(ratio >= 10, "speed: %.0f docs/s = %.1fx py-careful's %.0f "
             "(at least 10x)" % (big["docs_per_s"], ratio,
                                 careful["docs_per_s"]))
    else:
        line(False, "speed vs py-careful: no valid py-careful run at "
             "7,850,484")
    # Against the floors by MB/s of bulk body: every contestant moves the
    # same hour, so this is the docs/s ratio too.
    floors = [find(rows, n, BIG) for n in ("floor-pg-copy", "floor-server")]
    floors = [f for f in floors if f and f["mb_per_s"]]
    if len(floors) == 2 and big["mb_per_s"]:
        slow = min(floors, key=lambda f: f["mb_per_s"])
        share = big["mb_per_s"] / slow["mb_per_s"]
        line(share >= 0.40, "speed: %.1f MB/s = %.0f%% of the slower floor "
             "(%s, %.1f MB/s; the floors are floor-pg-copy and "
             "floor-server, compared in MB/s of bulk body; at least 40%%)"
             % (big["mb_per_s"], share * 100, slow["name"],
                slow["mb_per_s"]))
        pj = find(rows, "floor-pg-json", BIG)
        if pj and pj["mb_per_s"]:
            out.append("- info: %.0f%% of floor-pg-json (%.0f docs/s)" % (
                big["mb_per_s"] / pj["mb_per_s"] * 100, pj["docs_per_s"]))
    else:
        line(False, "speed vs floors: floor-pg-copy and floor-server "
             "did not both run correctly at 7,850,484")
    if big["cpu_s_per_mdoc"]:
        out.append("- info: forkbulk-pg-w4 CPU %.2f s per million documents "
                   "(its own tree) + %.2f s PostgreSQL" % (
                       big["cpu_s_per_mdoc"],
                       big["pg_cpu_s"] / big["docs"] * 1e6))
    out.append("")
    return out


def plot(d, rows, sizes):
    names = sorted({r["name"] for r in rows}, key=order_key)
    labels = {}
    for n in names:
        capped = any(r["status"] == "capped" for r in rows if r["name"] == n)
        labels[n] = n + ("*" if capped else "")

    def write(path, field):
        with open(path, "w") as f:
            f.write("# name " + " ".join(str(s) for s in sizes) + "\n")
            for n in names:
                vals = []
                for s in sizes:
                    r = find(rows, n, s)
                    v = r.get(field) if r else None
                    vals.append("?" if v is None else "%.3f" % v)
                f.write('"%s" %s\n' % (labels[n], " ".join(vals)))

    write(os.path.join(d, "docs_per_s.dat"), "docs_per_s")
    write(os.path.join(d, "memory.dat"), "pss_peak_mb")
    cols = ", ".join("'@DAT@' using %d:xtic(1) title '%s flows'"
                     % (i + 2, format(s, ",")) for i, s in enumerate(sizes))
    common = """set terminal pngcairo size 1100,600 font ",10"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -35 left
set grid ytics
set key top right
set bmargin 8
"""
    gp = common + """set output 'docs_per_s.png'
set title "documents per second (higher is better; capped and wrong runs omitted)"
set ylabel "docs/s"
set format y "%%.0f"
set yrange [0:*]
plot %s
set output 'memory.png'
set title "peak of the sum of PSS over the process tree (MiB, log scale; * = capped run, value at the kill)"
set ylabel "MiB"
set format y "%%g"
set logscale y
set yrange [*:*]
plot %s
""" % (cols.replace("@DAT@", "docs_per_s.dat"),
       cols.replace("@DAT@", "memory.dat"))
    path = os.path.join(d, "plot.gp")
    with open(path, "w") as f:
        f.write(gp)
    try:
        subprocess.run(["gnuplot", "plot.gp"], cwd=d, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print("report: gnuplot failed: %s" % e, file=sys.stderr)
        return False
    return True


def cmd_final(args):
    d = args.dir
    rows, exps = [], {}
    for p in sorted(glob.glob(os.path.join(d, "rows", "*.json"))):
        with open(p) as f:
            obj = json.load(f)
        if os.path.basename(p).startswith("expected-"):
            exps[obj["size"]] = obj
        else:
            rows.append(obj)
    sizes = sorted({r["size"] for r in rows})
    info = machine()
    info["commit"] = args.commit
    info["postgresql"] = args.pg_version
    with open(os.path.join(d, "results.json"), "w") as f:
        json.dump({"machine": info, "expected": list(exps.values()),
                   "rows": rows}, f, indent=1)
    md = ["# forkbulk benchmark", "",
          "Machine: %s CPUs (%s), %s GiB RAM, Linux %s; %s; commit %s; "
          "PostgreSQL %s; load average at the end %s." % (
              info["nproc"], info.get("cpu", "?"), info.get("ram_gib", "?"),
              info["kernel"], info["date"], args.commit, args.pg_version,
              " ".join(info.get("loadavg", []))),
          "",
          "Definitions (test/bench/README.md): wall from fork to exit; "
          "docs/s = documents / wall; MB/s = 10^6 bytes of bulk body "
          "(reference source lines + minimal action lines) / wall; CPU = "
          "user+sys of the contestant's process tree (wait4 rusage); pg CPU "
          "= CPU of the PostgreSQL cluster during the run; memory in MiB: "
          "largest single-process RSS, and the peak over 100 ms samples of "
          "the sum of Pss over the tree (/proc/PID/smaps_rollup).", ""]
    for s in sizes:
        md += table(rows, s, exps.get(s))
    md += targets(rows)
    md += compress_targets(rows)
    if plot(d, rows, sizes):
        md += ["![docs/s](docs_per_s.png)", "", "![memory](memory.png)", ""]
    text = "\n".join(md)
    with open(os.path.join(d, "results.md"), "w") as f:
        f.write(text)
    print(text)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pgcpu")
    p.add_argument("pid", type=int)
    p = sub.add_parser("expected")
    p.add_argument("--out", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--checksum", required=True)
    p.add_argument("--source-checksum", required=True)
    p.add_argument("--ref-bytes", type=int, required=True)
    p.add_argument("--body-bytes", type=int, required=True)
    p.add_argument("--ref-copy-s", type=float, default=None)
    p = sub.add_parser("row")
    p.add_argument("--out", required=True)
    p.add_argument("--mw", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--rc", type=int, required=True)
    p.add_argument("--expected", required=True)
    p.add_argument("--pg-cpu-s", type=float, required=True)
    p.add_argument("--note")
    p.add_argument("--stats")
    p.add_argument("--index")
    p.add_argument("--lines", type=int)
    p = sub.add_parser("median")
    p.add_argument("--out", required=True)
    p.add_argument("runs", nargs="+")
    p = sub.add_parser("final")
    p.add_argument("--dir", required=True)
    p.add_argument("--commit", default="unknown")
    p.add_argument("--pg-version", default="?")
    args = ap.parse_args()
    return {"pgcpu": cmd_pgcpu, "expected": cmd_expected, "row": cmd_row,
            "median": cmd_median, "final": cmd_final}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
