#!/usr/bin/python3
"""A UDP flow of equal-size datagrams, sent in bursts, every one checked
on arrival (standard library only).

    udpflow.py serve PORT COUNT SIZE OUTFILE
        receive on [::]:PORT (IPv4 too) until COUNT distinct datagrams
        arrived or 30 s of silence; acknowledge to the sender every
        WINDOW/2 datagrams; write OUTFILE.ready once bound, then OUTFILE:
        "received N distinct D bad B dup U sha256 H", H over the payloads
        in index order
    udpflow.py send HOST PORT COUNT SIZE
        send COUNT datagrams of SIZE bytes, at most WINDOW unacknowledged:
        bursts of equal datagrams of one flow, with no loss to a receiver
        that keeps up; print "sent N acked A sha256 H"

Datagram i is its index (4 bytes, big-endian) and SIZE - 4 bytes drawn
from the index, so each one's content is checked apart. A missing
datagram stalls the sender, which gives up after 10 s without progress.
"""
import hashlib
import socket
import struct
import sys
import time

WINDOW = 64
TIMEOUT = 30.0


def body(i, size):
    x = (i * 2654435761 + 1) & 0xFFFFFFFF
    out = bytearray(struct.pack("!I", i))
    while len(out) < size:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append(x >> 16 & 0xFF)
    return bytes(out)


def serve(port, count, size, outfile):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    # Root may exceed rmem_max: a burst never overflows the socket.
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(("::", port))
    s.settimeout(TIMEOUT)
    want = [body(i, size) for i in range(count)]
    open(outfile + ".ready", "w").close()
    got = {}
    n = bad = dup = 0
    while len(got) < count:
        try:
            b, peer = s.recvfrom(65536)
        except socket.timeout:
            break
        n += 1
        if len(b) < 4:
            bad += 1
            continue
        i = struct.unpack("!I", b[:4])[0]
        if i >= count or b != want[i]:
            bad += 1
            continue
        if i in got:
            dup += 1
            continue
        got[i] = b
        if len(got) % (WINDOW // 2) == 0 or len(got) == count:
            s.sendto(struct.pack("!I", len(got)), peer)
    h = hashlib.sha256()
    for i in sorted(got):
        h.update(got[i])
    with open(outfile, "w") as f:
        f.write("received %d distinct %d bad %d dup %d sha256 %s\n" %
                (n, len(got), bad, dup, h.hexdigest()))
    s.close()


def send(host, port, count, size):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(0.5)
    h = hashlib.sha256()
    # Made first, so that a burst leaves back to back.
    bodies = [body(i, size) for i in range(count)]
    sent = acked = 0
    last = time.monotonic()
    while acked < count:
        while sent < count and sent - acked < WINDOW:
            b = bodies[sent]
            h.update(b)
            s.send(b)
            sent += 1
        try:
            a = s.recv(64)
            if len(a) == 4:
                v = struct.unpack("!I", a)[0]
                if v > acked:
                    acked = v
                    last = time.monotonic()
        except socket.timeout:
            pass
        except ConnectionRefusedError:
            # The receiver is not bound yet or is gone: try again.
            pass
        if time.monotonic() - last > 10:
            break
    print("sent %d acked %d sha256 %s" % (sent, acked, h.hexdigest()))
    return 0 if acked == count else 1


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
              sys.argv[5])
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        return send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    int(sys.argv[5]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
