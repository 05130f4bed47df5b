#!/usr/bin/python3
"""bench/udp64_report.py DIR [DIR...]: the report of bench/udp64 runs,
one column pair per run: microseconds of CPU per packet of the sending
(A) and receiving (B) vpntund, split by what perf's call chains show
them doing, then the iperf3 pair's cost per datagram and where
datagrams were dropped.

A sample's activity is the system call its user-side stub names (readv
on the tun, sendmmsg, ...), its kernel and user halves together: on a
paravirtualised guest many samples of a system call land on its entry
and exit, or on the stub right after it. Work a send sets off in
softirq (the next hop's receive, run in the sender's context) is shown
apart. The split is perf's; the total per packet is utime + stime over
the packets the daemon's counters moved in the same window.
"""
import collections
import json
import subprocess
import sys

STUBS = {
    "__GI___readv": "tun read (readv)", "readv": "tun read (readv)",
    "__GI___writev": "tun write (writev)", "writev": "tun write (writev)",
    "__recvmmsg": "recvmmsg", "recvmmsg": "recvmmsg",
    "__sendmmsg": "sendmmsg", "sendmmsg": "sendmmsg",
    "epoll_wait": "epoll_wait + libevent",
    "__select": "select", "select": "select",
    "__GI___libc_write": "write", "__libc_write": "write", "write": "write",
    "__GI___libc_read": "read", "__libc_read": "read", "read": "read",
}
ROWS = ["tun read (readv)", "tun write (writev)", "recvmmsg", "sendmmsg",
        "sendmmsg: next hop's receive (softirq)", "crypto (libcrypto)",
        "vpntund code", "epoll_wait + libevent", "clock_gettime", "other"]


def classify(frames):
    """frames: (symbol, dso) from the leaf out."""
    act = None
    for sym, dso in frames:
        if "libc.so" in dso:
            name = STUBS.get(sym.split("@")[0])
            if name is not None:
                act = name
                break
    syms = {s for s, _ in frames}
    if act is not None:
        if act == "sendmmsg" and ("net_rx_action" in syms or
                                  "process_backlog" in syms):
            return "sendmmsg: next hop's receive (softirq)"
        return act
    sym, dso = frames[0] if frames else ("", "")
    if "libcrypto" in dso:
        return "crypto (libcrypto)"
    if "libevent" in dso:
        return "epoll_wait + libevent"
    if dso.endswith("/vpntund)") or dso.endswith("/vpntund"):
        return "vpntund code"
    if "clock_gettime" in sym or "vdso" in dso:
        return "clock_gettime"
    return "other"


def samples(d, pids):
    out = subprocess.run(
        ["perf", "script", "-i", d + "/perf.data", "--pid", ",".join(pids),
         "-F", "pid,ip,sym,dso"], capture_output=True, text=True).stdout
    by = collections.defaultdict(collections.Counter)
    pid, frames = None, []
    for line in out.splitlines() + [""]:
        if not line.strip():
            if pid is not None:
                by[pid][classify(frames)] += 1
            pid, frames = None, []
        elif not line.startswith("\t"):
            pid = line.split()[0]
        else:
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                sym, _, dso = parts[1].rpartition(" (")
                frames.append((sym, dso.rstrip(")")))
    return by


def load(d, name):
    with open("%s/%s" % (d, name)) as f:
        return f.read()


def ticks(d):
    t = {}
    for n in ("0", "1"):
        for line in load(d, "stat" + n).splitlines():
            p, u, s = line.split()
            t.setdefault(p, []).append(int(u) + int(s))
    return {p: (v[1] - v[0]) / 100.0 for p, v in t.items()}


def snmp_udp(d, side, n):
    lines = [l for l in load(d, "%s.snmp%s" % (side, n)).splitlines()
             if l.startswith("Udp:")]
    return dict(zip(lines[0].split()[1:], map(int, lines[1].split()[1:])))


