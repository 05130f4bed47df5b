#!/usr/bin/python3
"""bench/peers_report.py TMPDIR JSON PNG: the tables and the plot of bench/peers.

Reads what bench/peers left in TMPDIR: "machine" (key=value lines), one
directory per arm with "meta" (key=value), the iperf3 JSON of the client
(tcp1.json, tcp4.json, udp64.json) and of the server (*.srv.json), and
"cpu_ticks" (utime + stime of both tunnel processes over the 1-stream TCP
test); "speed.<cipher>" (openssl speed, bytes per CPU second). Prints the
machine, the absolute numbers and the ratios against the targets as
markdown tables, writes every number to JSON and draws PNG.

bench/peers_report.py --replot JSON PNG draws PNG again from such a JSON.
"""
import json
import os
import sys

ARMS = [
    # name, label, family, transport, cipher of openssl speed
    ("veth", "veth (no tunnel)", "veth", None, None),
    ("vt-bf-none-udp", "vpntund blowfish-cbc-256/none", "vpntund", "udp", "bf-cbc"),
    ("vt-bf-sha1-udp", "vpntund blowfish-cbc-256/hmac-sha1-96", "vpntund", "udp", "bf-cbc"),
    ("vt-gcm-udp", "vpntund aes-gcm-256", "vpntund", "udp", "aes-256-gcm"),
    ("vt-chacha-udp", "vpntund chacha20-poly1305", "vpntund", "udp", "chacha20-poly1305"),
    ("vt-bf-none-esp", "vpntund blowfish-cbc-256/none", "vpntund", "esp", "bf-cbc"),
    ("vt-bf-sha1-esp", "vpntund blowfish-cbc-256/hmac-sha1-96", "vpntund", "esp", "bf-cbc"),
    ("vt-gcm-esp", "vpntund aes-gcm-256", "vpntund", "esp", "aes-256-gcm"),
    ("vt-chacha-esp", "vpntund chacha20-poly1305", "vpntund", "esp", "chacha20-poly1305"),
    ("ovpn-bf-sha1", "OpenVPN BF-CBC/SHA1", "openvpn", "udp", "bf-cbc"),
    ("ovpn-bf-none", "OpenVPN BF-CBC/none", "openvpn", "udp", "bf-cbc"),
    ("ovpn-aes-cbc-sha256", "OpenVPN AES-256-CBC/SHA256", "openvpn", "udp", "aes-256-cbc"),
    ("wireguard-go", "wireguard-go", "wireguard-go", "udp", "chacha20-poly1305"),
]
LABEL = {a[0]: a[1] for a in ARMS}
FAMILY = {a[0]: a[2] for a in ARMS}
TRANSPORT = {a[0]: a[3] for a in ARMS}
SPEED_OF = {a[0]: a[4] for a in ARMS}
SHORT = {
    "veth": "veth",
    "vt-bf-none-udp": "vpntund\nbf/none\nudp", "vt-bf-sha1-udp": "vpntund\nbf/sha1-96\nudp",
    "vt-gcm-udp": "vpntund\naes-gcm\nudp", "vt-chacha-udp": "vpntund\nchacha20\nudp",
    "vt-bf-none-esp": "vpntund\nbf/none\nesp", "vt-bf-sha1-esp": "vpntund\nbf/sha1-96\nesp",
    "vt-gcm-esp": "vpntund\naes-gcm\nesp", "vt-chacha-esp": "vpntund\nchacha20\nesp",
    "ovpn-bf-sha1": "OpenVPN\nBF/SHA1", "ovpn-bf-none": "OpenVPN\nBF/none",
    "ovpn-aes-cbc-sha256": "OpenVPN\nAES-256-CBC\n/SHA256", "wireguard-go": "wireguard-go",
}
PEERS = ["ovpn-bf-sha1", "ovpn-bf-none", "ovpn-aes-cbc-sha256", "wireguard-go"]
SPEEDS = ["bf-cbc", "aes-256-gcm", "chacha20-poly1305", "aes-256-cbc"]
UDP_LEN = 64


