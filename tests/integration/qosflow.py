#!/usr/bin/python3
"""Traffic for the QoS integration test (standard library only).

    qosflow.py recv AUDIO_PORT BULK_PORT OUT
        count datagrams on two UDP ports (IPv4); audio datagrams carry
        "!IQ" (sequence number, CLOCK_MONOTONIC ns when sent), so their
        one-way delay is measured (the clock is shared by all network
        namespaces of one host); bulk datagrams arriving with ECN CE are
        counted. Creates OUT.ready once bound; stops when
        OUT.stop appears (or after 120 s) and writes a JSON summary to OUT
    qosflow.py audio HOST PORT COUNT INTERVAL_MS TOS SIZE
        COUNT datagrams of SIZE bytes every INTERVAL_MS, TOS set (IP_TOS)
    qosflow.py flood HOST PORT SECONDS BITS_PER_S SIZE [TOS]
        greedy UDP at BITS_PER_S for SECONDS (send errors ignored), TOS
        set if given
    qosflow.py snap VPNTUNCTL SOCKET SECONDS
        two `status --json` snapshots SECONDS apart; prints JSON with the
        wire bytes all classes sent in between and the elapsed time, taken
        short (between the answers' ends and starts) and long
"""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HDR = struct.Struct("!IQ")


def mono_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def recv(aport, bport, out):
    socks = {}
    for port in (aport, bport):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        s.bind(("0.0.0.0", port))
        s.setblocking(False)
        socks[s] = port
    open(out + ".ready", "w").close()
    seqs, delays, bulk, bulk_bytes, bulk_ce = set(), [], 0, 0, 0
    dups = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not os.path.exists(out + ".stop"):
        r, _, _ = select.select(list(socks), [], [], 0.2)
        for s in r:
            while True:
                try:
                    data, anc, _, _ = s.recvmsg(65535, 64)
                except BlockingIOError:
                    break
                tos = 0
                for lvl, typ, val in anc:
                    if lvl == socket.IPPROTO_IP and typ == socket.IP_TOS:
                        tos = val[0]
                now = mono_ns()
                if socks[s] == aport and len(data) >= HDR.size:
                    seq, ts = HDR.unpack_from(data)
                    if seq in seqs:
                        dups += 1
                    seqs.add(seq)
                    delays.append((now - ts) / 1e6)
                else:
                    bulk += 1
                    bulk_bytes += len(data)
                    bulk_ce += (tos & 3) == 3
    delays.sort()

    def pct(p):
        if not delays:
            return None
        return delays[min(len(delays) - 1, int(p * len(delays)))]

    res = {"audio": len(seqs), "audio_dups": dups,
           "audio_max_seq": max(seqs) if seqs else -1,
           "delay_p50_ms": pct(0.5), "delay_p99_ms": pct(0.99),
           "delay_max_ms": delays[-1] if delays else None,
           "bulk": bulk, "bulk_bytes": bulk_bytes, "bulk_ce": bulk_ce}
    with open(out + ".tmp", "w") as f:
        json.dump(res, f)
    os.rename(out + ".tmp", out)


def audio(host, port, count, interval_ms, tos, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    pad = b"a" * max(0, size - HDR.size)
    t0 = time.monotonic()
    for i in range(count):
        wait = t0 + i * interval_ms / 1000.0 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        s.sendto(HDR.pack(i, mono_ns()) + pad, (host, port))


def flood(host, port, seconds, bps, size, tos):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if tos is not None:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    s.setblocking(False)
    data = b"b" * size
    t0 = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic()
        if now - t0 >= seconds:
            break
        due = int((now - t0) * bps / 8 / size) + 1
        while sent < due:
            try:
                s.sendto(data, (host, port))
            except OSError:
                pass
            sent += 1
        time.sleep(0.001)
    print(sent)


def status(ctl, sock):
    t0 = time.monotonic()
    out = subprocess.run([ctl, "-s", sock, "status", "--json"], check=True,
                         capture_output=True, text=True, timeout=5).stdout
    t1 = time.monotonic()
    return t0, t1, json.loads(out)


def snap(ctl, sock, seconds):
    a0, a1, d0 = status(ctl, sock)
    time.sleep(seconds)
    b0, b1, d1 = status(ctl, sock)
    c0 = {c["name"]: c for c in d0["qos"]["classes"]}
    total = sum(c["bytes"] - c0[c["name"]]["bytes"]
                for c in d1["qos"]["classes"])
    print(json.dumps({"bytes": total, "short": b0 - a1, "long": b1 - a0}))


def main():
    a = sys.argv[1:]
    if a[0] == "recv":
        recv(int(a[1]), int(a[2]), a[3])
    elif a[0] == "audio":
        audio(a[1], int(a[2]), int(a[3]), float(a[4]), int(a[5], 0),
              int(a[6]))
    elif a[0] == "flood":
        flood(a[1], int(a[2]), float(a[3]), float(a[4]), int(a[5]),
              int(a[6], 0) if len(a) > 6 else None)
    elif a[0] == "snap":
        snap(a[1], a[2], float(a[3]))
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
