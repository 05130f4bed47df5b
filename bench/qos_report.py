#!/usr/bin/python3
"""bench/qos_report.py TMPDIR PNG MTU...: the tables and the plot of bench/qos.

Reads what bench/qos left in TMPDIR/<mtu>-<arm>/ (per-packet CSVs
class,seq,send_ns,recv_ns,len; "sent ..." lines of the senders; the modem's
IP bytes at the start and end of the flows; polls of the scheduler's queues)
and prints per MTU, arm and class: goodput, wire rate, loss, delay
percentiles and the largest queue seen; then the link utilisation and the
targets for arm A. Draws per-class rate and delay over time, one
column per arm, two rows per MTU.
"""
import json
import os
import sys

ARMS = ["A", "B", "C"]
ARM_NAME = {"A": "A vpntund CBQ", "B": "B HTB on outer DSCP", "C": "C no QoS"}
CLASSES = ["audio", "camera", "video", "web"]
COLOR = {"audio": "tab:blue", "camera": "tab:red", "video": "tab:green",
         "web": "tab:orange"}
LIMIT_PKTS = {"audio": 30, "camera": 20}
HTB_CLASS = {"1:10": "audio", "1:20": "camera", "1:30": "web", "1:40": "video"}


def wire(ip_len):
    """Outer IPv4 length of an inner IP packet: ESP in UDP with AES-GCM
    (outer IP 20, UDP 8, ESP 8, IV 8, padding to 4 with the 2-byte
    trailer, ICV 16)."""
    return 60 + (ip_len + 2 + 3) // 4 * 4


def pct(xs, p):
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, int(round(p * len(xs) + 0.5)) - 1))
    return xs[k]