def run(d):
    meta = dict(x.split("=") for x in load(d, "meta").split())
    secs = (int(load(d, "time1")) - int(load(d, "time0"))) / 1000.0
    st = {n: json.loads(load(d, n + ".json")) for n in
          ("a.status0", "a.status1", "b.status0", "b.status1")}
    sock = lambda n, f: st[n]["outer_sockets"][0][f]
    sent = sock("a.status1", "sent") - sock("a.status0", "sent")
    recv = sock("b.status1", "received") - sock("b.status0", "received")
    tun0 = json.loads(load(d, "a.tun0.json"))[0]["stats64"]["tx"]
    tun1 = json.loads(load(d, "a.tun1.json"))[0]["stats64"]["tx"]
    tun_pk = tun1["packets"] - tun0["packets"]
    tun_drop = tun1["dropped"] - tun0["dropped"]
    u0, u1 = snmp_udp(d, "b", 0), snmp_udp(d, "b", 1)
    # The namespace's count less the drops on vpntund's own socket.
    outer = ((sock("b.status1", "kernel_drops") or 0) -
             (sock("b.status0", "kernel_drops") or 0))
    rcvbuf = u1["RcvbufErrors"] - u0["RcvbufErrors"] - outer
    t = ticks(d)
    by = samples(d, [meta["a"], meta["b"], meta["srv"], meta["cli"]])
    col = {}
    for side, n in (("a", sent), ("b", recv)):
        c = by[meta[side]]
        tot = max(sum(c.values()), 1)
        us = 1e6 * t[meta[side]] / max(n, 1)
        col[side] = {r: us * c[r] / tot for r in ROWS}
        col[side]["total"] = us
    b0 = st["b.status0"]["tun_offload"]
    b1 = st["b.status1"]["tun_offload"]
    merged = b1["segments_merged"] - b0["segments_merged"]
    writes = b1["super_packets_written"] - b0["super_packets_written"]
    delivered = recv - rcvbuf
    info = {
        "offered": (tun_pk + tun_drop) / secs, "tun_drop": tun_drop / secs,
        "sent": sent / secs, "recv": recv / secs,
        "rcvbuf": rcvbuf / secs, "delivered": delivered / secs,
        "outer": outer / secs,
        "merged": merged / secs, "writes": writes / secs,
        "cli_us": 1e6 * t[meta["cli"]] / max(tun_pk + tun_drop, 1),
        "srv_us": 1e6 * t[meta["srv"]] / max(delivered, 1),
        "load": load(d, "load").split()[0], "suite": meta["suite"],
    }
    return col, info


def main():
    dirs = sys.argv[1:]
    if not dirs:
        sys.stderr.write(__doc__)
        return 2
    res = [run(d) for d in dirs]
    print("| us of CPU per packet | " + " | ".join(
        "%s %s" % (d.rstrip("/").rsplit("/", 1)[-1], s)
        for d in dirs for s in ("A (sends)", "B (receives)")) + " |")
    print("|---|" + "---:|" * (2 * len(dirs)))
    for r in ROWS + ["total"]:
        cells = []
        for col, _ in res:
            for s in ("a", "b"):
                v = col[s][r]
                cells.append("**%.2f**" % v if r == "total" else
                             ("%.2f" % v if v >= 0.005 else "-"))
        print("| %s | %s |" % (r, " | ".join(cells)))
    print()
    for d, (_, i) in zip(dirs, res):
        print("%s (%s, load %s): iperf3 wrote %.0f/s into the tun, which "
              "dropped %.0f/s; A sent %.0f/s, B's socket dropped %.0f/s, B "
              "received %.0f/s and wrote %.0f/s to tun in %.0f/s super-packets; the "
              "server's socket dropped %.0f/s, %.0f/s delivered. iperf3 "
              "client %.1f us per datagram written, server %.1f us per "
              "datagram delivered." % (
                  d, i["suite"], i["load"], i["offered"], i["tun_drop"],
                  i["sent"], i["outer"], i["recv"], i["merged"], i["writes"],
                  i["rcvbuf"], i["delivered"], i["cli_us"], i["srv_us"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