def kv(path, lists=()):
    d = {k: [] for k in lists}
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if "=" in line:
                    k, v = line.split("=", 1)
                    if k in lists:
                        d[k].append(v)
                    else:
                        d[k] = v
    except OSError:
        pass
    return d


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def vpntund_detail(d):
    """The suite and transport the ends report, and their key epochs."""
    seen, begun = set(), []
    for side in ("a", "b"):
        st = load(os.path.join(d, side + ".status.json"))
        if not st or not st.get("peers"):
            return None
        p = st["peers"][0]
        seen.add("%s over %s" % (p.get("suite"), p.get("transport")))
        begun.append(sum(s.get("epochs_begun", 0) for s in p.get("sas", [])
                         if s.get("dir") == "out"))
    return "%s; outbound key epochs begun (lifetime): %d and %d" % (
        " / ".join(sorted(seen)), begun[0], begun[1])


def tcp(doc):
    """Receiver's Mbit/s and bytes, sender's retransmits."""
    if not doc or "error" in doc or "end" not in doc:
        return None
    r = doc["end"].get("sum_received")
    if not r:
        return None
    return {"mbps": r["bits_per_second"] / 1e6, "bytes": r["bytes"],
            "seconds": r["seconds"],
            "retransmits": doc["end"].get("sum_sent", {}).get("retransmits")}


def udp(cli, srv):
    """Datagrams the server received, per second of its test."""
    if not srv or "error" in srv or "end" not in srv:
        return None
    e = srv["end"]
    r = e.get("sum_received") or e.get("sum")
    if not r or not r.get("seconds"):
        return None
    if r.get("bytes"):
        recv = r["bytes"] // UDP_LEN
    else:
        recv = r["packets"] - r["lost_packets"]
    sent = None
    if cli and "end" in cli and "sum" in cli["end"]:
        sent = cli["end"]["sum"].get("packets")
    return {"pps": recv / r["seconds"], "received": recv, "sent": sent,
            "seconds": r["seconds"],
            "loss_pct": 100.0 * (1 - recv / sent) if sent else None}


def analyse(tmp, arm, clk_tck):
    d = os.path.join(tmp, arm)
    meta = kv(os.path.join(d, "meta"), ("cmd",))
    res = {"label": LABEL[arm], "family": FAMILY[arm],
           "transport": TRANSPORT[arm], "status": meta.get("status", "not run"),
           "mtu": int(meta["mtu"]) if meta.get("mtu") else None,
           "device_kind": meta.get("kind"), "commands": meta["cmd"],
           "detail": meta.get("detail"),
           "load_1min_at_start": float(meta["load"]) if meta.get("load") else None}
    if FAMILY[arm] == "vpntund":
        res["detail"] = vpntund_detail(d)
    res["tcp1"] = tcp(load(os.path.join(d, "tcp1.json")))
    res["tcp4"] = tcp(load(os.path.join(d, "tcp4.json")))
    res["udp64"] = udp(load(os.path.join(d, "udp64.json")),
                       load(os.path.join(d, "udp64.srv.json")))
    res["cpu_s"] = res["cpu_s_per_gb"] = None
    try:
        with open(os.path.join(d, "cpu_ticks")) as f:
            ticks = int(f.read().strip())
        if FAMILY[arm] != "veth":
            res["cpu_s"] = ticks / clk_tck
            if res["tcp1"] and res["tcp1"]["bytes"]:
                res["cpu_s_per_gb"] = res["cpu_s"] / (res["tcp1"]["bytes"] / 1e9)
    except (OSError, ValueError):
        pass
    return res


def fmt(v, spec="%.0f"):
    return "-" if v is None else spec % v


def val(r, test, key):
    if r is None or r.get(test) is None:
        return None
    return r[test][key]


def machine_lines(m, secs):
    return [
        "bench/peers on %s: %s, %s CPUs (affinity %s, nothing pinned), kernel %s"
        % (m.get("host"), m.get("cpu"), m.get("nproc"), m.get("affinity"), m.get("kernel")),
        "load average (1/5/15 min) before %s, after %s"
        % (m.get("load_before"), m.get("load_after")),
        "vpntund %s, build %s" % (m.get("vpntund_commit"), m.get("vpntund_build")),
        "%s" % m.get("openvpn"),
        "%s; %s" % (m.get("wireguard_go"), m.get("wg")),
        "%s; %s" % (m.get("openssl"), m.get("iperf3")),
        "%s; iperf3 %s s per test; UDP: %d-byte datagrams at -b %s, counted by the server"
        % (m.get("date"), secs, UDP_LEN, m.get("udp_rate")),
    ]