def read_csv(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            p = line.strip().split(",")
            if len(p) == 5:
                rows.append((int(p[1]), int(p[2]), int(p[3]), int(p[4])))
    return rows


def read_sent(path):
    try:
        with open(path) as f:
            w = f.read().split()
        return int(w[1])
    except (OSError, IndexError, ValueError):
        return None


def read_meta(d):
    m = {}
    with open(os.path.join(d, "meta")) as f:
        for kv in f.read().split():
            k, v = kv.split("=", 1)
            m[k] = v
    for k in ("tunmtu", "start", "secs", "modem", "bw"):
        m[k] = int(m[k])
    return m


def max_queues(d, arm):
    """Largest queue (packets) per class over the polls."""
    q = {}
    path = os.path.join(d, "queues.jsonl")
    if not os.path.exists(path):
        return q
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if arm == "A" and isinstance(doc, dict) and doc.get("qos"):
                for c in doc["qos"]["classes"]:
                    q[c["name"]] = max(q.get(c["name"], 0), c.get("qlen", 0))
            elif arm == "B" and isinstance(doc, list):
                for c in doc:
                    name = HTB_CLASS.get(c.get("handle"))
                    if name is None:
                        continue
                    st = c.get("stats", c)
                    n = st.get("qlen", 0)
                    q[name] = max(q.get(name, 0), n)
    return q


def modem_backlog(d):
    """Largest backlog (bytes) polled in the modem's tbf."""
    best = None
    path = os.path.join(d, "modemq.jsonl")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            for q in doc if isinstance(doc, list) else []:
                if q.get("kind") == "tbf":
                    b = q.get("backlog", q.get("stats", {}).get("backlog"))
                    if isinstance(b, int):
                        best = b if best is None else max(best, b)
    return best


def analyse(d, arm):
    m = read_meta(d)
    t0, secs = m["start"], m["secs"]
    t1 = t0 + secs * 1000000000
    res = {"meta": m, "classes": {}}
    for cls in CLASSES:
        rows = read_csv(os.path.join(d, cls + ".csv"))
        sent = read_sent(os.path.join(d, cls + ".sent"))
        seqs = {r[0] for r in rows}
        delays = sorted((r[2] - r[1]) / 1e6 for r in rows)
        inwin = [r for r in rows if t0 <= r[2] < t1]
        good = sum(r[3] for r in inwin) * 8 / secs / 1000
        wire_kbit = None
        if cls in ("audio", "video"):
            wire_kbit = sum(wire(r[3] + 28) for r in inwin) * 8 / secs / 1000
        loss = None
        if sent and cls != "web":
            loss = 100.0 * (1 - len(seqs) / sent)
        res["classes"][cls] = {
            "rows": rows, "sent": sent, "recv": len(seqs), "good": good,
            "wire": wire_kbit, "loss": loss, "p50": pct(delays, 0.5),
            "p99": pct(delays, 0.99), "max": delays[-1] if delays else None}
    try:
        with open(os.path.join(d, "modem0")) as f:
            b0 = int(f.read().split()[0])
        with open(os.path.join(d, "modem1")) as f:
            b1 = int(f.read().split()[0])
        res["link_kbit"] = (b1 - b0) * 8 / secs / 1000
        res["util"] = 100.0 * (b1 - b0) * 8 / secs / m["modem"]
    except (OSError, ValueError, IndexError):
        res["link_kbit"] = res["util"] = None
    res["queues"] = max_queues(d, arm)
    res["modemq"] = modem_backlog(d)
    return res


def fmt(v, spec="%.1f"):
    return "-" if v is None else spec % v


def table(mtu, results):
    print()
    tunmtu = next(r["meta"]["tunmtu"] for r in results.values())
    print("tunnel MTU %s (tun MTU %d, largest wire packet %d bytes, %.1f ms at %d bit/s)"
          % (mtu, tunmtu, wire(tunmtu), wire(tunmtu) * 8000 / MODEM, MODEM))
    hdr = ("%-22s %-7s %7s %7s %8s %8s %7s %9s %9s %9s %6s"
           % ("arm", "class", "sent", "recv", "goodput", "wire", "loss%",
              "p50 ms", "p99 ms", "max ms", "maxq"))
    print(hdr)
    print("%-22s %-7s %7s %7s %8s %8s %7s %9s %9s %9s %6s"
          % ("", "", "", "", "kbit/s", "kbit/s", "", "", "", "", "pkts"))
    for arm in ARMS:
        r = results.get(arm)
        if r is None:
            print("%-22s (not run or unavailable)" % ARM_NAME[arm])
            continue
        for cls in CLASSES:
            c = r["classes"][cls]
            name = cls + ("*" if cls == "camera" else "")
            print("%-22s %-7s %7s %7d %8.1f %8s %7s %9s %9s %9s %6s"
                  % (ARM_NAME[arm] if cls == "audio" else "", name,
                     fmt(c["sent"], "%d"), c["recv"], c["good"],
                     fmt(c["wire"]), fmt(c["loss"], "%.2f"), fmt(c["p50"]),
                     fmt(c["p99"]), fmt(c["max"]),
                     fmt(r["queues"].get(cls), "%d")))
        mq = r["modemq"]
        print("%-22s %-7s link: %s kbit/s of IP packets out of the modem = %s%% of %d bit/s;"
              " modem queue up to %s bytes (%s ms)"
              % ("", "", fmt(r["link_kbit"]), fmt(r["util"]), MODEM, fmt(mq, "%d"),
                 fmt(None if mq is None else mq * 8000 / MODEM, "%.0f")))
    print("camera*: delay is the round trip of a 48-byte message (the return path is not shaped);"
          " loss%% = messages not echoed by the end. web: records of 1000 bytes, delay from"
          " write() (TCP_NOTSENT_LOWAT 4096) to read(). goodput: payload received during the"
          " %d s of flows; wire: outer IP bytes of those packets (UDP classes)." % SECS)


def targets(mtu, results):
    a, b = results.get("A"), results.get("B")
    if a is None:
        print("\ntargets (A) at MTU %s: arm A did not run" % mtu)
        return
    tunmtu = a["meta"]["tunmtu"]
    bound = wire(tunmtu) * 8000 / MODEM + 10
    ca = a["classes"]
    out = []

    def check(ok, text):
        out.append(("met " if ok else "MISS") + "  " + text)

    au, cam, vid = ca["audio"], ca["camera"], ca["video"]
    check(au["loss"] == 0, "audio loss 0: %s%% (%s of %s)" % (fmt(au["loss"], "%.2f"), au["recv"], au["sent"]))
    check(au["p99"] is not None and au["p99"] <= bound,
          "audio p99 %s ms <= one max-size packet + 10 ms = %.1f ms (its own %d wire bytes take %.1f ms)"
          % (fmt(au["p99"]), bound, wire(188), wire(188) * 8000 / MODEM))
    check(cam["p99"] is not None and cam["p99"] <= 2 * bound,
          "camera round trip p99 %s ms <= %.1f ms (the bound per direction; within one direction's %.1f ms: %s)"
          % (fmt(cam["p99"]), 2 * bound, bound,
             "yes" if cam["p99"] is not None and cam["p99"] <= bound else "no"))
    vw = vid["wire"] or 0
    others = (a["link_kbit"] or 0) - vw
    check(vw >= R_VIDEO / 1000,
          "video %.1f kbit/s on the wire >= its rate %.1f kbit/s (others used %.1f of %.0f kbit/s)"
          % (vw, R_VIDEO / 1000, others, BW / 1000))
    check(a["util"] is not None and a["util"] >= 95,
          "link used >= 95%%: %s%%" % fmt(a["util"]))
    qa = a["queues"]
    qok = all(qa.get(k, 0) <= v for k, v in LIMIT_PKTS.items())
    check(qok and bool(qa), "no class beyond its limit (largest queues seen, polled every 0.25 s: %s; "
          "limits audio 30, camera 20 packets; drops are at the limit by construction)"
          % ", ".join("%s %d" % (k, v) for k, v in sorted(qa.items())))
    if b is not None:
        worse = []
        for cls in CLASSES:
            x, y = ca[cls], b["classes"][cls]
            if x["loss"] is not None and y["loss"] is not None and x["loss"] > y["loss"] + 0.5:
                worse.append("%s loss %.2f%% vs %.2f%%" % (cls, x["loss"], y["loss"]))
            for k in ("p50", "p99"):
                if x[k] is not None and y[k] is not None and x[k] > y[k] * 1.1 + 5:
                    worse.append("%s %s %.1f vs %.1f ms" % (cls, k, x[k], y[k]))
            if x["good"] < y["good"] * 0.9 - 0.5:
                worse.append("%s goodput %.1f vs %.1f kbit/s" % (cls, x["good"], y["good"]))
        check(not worse, "A no worse than B for any class (tolerance: loss +0.5 pt, delay p50 and p99 +10%% + 5 ms, goodput -10%%)%s"
              % ((": " + "; ".join(worse)) if worse else ""))
    print("\ntargets (A) at MTU %s:" % mtu)
    for line in out:
        print("  " + line)


def plot(all_results, png, mtus):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nrow = 2 * len(mtus)
    fig, axes = plt.subplots(nrow, 3, figsize=(15, 3.2 * nrow), squeeze=False)
    for i, mtu in enumerate(mtus):
        for j, arm in enumerate(ARMS):
            ax_r, ax_d = axes[2 * i][j], axes[2 * i + 1][j]
            r = all_results.get(mtu, {}).get(arm)
            ax_r.set_title("%s, tunnel MTU %s" % (ARM_NAME[arm], mtu), fontsize=9)
            if r is None:
                ax_r.text(0.5, 0.5, "not run", ha="center", transform=ax_r.transAxes)
                ax_d.text(0.5, 0.5, "not run", ha="center", transform=ax_d.transAxes)
                continue
            t0, secs = r["meta"]["start"], r["meta"]["secs"]
            nb = secs + DRAIN
            for cls in CLASSES:
                rows = r["classes"][cls]["rows"]
                bins = [0.0] * nb
                for seq, s, rcv, ln in rows:
                    k = int((rcv - t0) // 1000000000)
                    if 0 <= k < nb:
                        bins[k] += ln * 8 / 1000
                ax_r.step(range(nb), bins, where="post", color=COLOR[cls], label=cls, lw=1)
                xs = [(rcv - t0) / 1e9 for seq, s, rcv, ln in rows]
                ys = [max(0.1, (rcv - s) / 1e6) for seq, s, rcv, ln in rows]
                ax_d.scatter(xs, ys, s=2, color=COLOR[cls], label=cls + (" (RTT)" if cls == "camera" else ""))
            ax_r.set_ylabel("goodput kbit/s")
            ax_r.set_xlim(0, nb)
            ax_r.axvline(secs, color="grey", lw=0.5, ls="--")
            ax_d.set_yscale("log")
            ax_d.set_ylabel("delay ms")
            ax_d.set_xlabel("s (receive time)")
            ax_d.set_xlim(0, nb)
            ax_d.axvline(secs, color="grey", lw=0.5, ls="--")
            if i == 0 and j == 0:
                ax_r.legend(fontsize=7, loc="upper right")
                ax_d.legend(fontsize=7, loc="upper right", markerscale=4)
    fig.suptitle("bench/qos: 128 kbit/s uplink, audio / camera control / video / web through vpntund", fontsize=11)
    fig.tight_layout()
    fig.savefig(png, dpi=80)


def main():
    global MODEM, BW, SECS, DRAIN, R_VIDEO
    tmp, png, mtus = sys.argv[1], sys.argv[2], sys.argv[3:]
    MODEM = int(os.environ.get("QOS_MODEM", "128000"))
    BW = int(os.environ.get("QOS_BW", "124000"))
    R_VIDEO = int(os.environ.get("QOS_R_VIDEO", "4000"))
    DRAIN = int(os.environ.get("QOS_DRAIN", "12"))
    SECS = 0
    all_results = {}
    for mtu in mtus:
        res = {}
        for arm in ARMS:
            d = os.path.join(tmp, "%s-%s" % (mtu, arm))
            try:
                with open(os.path.join(d, "status")) as f:
                    if f.read().strip() != "ok":
                        continue
            except OSError:
                continue
            res[arm] = analyse(d, arm)
            SECS = res[arm]["meta"]["secs"]
        all_results[mtu] = res
        if res:
            table(mtu, res)
            targets(mtu, res)
    plot(all_results, png, mtus)


if __name__ == "__main__":
    main()
