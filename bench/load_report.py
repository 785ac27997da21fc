#!/usr/bin/python3
"""Medians of bench/load.sh results.

usage: load_report.py RESULTS [--markdown-only | --lines-only]

RESULTS has one line per run, key=value fields:
  client sessions size_kib messages server ok rc wall_ns cpu_ticks cpu_ns hz

For each load (client, sessions, size) and server: the median over the
runs of messages/s (messages acknowledged / client wall time) and of
server CPU per message, from /proc/PID/stat utime+stime (ticks) and from
/proc/PID/schedstat (nanoseconds, shown in parentheses: the same time,
measured more finely). A run with errors counts with the messages that
were acknowledged; a run with none is left out (and said so).

Prints a Markdown table, then the figures in the bench convention:
  load.CLIENT.sSESSIONS.SIZEk.SERVER.FIGURE=VALUE UNIT
"""

import statistics
import sys

SERVERS = ("postel", "smtp-sink")


def parse(path):
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            r = dict(kv.split("=", 1) for kv in line.split())
            for k in ("sessions", "size_kib", "messages", "ok", "rc",
                      "wall_ns", "cpu_ticks", "cpu_ns", "hz"):
                r[k] = int(r[k])
            runs.append(r)
    return runs


def figures(runs):
    """{(client, sessions, size): {server: {...medians...}}}"""
    cells = {}
    order = []
    for r in runs:
        key = (r["client"], r["sessions"], r["size_kib"])
        if key not in cells:
            cells[key] = {}
            order.append(key)
        cells[key].setdefault(r["server"], []).append(r)
    out = {}
    for key in order:
        out[key] = {}
        for server, rs in cells[key].items():
            good = [r for r in rs if r["ok"] > 0]
            f = {"runs": len(rs), "failed_runs": len(rs) - len(good),
                 "errors": sum(1 for r in rs if r["rc"] != 0
                               or r["ok"] != r["messages"]),
                 "messages": rs[0]["messages"]}
            if good:
                f["rate"] = statistics.median(
                    r["ok"] / (r["wall_ns"] / 1e9) for r in good)
                f["cpu_us"] = statistics.median(
                    r["cpu_ticks"] / r["hz"] * 1e6 / r["ok"] for r in good)
                f["cpu_us_sched"] = statistics.median(
                    r["cpu_ns"] / 1e3 / r["ok"] for r in good)
                f["ticks"] = statistics.median(r["cpu_ticks"] for r in good)
            out[key][server] = f
    return out


CLIENT_NAMES = {
    "source-new": "smtp-source, new connection per message",
    "source-reuse": "smtp-source -d, connection reused",
    "load-pipelined": "postel load, reused, pipelined",
    "load-new": "postel load, new connection per message",
    "load-lockstep": "postel load, reused, not pipelined",
}


def fmt(f, k, spec):
    return spec % f[k] if k in f else "-"


def markdown(figs):
    print("| load | sessions | size | msg/s postel | msg/s smtp-sink | "
          "server CPU µs/msg postel | server CPU µs/msg smtp-sink | "
          "postel / smtp-sink CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    wins = total = 0
    for (client, sessions, size), by in figs.items():
        p = by.get("postel", {})
        s = by.get("smtp-sink", {})
        ratio = "-"
        if "cpu_us_sched" in p and "cpu_us_sched" in s and s["cpu_us_sched"]:
            rs = p["cpu_us_sched"] / s["cpu_us_sched"]
            ratio = "%.2f" % rs
            total += 1
            if rs < 1:
                wins += 1
        note = ""
        for name, f in (("postel", p), ("smtp-sink", s)):
            if f.get("errors"):
                note += " (%s: errors in %d of %d runs)" % (
                    name, f["errors"], f["runs"])
        print("| %s | %d | %d KiB | %s | %s | %s (%s) | %s (%s) | %s%s |" % (
            CLIENT_NAMES.get(client, client), sessions, size,
            fmt(p, "rate", "%.0f"), fmt(s, "rate", "%.0f"),
            fmt(p, "cpu_us", "%.1f"), fmt(p, "cpu_us_sched", "%.1f"),
            fmt(s, "cpu_us", "%.1f"), fmt(s, "cpu_us_sched", "%.1f"),
            ratio, note))
    print()
    print("Server CPU per message: /proc/PID/stat utime+stime delta "
          "(schedstat on-CPU time in parentheses) over the messages "
          "acknowledged; medians of the runs. The ratio is of the "
          "schedstat figures.")
    return wins, total


def lines(figs, wins, total):
    for (client, sessions, size), by in figs.items():
        for server in SERVERS:
            f = by.get(server)
            if not f:
                continue
            base = "load.%s.s%d.%dk.%s" % (client, sessions, size, server)
            if "rate" in f:
                print("%s.rate=%.1f msg/s" % (base, f["rate"]))
                print("%s.cpu_per_message=%.2f us" % (base, f["cpu_us"]))
                print("%s.cpu_per_message_sched=%.2f us" %
                      (base, f["cpu_us_sched"]))
            print("%s.error_runs=%d runs" % (base, f["errors"]))
    print("load.postel_less_cpu=%d of %d loads" % (wins, total))


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 64
    figs = figures(parse(argv[1]))
    mode = argv[2] if len(argv) > 2 else ""
    if mode != "--lines-only":
        wins, total = markdown(figs)
    else:
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            wins, total = markdown(figs)
    if mode != "--markdown-only":
        print()
        lines(figs, wins, total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