def absolute(results, speeds):
    out = ["| tunnel | transport | MTU | TCP 1 stream Mbit/s | TCP 4 streams Mbit/s "
           "| UDP 64 B pkt/s received | UDP loss % | CPU s/GB (both ends) | load |",
           "|---|---|---|---|---|---|---|---|---|"]
    for arm, *_ in ARMS:
        r = results.get(arm)
        if r is None:
            continue
        if r["status"] != "ok" and not (r["tcp1"] or r["udp64"]):
            out.append("| %s | %s | | %s | | | | | %s |" % (
                r["label"], r["transport"] or "-", r["status"].upper(),
                fmt(r["load_1min_at_start"], "%.1f")))
            continue
        out.append("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"], "" if r["status"] == "ok" else " (%s)" % r["status"],
            r["transport"] or "-", fmt(r["mtu"], "%d"),
            fmt(val(r, "tcp1", "mbps")), fmt(val(r, "tcp4", "mbps")),
            fmt(val(r, "udp64", "pps")), fmt(val(r, "udp64", "loss_pct"), "%.0f"),
            fmt(r["cpu_s_per_gb"], "%.1f"), fmt(r["load_1min_at_start"], "%.1f")))
    out.append("")
    out.append("| openssl speed -evp, 1408-byte blocks | Mbit/s per CPU second |")
    out.append("|---|---|")
    for name in SPEEDS:
        out.append("| %s | %s |" % (name, fmt(speeds.get(name))))
    return out


def ratio_rows(results, speeds):
    """(vpntund arm, metric, reference label, value, reference, target)."""
    rows = []

    def add(arm, test, ref_label, ref_value, target):
        r = results.get(arm)
        if r is None:
            return
        v = val(r, test, "mbps" if test.startswith("tcp") else "pps")
        rows.append({"arm": arm, "label": LABEL[arm], "transport": TRANSPORT[arm],
                     "metric": {"tcp1": "TCP 1 stream", "tcp4": "TCP 4 streams",
                                "udp64": "UDP 64 B pkt/s"}[test],
                     "reference": ref_label, "value": v, "ref_value": ref_value,
                     "ratio": v / ref_value if v is not None and ref_value else None,
                     "target": target})

    peer_pps = {p: val(results.get(p), "udp64", "pps") for p in PEERS}
    known = {p: v for p, v in peer_pps.items() if v is not None}
    best = max(known, key=known.get) if known else None
    for tr in ("udp", "esp"):
        for suite, peer in (("bf-none", "ovpn-bf-none"), ("bf-sha1", "ovpn-bf-sha1")):
            arm = "vt-%s-%s" % (suite, tr)
            for test in ("tcp1", "tcp4"):
                add(arm, test, LABEL[peer], val(results.get(peer), test, "mbps"), 2.0)
            for test in ("tcp1", "tcp4"):
                add(arm, test, "openssl speed bf-cbc", speeds.get("bf-cbc"), 0.6)
        arm = "vt-gcm-%s" % tr
        for test in ("tcp1", "tcp4"):
            add(arm, test, "wireguard-go", val(results.get("wireguard-go"), test, "mbps"), 4.0)
        add(arm, "tcp1", "openssl speed aes-256-gcm", speeds.get("aes-256-gcm"), None)
        arm = "vt-chacha-%s" % tr
        add(arm, "tcp1", "wireguard-go (same cipher)", val(results.get("wireguard-go"), "tcp1", "mbps"), None)
        add(arm, "tcp1", "openssl speed chacha20-poly1305", speeds.get("chacha20-poly1305"), None)
        for suite in ("bf-none", "bf-sha1", "gcm", "chacha"):
            add("vt-%s-%s" % (suite, tr), "udp64",
                "best peer: %s" % (LABEL[best] if best else "-"),
                known.get(best) if best else None, 3.0)
    return rows


def ratios(rows):
    out = ["| vpntund suite | transport | metric | compared with | vpntund | peer | ratio | target | |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        verdict = ""
        if r["target"] is not None:
            verdict = "-" if r["ratio"] is None else ("met" if r["ratio"] >= r["target"] else "MISS")
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"][len("vpntund "):], r["transport"], r["metric"], r["reference"],
            fmt(r["value"]), fmt(r["ref_value"]),
            fmt(None if r["ratio"] is None else 100 * r["ratio"], "%.0f%%")
            if r["reference"].startswith("openssl") else fmt(r["ratio"], "%.2fx"),
            "" if r["target"] is None else (">= %gx" % r["target"] if r["target"] >= 1
                                            else ">= %d%%" % (100 * r["target"])),
            verdict))
    return out


