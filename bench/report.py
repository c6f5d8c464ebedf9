#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Turns bench/vpb-bench's results.json into docs/benchmarks.md and docs/benchmarks.png.

Usage: report.py --json=FILE --srcdir=DIR --builddir=DIR --md=FILE --png=FILE
The plot needs matplotlib (Debian: python3-matplotlib); without it, gnuplot if installed, else
the report says there is no plot."""

import datetime
import json
import os
import platform
import shutil
import subprocess
import sys

TARGET_APPLY_US = 10.0
TARGET_P99_US = 200.0
TARGET_RSS_KB = 2048
TARGET_RATIO = 500.0


def arg(name, default=None):
    for a in sys.argv[1:]:
        if a.startswith("--" + name + "="):
            return a.split("=", 1)[1]
    if default is None:
        sys.exit("report.py: --%s=... is required" % name)
    return default


def sh(cmd, cwd=None):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def machine(srcdir):
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.1f GiB" % (kb / 1048576)
    except (OSError, ValueError, IndexError):
        pass
    debian = ""
    try:
        with open("/etc/debian_version") as f:
            debian = f.read().strip()
    except OSError:
        pass

    def ver(pkg):
        return sh(["dpkg-query", "-W", "-f=${Version}", pkg]) or "-"

    virt = sh(["systemd-detect-virt"]) or "unknown"
    commit = sh(["git", "describe", "--always", "--dirty"], cwd=srcdir) or "-"
    return [
        ("Date (UTC)", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("CPU", model or platform.processor() or "?"),
        ("CPUs (nproc)", str(os.cpu_count())),
        ("Memory", mem),
        ("Virtualization", virt),
        ("Kernel", platform.release()),
        ("Debian", debian),
        ("umockdev / systemd / driverctl", "%s / %s / %s" % (ver("umockdev"), ver("systemd"), ver("driverctl"))),
        ("Load average at the start", os.environ.get("BENCH_LOADAVG", "?")),
        ("Source", commit),
    ]


def fmt(v, nd=1):
    return "-" if v is None else ("%.*f" % (nd, v))


FLOOR_RATIO = {"noop": 1.2, "pin": 1.3}
FLOOR_WHAT = {"noop": "converged", "pin": "pinning"}


def verdict(ok):
    return "**met**" if ok else "**not met**"


def main():
    res = json.load(open(arg("json")))
    srcdir = arg("srcdir")
    md_path, png_path = arg("md"), arg("png")
    applies = res["apply"]
    d = res["daemon"]
    dc = res["driverctl"]

    def find_apply(setup, n, rules):
        for a in applies:
            if a["setup"] == setup and a["devices"] == n and a["rules"] == rules:
                return a
        return None

    def per_dev(a):
        return a["cpu_s"] / a["devices"] * 1e6 if a and a["devices"] else None

    def marginal(a):
        z = find_apply(a["setup"] if a["setup"] != "tree-noop" else "tree-pin", 0, a["rules"]) if a else None
        if not a or not a["devices"] or not z:
            return None
        return (a["cpu_s"] - z["cpu_s"]) / a["devices"] * 1e6

    sizes = sorted({a["devices"] for a in applies if a["devices"]})
    big = max(sizes) if sizes else 0
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w("What vfio-platform-bindd costs, measured by `make bench` (bench/bench.c, issue 7). "
      "This file and `benchmarks.png` are written by the run; the figures below are from the run "
      "on the machine described here.")
    w("")
    w("| Machine | |")
    w("|---|---|")
    for k, v in machine(srcdir):
        w("| %s | %s |" % (k, v))
    w("")
    w("![benchmarks](benchmarks.png)")
    w("")

    # --- targets ---
    w("## Targets (issues 7 and 16)")
    w("")
    w("Tails (p99, max) and the fake kernel's figures move with the load of the machine (its load average "
      "is in the table above): the harness, the daemon and its worker share the CPUs with whatever else runs.")
    w("")
    w("| Target | Measured | |")
    w("|---|---|---|")
    for setup, what in (("tree-noop", "read and decide, nothing to write"),
                        ("tree-pin", "one `driver_override` write and a state record per device"),
                        ("fk-bind", "full bind under the fake kernel (umockdev preload and write shim included)")):
        a = find_apply(setup, big, 1000)
        if a:
            v = per_dev(a)
            w("| apply ≤ %g µs CPU/device at %s devices × 1,000 rules: %s (`%s`) | %.1f µs | %s |"
              % (TARGET_APPLY_US, format(big, ","), what, setup, v, verdict(v <= TARGET_APPLY_US)))
    for key, label in (("latency_direct", "daemon on a plain tree, uevents injected without umockdev"),
                       ("latency_daemon", "daemon under the fake kernel (umockdev)")):
        lt = res.get(key)
        if lt and lt["events"]:
            h, i = lt["harness_us"], lt["inside_us"]
            w("| event latency p99 ≤ %g µs, %s, uevent sent → override write | %s µs (median %s) | %s |"
              % (TARGET_P99_US, label, fmt(h["p99"]), fmt(h["median"]), verdict(h["p99"] <= TARGET_P99_US)))
            if i["n"]:
                w("| event latency p99 ≤ %g µs, %s, uevent received → override written | %s µs (median %s) | %s |"
                  % (TARGET_P99_US, label, fmt(i["p99"]), fmt(i["median"]), verdict(i["p99"] <= TARGET_P99_US)))
    rp = res.get("rss_plain_1000", {})
    rf = res.get("rss_fk_ready", {})
    if d.get("plain_ok") and rp.get("VmHWM", -1) > 0:
        w("| peak RSS ≤ 2 MiB at 1,000 devices (VmHWM, no preload) | %.2f MiB (anonymous %.2f MiB, file-backed %.2f MiB) | %s |"
          % (rp["VmHWM"] / 1024, rp["RssAnon"] / 1024, rp["RssFile"] / 1024, verdict(rp["VmHWM"] <= TARGET_RSS_KB)))
    if rf.get("VmHWM", -1) > 0:
        w("| peak RSS ≤ 2 MiB at 1,000 devices (VmHWM, under umockdev) | %.2f MiB (anonymous %.2f MiB) | %s |"
          % (rf["VmHWM"] / 1024, rf["RssAnon"] / 1024, verdict(rf["VmHWM"] <= TARGET_RSS_KB)))
    sp = res.get("spawned", {})
    w("| no process spawned per event | %s processes in %s events (fake kernel), %s in %s (direct) | %s |"
      % (sp.get("fk", "-"), res["latency_daemon"]["events"], sp.get("direct", "-"),
         res.get("latency_direct", {}).get("events", "-"), verdict(sp.get("fk", 1) == 0 and sp.get("direct", 0) == 0)))
    if d["idle_s"] > 0:
        other = max(0, d["idle_ctxt"] - d["idle_watchdog"])
        w("| idle: no wake-ups but the watchdog (WATCHDOG_USEC=30 s) | %d context switches in %.0f s, %d of them watchdog pings: %.1f/min, %.1f/min not the watchdog (extrapolated from %.0f s) | %s |"
          % (d["idle_ctxt"], d["idle_s"], d["idle_watchdog"], d["idle_ctxt"] * 60 / d["idle_s"],
             other * 60 / d["idle_s"], d["idle_s"], verdict(other == 0)))
    for fl in res.get("apply_floor", []):
        limit = FLOOR_RATIO[fl["setup"]]
        w("| %s pass ≤ %g× the floor at %s devices × %s rules (CPU, median of %d paired runs; apply --no-cdi) | %.2f× (%.1f vs %.1f system calls per device) | %s |"
          % (FLOOR_WHAT[fl["setup"]], limit, format(fl["devices"], ","), format(fl["rules"], ","), fl["pairs"],
             fl["ratio"], fl["apply_syscalls"] / fl["devices"], fl["floor_syscalls"] / fl["devices"],
             verdict(fl["ratio"] <= limit)))
    ours = find_apply("fk-bind", 1000, 10)
    ratio = None
    if dc["ran"] and ours and ours["bound"]:
        ours_us = ours["cpu_s"] / ours["bound"] * 1e6
        theirs_us = dc["cpu_s"] / dc["calls"] * 1e6
        ratio = theirs_us / ours_us
        w("| ≥ %g× less CPU per device than driverctl | driverctl %.0f µs, ours %.1f µs per device: %.0f× | %s |"
          % (TARGET_RATIO, theirs_us, ours_us, ratio, verdict(ratio >= TARGET_RATIO)))
    elif not dc["ran"]:
        w("| ≥ %g× less CPU per device than driverctl | not run: %s | - |" % (TARGET_RATIO, dc["skipped"]))
    w("")

    # --- apply ---
    w("## (a) One `apply` pass")
    w("")
    w("`vfio-platform-bindctl --root=DIR --no-load-modules apply`, one process per pass; CPU is the child's "
      "`getrusage` (user + system), wall from fork to exit. \"marginal\" subtracts the 0-device pass of the same "
      "set-up and policy (start-up: loading and indexing the policy).")
    w("")
    w("- **fk-bind**: the fake kernel (tests/fake-kernel.h); every device starts unbound or on its native "
      "driver (half of the types have one), in its own IOMMU group; binding really happens: `driver_override`, "
      "unbind, `drivers_probe`, verify, state record. The program runs under umockdev's preload and the fake "
      "kernel's write shim, which add work to every file access; wall time includes the harness answering "
      "each sysfs write (its device lookup is linear, noticeable at 10,000 devices).")
    w("- **tree-pin**: a plain sysfs tree on tmpfs, no preload; every device already on vfio-platform without "
      "an override: a selected device gets one `driver_override` write (through the worker thread) and a "
      "state record.")
    w("- **tree-noop**: the same tree with the override set: read and decide only (a converged system).")
    w("")
    w("| Set-up | Devices | Rules | Wall (s) | CPU (s) | user / sys (s) | CPU/device (µs) | marginal (µs) | wall/device (µs) | bound or pinned | exit |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for a in sorted(applies, key=lambda a: (a["setup"], a["rules"], a["devices"])):
        n = a["devices"]
        w("| %s | %s | %s | %.3f | %.3f | %.3f / %.3f | %s | %s | %s | %d | %d |"
          % (a["setup"], format(n, ","), format(a["rules"], ","), a["wall_s"], a["cpu_s"], a["user_s"], a["sys_s"],
             fmt(per_dev(a)), fmt(marginal(a)), fmt(a["wall_s"] / n * 1e6 if n else None), a["bound"], a["exit"]))
    w("")

    # --- the floor (issue 16): after section (f), which the VM suite writes ---
    G = []
    if res.get("apply_floor"):
        G.append("## (g) `apply` against the floor (issue 16)")
        G.append("")
        G.append("bench/floor.c (`bench/vpb-floor`) makes only the system calls the pass needs, with no policy and no "
          "decision, on the same plain tree as `apply` (`vpb-bench --make-tree`): for every platform device its "
          "directory, `uevent`, `driver_override` and the `driver` link (9 calls); pinning adds one "
          "`driver_override` write and a state record (temporary file, rename) for each device that `apply` "
          "pinned in a first pass. Both run back to back, the order alternating, the pin tree reset before each "
          "run; the ratio is the median of the pairs' ratios of CPU time (user + system). `apply --no-cdi` does "
          "the floor's job; `apply` as shipped also writes the CDI specs of the bound devices (their IOMMU "
          "groups and group nodes). System calls are counted by `strace -f -c`, start-up included, divided "
          "by the devices.")
        G.append("")
        G.append("| Pass | Devices | Rules | apply --no-cdi CPU (s) | floor CPU (s) | ratio | wall ratio | system calls per device: apply / floor | apply with CDI specs: CPU (s), ratio, calls per device |")
        G.append("|---|---:|---:|---:|---:|---:|---:|---|---|")
        for fl in res["apply_floor"]:
            n = fl["devices"]
            G.append("| %s | %s | %s | %.3f | %.3f | **%.2f×** | %.2f× | %.1f / %.1f | %.3f, %.2f×, %.1f |"
              % (FLOOR_WHAT[fl["setup"]], format(n, ","), format(fl["rules"], ","), fl["apply_cpu_s"],
                 fl["floor_cpu_s"], fl["ratio"], fl["wall_ratio"], fl["apply_syscalls"] / n,
                 fl["floor_syscalls"] / n, fl["cdi_cpu_s"], fl["cdi_ratio"], fl["cdi_syscalls"] / n))
        G.append("")
        for fl in res["apply_floor"]:
            n = fl["devices"]
            for who in ("apply", "cdi", "floor"):
                top = ", ".join("%s %.2f" % (k, int(v) / n) for k, v in
                                (x.rsplit(" ", 1) for x in fl[who + "_top"].split(", ") if x)
                                if int(v) / n >= 0.05)
                G.append("- %s, %s: %s" % (FLOOR_WHAT[fl["setup"]], {"apply": "apply --no-cdi", "cdi": "apply",
                                                             "floor": "floor"}[who], top or "-"))
        G.append("")

    # --- latency ---
    w("## (b) Event latency: `add` uevent → `driver_override` write")
    w("")
    w("One `add` uevent at a time for a new device that the 1,000-rule policy selects; the next one only when "
      "the daemon sleeps in `epoll_wait` again (`/proc/PID/wchan`), so each figure is one event alone. The daemon "
      "holds 1,000 devices already.")
    w("")
    w("- **sent → written**: *fake kernel*: from the harness' `send()` of the uevent to its `accept()` of the "
      "override write's request (includes umockdev's netlink emulation, libudev, the daemon, its worker thread, "
      "the write shim's connect and the harness waking up). *direct*: the daemon on a plain tree without umockdev "
      "(`--verify-timeout=0`: no kernel binds there), uevents sent to it through bench/nl-inject.so; from the "
      "harness' `sendto()` to the daemon's `write()` on `driver_override` (bench/lat-probe.so, CLOCK_MONOTONIC).")
    w("- **received → written**: inside the daemon, from `recvmsg()` returning the uevent to the `write()` "
      "call on `driver_override` (bench/lat-probe.so).")
    w("- **floor**: a minimal libudev listener under the same fake kernel that writes the override at once: "
      "what the test set-up alone costs.")
    w("")
    w("| Run | Events | errors | sent → written median / p90 / p99 / max (µs) | received → written median / p90 / p99 / max (µs) | daemon CPU per event (µs) |")
    w("|---|---:|---:|---|---|---:|")
    for key, label in (("latency_direct", "daemon, direct (no umockdev)"), ("latency_daemon", "daemon, fake kernel"),
                       ("latency_floor", "floor listener, fake kernel")):
        lt = res.get(key)
        if not lt or not lt["events"]:
            continue
        h, i = lt["harness_us"], lt["inside_us"]
        ins = "%s / %s / %s / %s" % (fmt(i["median"]), fmt(i["p90"]), fmt(i["p99"]), fmt(i["max"])) if i["n"] else "-"
        w("| %s | %s | %d | %s / %s / %s / %s | %s | %s |"
          % (label, format(lt["events"], ","), lt["errors"], fmt(h["median"]), fmt(h["p90"]), fmt(h["p99"]), fmt(h["max"]),
             ins, fmt(lt["cpu_per_event_us"])))
    w("")
    w("Daemon CPU per event includes the whole event: the bind uevent that follows the daemon's own probe "
      "(fake kernel), the state record, the log line and the `STATUS=` notification; in the direct run the "
      "verification fails (no kernel), so it also includes the diagnosis.")
    w("")

    # --- RSS, idle, processes ---
    w("## (c) Memory, (d) idle wake-ups, processes")
    w("")
    w("| Daemon | VmHWM (kB) | VmRSS (kB) | RssAnon (kB) | RssFile (kB) | Pss (kB) | USS (kB) |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for key, label in (("rss_plain_0", "plain tree, 0 devices, no preload"),
                       ("rss_plain_1000", "plain tree, 1,000 devices pinned at start, no preload"),
                       ("rss_fk_ready", "fake kernel, 1,000 devices bound at start (umockdev preload)"),
                       ("rss_fk_after_events", "fake kernel, after %s more hotplugged" % format(res["latency_daemon"]["events"], ","))):
        r = res.get(key)
        if r and r.get("VmHWM", -1) > 0:
            w("| %s | %d | %d | %d | %d | %d | %d |" % (label, r["VmHWM"], r["VmRSS"], r["RssAnon"], r["RssFile"], r["Pss"], r["USS"]))
    w("")
    w("Pss and USS depend on what else maps the same libraries at that moment; VmHWM and RssAnon do not.")
    w("")
    w("- Coldplug under the fake kernel: READY=1 %.3f s after exec, %.3f s CPU for %s devices × %s rules "
      "(%.0f µs/device, binding included). Plain tree (pin): %.3f s, %.3f s CPU."
      % (d["ready_wall_s"], d["ready_cpu_s"], format(d["devices"], ","), format(d["rules"], ","),
         d["ready_cpu_s"] / max(1, d["devices"]) * 1e6,
         d["plain_ready_wall_s"], d["plain_ready_cpu_s"]))
    w("- Idle: %d context switch(es) (voluntary + involuntary, all %d threads, /proc/PID/task/*/status) in %.0f s "
      "with WATCHDOG_USEC=30 s, as in the unit; %d `WATCHDOG=1` ping(s) received meanwhile."
      % (d["idle_ctxt"], d["threads_before"], d["idle_s"], d["idle_watchdog"]))
    w("- Processes: the latency probe is preloaded into the daemon and counts every process that starts from "
      "it (they inherit LD_PRELOAD) and every `fork()`: %s during the fake-kernel events, %s during the direct "
      "ones. Threads before/after the events: %d/%d."
      % (sp.get("fk", "-"), sp.get("direct", "-"), d["threads_before"], d["threads_after"]))
    w("")

    # --- driverctl ---
    w("## (e) driverctl")
    w("")
    if dc["ran"]:
        w("`driverctl --nosave --noprobe -b platform set-override DEV vfio-platform`, one call per device that our "
          "apply bound among the same 1,000 faked devices (a fresh fake kernel, the same umockdev preload and write "
          "shim; `$UMOCKDEV_DIR/sys/module/vfio-platform` exists so that it does not run modprobe). As root the "
          "benchmark runs in a private mount namespace where /sys and /etc are read-only%s."
          % ("" if res.get("protected_namespace") else " (not available on this run: it relied on umockdev and --nosave)"))
        w("")
        w("| | Devices | Wall (s) | CPU (s) | CPU/device (µs) |")
        w("|---|---:|---:|---:|---:|")
        w("| driverctl (%d failed) | %d | %.3f | %.3f | %.0f |" % (dc["failed"], dc["calls"], dc["wall_s"], dc["cpu_s"], dc["cpu_s"] / dc["calls"] * 1e6))
        if ours:
            w("| vfio-platform-bindctl apply (fk-bind, 1,000 × 10 rules; override, unbind, probe, verify, record) | %d | %.3f | %.3f | %.1f |"
              % (ours["bound"], ours["wall_s"], ours["cpu_s"], ours["cpu_s"] / max(1, ours["bound"]) * 1e6))
        w("")
        if ratio:
            w("Ratio of CPU per device: **%.0f×** (ours divides the whole pass, unselected devices and start-up "
              "included, by the devices it bound). driverctl's override write goes through bash's stdio, which "
              "the fake kernel's shim does not see: it lands in the testbed's file (checked after each call) "
              "without a round trip to the harness, which favours driverctl slightly." % ratio)
    else:
        w("Not run: %s." % dc["skipped"])
    w("")

    w("## Reproduce")
    w("")
    w("```sh")
    w("tools/setup.sh                        # build dependencies, umockdev (Debian 12, as root)")
    w("./autogen.sh && ./configure && make bench")
    w("```")
    w("")
    w("`make bench` builds the programs, the fake kernel's shim, bench/vpb-bench and its two preloads, "
      "installs driverctl and python3-matplotlib with apt-get if missing (as root), runs everything once "
      "(about a minute and a half on 2 CPUs, 20 s of which is the idle measurement) and rewrites this file and the "
      "plot. "
      "`make bench BENCH_FLAGS=--quick` is a shorter run (100 and 1,000 devices, 1,000 events, 5 s idle). "
      "The raw figures are in `bench/results.json` of the build directory, the printed table in `bench/output.txt`. "
      "Profiling notes: bench/PROFILE.md.")
    w("")
    # Section (f) is measured by the VM suite (a real boot), not by this run: kept as it is.
    kept = kept_section(md_path, "## (f) A real boot")
    if kept:
        i = L.index("## Reproduce")
        L[i:i] = kept + [""]
    i = L.index("## Reproduce")
    L[i:i] = G
    # Section (h) comes from bench/policy-load runs by hand (bench/PROFILE.md): kept as it is.
    kept = kept_section(md_path, "## (h) Start-up")
    if kept:
        i = L.index("## Reproduce")
        L[i:i] = kept + [""]
    if not plot(res, png_path, find_apply, sizes, ratio, ours, dc):
        L = [line if line != "![benchmarks](benchmarks.png)" else
             "(No plot: neither python3-matplotlib nor gnuplot was available.)" for line in L]
    with open(md_path, "w") as f:
        f.write("\n".join(L))


def kept_section(md_path, prefix):
    """The lines of the section of md_path whose heading starts with prefix, up to the next one."""
    try:
        with open(md_path) as f:
            lines = f.read().split("\n")
    except OSError:
        return []
    out = []
    for line in lines:
        if line.startswith("## ") and out:
            break
        if out or line.startswith(prefix):
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


def plot(res, png_path, find_apply, sizes, ratio, ours, dc):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return plot_gnuplot(res, png_path, find_apply, sizes)

    fig, ax = plt.subplots(2, 2, figsize=(13, 9))
    a0 = ax[0][0]
    styles = {"fk-bind": "o-", "tree-pin": "s-", "tree-noop": "^-"}
    for setup in ("fk-bind", "tree-pin", "tree-noop"):
        for rules, ls in ((10, ":"), (1000, "-")):
            xs, ys = [], []
            for n in sizes:
                a = find_apply(setup, n, rules)
                if a:
                    xs.append(n)
                    ys.append(a["cpu_s"] / n * 1e6)
            if xs:
                a0.plot(xs, ys, styles[setup][0] + ls, label="%s, %d rules" % (setup, rules))
    a0.axhline(TARGET_APPLY_US, color="red", lw=1, ls="--", label="target %g µs" % TARGET_APPLY_US)
    a0.set_xscale("log")
    a0.set_yscale("log")
    a0.set_xlabel("devices")
    a0.set_ylabel("CPU per device (µs)")
    a0.set_title("(a) one apply pass: CPU per device")
    a0.legend(fontsize=7)
    a0.grid(True, which="both", alpha=0.3)

    a1 = ax[0][1]
    for key, sub, label in (("latency_direct", "harness_samples_us", "direct: sent → written"),
                            ("latency_direct", "inside_samples_us", "direct: received → written"),
                            ("latency_daemon", "harness_samples_us", "fake kernel: sent → written"),
                            ("latency_daemon", "inside_samples_us", "fake kernel: received → written"),
                            ("latency_floor", "harness_samples_us", "floor listener (fake kernel)")):
        s = res.get(key, {}).get(sub) or []
        if s:
            n = len(s)
            a1.plot(s, [(i + 1) / n for i in range(n)], label=label)
    a1.axvline(TARGET_P99_US, color="red", lw=1, ls="--", label="target p99 %g µs" % TARGET_P99_US)
    a1.axhline(0.99, color="grey", lw=0.5)
    a1.set_xscale("log")
    a1.set_xlabel("µs")
    a1.set_ylabel("fraction of events")
    a1.set_title("(b) add uevent → driver_override write (CDF)")
    a1.legend(fontsize=7)
    a1.grid(True, which="both", alpha=0.3)

    a2 = ax[1][0]
    bars = []
    for key, label in (("rss_plain_0", "plain\n0 dev"), ("rss_plain_1000", "plain\n1,000 dev"),
                       ("rss_fk_ready", "fake kernel\n1,000 dev"),
                       ("rss_fk_after_events", "fake kernel, %s dev\n(after the events)"
                        % format(1000 + res["latency_daemon"]["events"], ","))):
        r = res.get(key)
        if r and r.get("VmHWM", -1) > 0:
            bars.append((label, r["RssAnon"] / 1024, r["RssFile"] / 1024, r["VmHWM"] / 1024))
    if bars:
        xs = range(len(bars))
        a2.bar(xs, [b[1] for b in bars], label="anonymous")
        a2.bar(xs, [b[2] for b in bars], bottom=[b[1] for b in bars], label="file-backed (libraries)")
        a2.plot(list(xs), [b[3] for b in bars], "k_", markersize=30, label="VmHWM")
        a2.set_xticks(list(xs))
        a2.set_xticklabels([b[0] for b in bars], fontsize=8)
    a2.axhline(TARGET_RSS_KB / 1024, color="red", lw=1, ls="--", label="target 2 MiB")
    a2.set_ylabel("MiB")
    a2.set_title("(c) daemon resident memory")
    a2.legend(fontsize=7)

    a3 = ax[1][1]
    if dc["ran"] and ours and ours["bound"]:
        vals = [dc["cpu_s"] / dc["calls"] * 1e6, ours["cpu_s"] / ours["bound"] * 1e6]
        a3.bar([0, 1], vals, color=["tab:grey", "tab:blue"])
        a3.set_xticks([0, 1])
        a3.set_xticklabels(["driverctl set-override\n(one call per device)", "bindctl apply\n(whole pass / devices)"])
        a3.set_yscale("log")
        a3.set_ylim(bottom=max(0.5, min(vals) / 20), top=max(vals) * 3)
        for i, v in enumerate(vals):
            a3.text(i, v, "%.0f µs" % v if v >= 100 else "%.1f µs" % v, ha="center", va="bottom")
        a3.set_title("(e) CPU per device, same 1,000 faked devices: %.0f×" % ratio)
        a3.set_ylabel("µs (log)")
    else:
        a3.text(0.5, 0.5, "driverctl not run", ha="center")
        a3.set_axis_off()
    fig.suptitle("vfio-platform-bindd benchmarks (make bench)")
    fig.tight_layout()
    fig.savefig(png_path, dpi=90)
    return True


def plot_gnuplot(res, png_path, find_apply, sizes):
    if not shutil.which("gnuplot"):
        print("report.py: neither matplotlib nor gnuplot: no plot", file=sys.stderr)
        return False
    dat = png_path + ".dat"
    with open(dat, "w") as f:
        for setup in ("fk-bind", "tree-pin", "tree-noop"):
            for rules in (10, 1000):
                f.write("# %s %d\n" % (setup, rules))
                for n in sizes:
                    a = find_apply(setup, n, rules)
                    if a:
                        f.write("%d %f\n" % (n, a["cpu_s"] / n * 1e6))
                f.write("\n\n")
    titles = ["%s %d rules" % (s, r) for s in ("fk-bind", "tree-pin", "tree-noop") for r in (10, 1000)]
    plots = ", ".join("'%s' index %d with linespoints title '%s'" % (dat, i, t) for i, t in enumerate(titles))
    script = ("set terminal png size 900,600; set output '%s'; set logscale xy; set xlabel 'devices'; "
              "set ylabel 'CPU per device (us)'; set title 'one apply pass'; plot %s, %g title 'target'"
              % (png_path, plots, TARGET_APPLY_US))
    ok = subprocess.run(["gnuplot", "-e", script], check=False).returncode == 0
    os.unlink(dat)
    return ok


if __name__ == "__main__":
    main()