def summary(rows):
    """One line per target: the ratios over udp and over esp."""
    def pick(arm_suite, tr, test, ref_prefix):
        for r in rows:
            if (r["arm"] == "vt-%s-%s" % (arm_suite, tr) and r["metric"] == test
                    and r["reference"].startswith(ref_prefix)):
                return r
        return None

    def cell(tr, suite, ref, pct):
        out = []
        for test in ("TCP 1 stream", "TCP 4 streams"):
            r = pick(suite, tr, test, ref)
            if r is None or r["ratio"] is None:
                out.append("-")
            elif pct:
                out.append("%.0f%%" % (100 * r["ratio"]))
            else:
                out.append("%.2fx" % r["ratio"])
        return " / ".join(out)

    out = ["| target | over udp: TCP 1 / 4 streams | over esp: TCP 1 / 4 streams |",
           "|---|---|---|"]
    for suite, name, ref, text, pct in (
            ("bf-none", "blowfish/none", "OpenVPN BF-CBC/none", ">= 2x OpenVPN BF-CBC/none", False),
            ("bf-sha1", "blowfish/hmac-sha1-96", "OpenVPN BF-CBC/SHA1", ">= 2x OpenVPN BF-CBC/SHA1", False),
            ("bf-none", "blowfish/none", "openssl", ">= 60% of openssl speed bf-cbc", True),
            ("bf-sha1", "blowfish/hmac-sha1-96", "openssl", ">= 60% of openssl speed bf-cbc", True),
            ("gcm", "aes-gcm", "wireguard-go", ">= 4x wireguard-go", False)):
        out.append("| %s TCP %s | %s | %s |" % (name, text, cell("udp", suite, ref, pct),
                                               cell("esp", suite, ref, pct)))
    cells = []
    for tr in ("udp", "esp"):
        worst = [r for r in rows if r["transport"] == tr and r["metric"] == "UDP 64 B pkt/s"
                 and r["ratio"] is not None]
        if worst:
            w = min(worst, key=lambda r: r["ratio"])
            cells.append("%.2fx (%s)" % (w["ratio"], w["label"][len("vpntund "):]))
        else:
            cells.append("-")
    best = next((r["reference"][len("best peer: "):] for r in rows
                 if r["metric"] == "UDP 64 B pkt/s"), "-")
    out.append("| 64-byte UDP pkt/s >= 3x the best peer (%s), worst suite | %s | %s |"
               % (best, cells[0], cells[1]))
    return out


def plot(results, speeds, png, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    arms = [a for a, *_ in ARMS if a in results]
    names = [SHORT[a] for a in arms]
    colour = {"veth": "0.6", "openvpn": "tab:orange", "wireguard-go": "tab:green"}

    def c(a):
        if FAMILY[a] == "vpntund":
            return "tab:blue" if TRANSPORT[a] == "udp" else "navy"
        return colour[FAMILY[a]]

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(14, 9))
    x = range(len(arms))
    w = 0.4
    for k, (test, hatch, lab) in enumerate((("tcp1", None, "1 stream"), ("tcp4", "//", "4 streams"))):
        ys = [val(results[a], test, "mbps") or 0 for a in arms]
        bars = ax1.bar([i + (k - 0.5) * w for i in x], ys, w, color=[c(a) for a in arms],
                       hatch=hatch, edgecolor="white", label="TCP " + lab)
        for b, y in zip(bars, ys):
            if y:
                ax1.text(b.get_x() + b.get_width() / 2, y, "%.0f" % y, ha="center",
                         va="bottom", fontsize=6, rotation=90)
    handles = [Patch(color="0.6", label="veth"), Patch(color="tab:blue", label="vpntund udp"),
               Patch(color="navy", label="vpntund esp"), Patch(color="tab:orange", label="OpenVPN"),
               Patch(color="tab:green", label="wireguard-go"),
               Patch(facecolor="0.6", edgecolor="white", hatch="//", label="TCP 4 streams")]
    for name, ls in (("bf-cbc", "--"), ("aes-256-gcm", ":")):
        if speeds.get(name):
            ax1.axhline(speeds[name], color="k", lw=0.8, ls=ls)
            handles.append(Line2D([], [], color="k", lw=0.8, ls=ls,
                                  label="openssl speed %s, one CPU" % name))
    for i, a in enumerate(arms):
        if results[a]["status"] != "ok":
            for ax in (ax1, ax2):
                ax.text(i, 0.02, results[a]["status"], ha="center", color="red", fontsize=8,
                        transform=ax.get_xaxis_transform())
    ax1.set_yscale("log")
    ax1.set_ylabel("TCP Mbit/s (log)")
    ax1.set_xticks(list(x))
    ax1.set_xticklabels(names, fontsize=7)
    ax1.legend(handles=handles, fontsize=7, loc="upper right", ncol=2)
    ax1.set_title("TCP through the tunnel (hatched: 4 streams)", fontsize=9)
    ys = [val(results[a], "udp64", "pps") or 0 for a in arms]
    bars = ax2.bar(list(x), ys, 0.6, color=[c(a) for a in arms])
    for b, y in zip(bars, ys):
        if y:
            ax2.text(b.get_x() + b.get_width() / 2, y, "%.0f" % y, ha="center",
                     va="bottom", fontsize=7)
    ax2.set_ylabel("64-byte UDP datagrams/s received")
    ax2.set_xticks(list(x))
    ax2.set_xticklabels(names, fontsize=7)
    ax2.set_title("64-byte UDP packets per second received by the server", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=80)


def title(m):
    return ("bench/peers, %s s per test, %s CPUs, load %s -> %s"
            % (m.get("seconds"), m.get("nproc"), m.get("load_before"), m.get("load_after")))


def main():
    if sys.argv[1] == "--replot":
        # Draws PNG again from a peers.json: bench/peers_report.py --replot JSON PNG
        with open(sys.argv[2]) as f:
            doc = json.load(f)
        plot(doc["arms"], doc["openssl_speed_mbps"], sys.argv[3], title(doc["machine"]))
        return
    tmp, js, png = sys.argv[1], sys.argv[2], sys.argv[3]
    m = kv(os.path.join(tmp, "machine"))
    clk_tck = int(m.get("clk_tck", "100"))
    secs = m.get("seconds")
    results = {}
    for arm, *_ in ARMS:
        if os.path.isdir(os.path.join(tmp, arm)):
            results[arm] = analyse(tmp, arm, clk_tck)
    speeds = {}
    for name in SPEEDS:
        try:
            with open(os.path.join(tmp, "speed." + name)) as f:
                speeds[name] = float(f.read().split()[0]) * 8 / 1e6
        except (OSError, ValueError, IndexError):
            speeds[name] = None
    rows = ratio_rows(results, speeds)

    lines = machine_lines(m, secs)
    lines.append("")
    lines += absolute(results, speeds)
    lines.append("")
    lines.append("CPU s/GB: utime + stime of both tunnel processes during the 1-stream TCP test,"
                 " per 10^9 bytes received. load: 1-minute load average when the arm began."
                 " OpenVPN's BF-CBC key is 128 bits (2.6 has no"
                 " --keysize); Blowfish's speed does not depend on it.")
    lines.append("")
    lines.append("What ran (tunnel processes, first end's command line):")
    for arm, *_ in ARMS:
        r = results.get(arm)
        if r is None or r["family"] == "veth":
            continue
        lines.append("- %s%s: %s; `%s`" % (
            r["label"], " " + r["transport"] if r["family"] == "vpntund" else "",
            r["detail"] or "-",
            r["commands"][0].strip().replace(tmp, "$TMP") if r["commands"] else "-"))
    lines.append("")
    lines += summary(rows)
    lines.append("")
    lines += ratios(rows)
    lines.append("")
    lines.append("Targets: blowfish-cbc (none, hmac-sha1-96) TCP >= 2x OpenVPN's same suite and"
                 " >= 60% of openssl speed bf-cbc; aes-gcm TCP >= 4x wireguard-go; 64-byte UDP"
                 " pkt/s >= 3x every peer (the best of OpenVPN and wireguard-go).")
    print("\n".join(lines))

    doc = {"machine": m, "openssl_speed_mbps": speeds, "arms": results, "ratios": rows}
    with open(js, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    plot(results, speeds, png, title(m))


if __name__ == "__main__":
    main()
