#!/usr/bin/python3
"""Helpers of test_restart_matrix.sh (standard library only).

    matrix.py probe HOST PORT TAG LOG TIMEOUT
        send "TAG J" (J = 0, 1, ...) to HOST:PORT every 20 ms until LOG (the
        receiver's pkt.py udprecv file, on the shared filesystem) holds a
        line with TAG; print the wall-clock time (seconds since the epoch,
        with fractions) of the first such line seen; exit 1 on timeout.
        Sends go on while the tunnel is down: errors are ignored.
    matrix.py replay BEFORE CTLSPIS PCAP...
        send again, as they were on the wire (raw IPv4, header included,
        checksums completed), every ESP (UDP port 4500, proto 50) packet
        of the captures taken before BEFORE (seconds since the epoch);
        print how many carried data and how many were on the control
        SPIs CTLSPIS (comma-separated, 0x...)
    matrix.py dups LOG...
        print each text that a udprecv log holds more than once (a packet
        delivered twice), one per line; exit 1 if there is any
"""
import collections
import socket
import struct
import sys
import time


def probe(host, port, tag, log, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    end = time.time() + timeout
    j = 0
    while time.time() < end:
        try:
            s.sendto(("%s %d" % (tag, j)).encode(), (host, port))
        except OSError:
            pass
        j += 1
        deadline = time.time() + 0.02
        while time.time() < deadline:
            try:
                with open(log) as f:
                    for line in f:
                        if (" " + tag + " ") in line:
                            print("%.3f" % time.time())
                            return 0
            except FileNotFoundError:
                pass
            time.sleep(0.005)
    return 1


def pcap_packets(path):
    """(time, IPv4 packet) of a classic pcap file of Ethernet frames, as
    dumpcap -P writes it."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if struct.unpack(order + "I", data[20:24])[0] != 1:
        sys.exit("%s: not Ethernet" % path)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(order + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) > 14 and frame[12:14] == b"\x08\x00":
            yield sec + frac / (1e9 if nano else 1e6), frame[14:]


def replay(before, ctl, paths):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    n = nctl = 0
    for path in paths:
        for t, ip in pcap_packets(path):
            if t >= before:
                continue
            ihl = (ip[0] & 15) * 4
            if ip[9] == 17 and len(ip) > ihl + 8 and \
                    struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] == 4500:
                esp = ip[ihl + 8:]
                if len(esp) <= 8:
                    continue            # keepalive or marker
                # Captured where it was sent, the UDP checksum may still
                # be the partial one the NIC would have completed: send
                # none (0, allowed over IPv4); the kernel fills in the
                # IP header's. The ESP bytes stay as they were.
                ip = ip[:ihl + 6] + b"\0\0" + esp
            elif ip[9] == 50:
                esp = ip[ihl:]
            else:
                continue
            dst = socket.inet_ntoa(ip[16:20])
            s.sendto(ip, (dst, 0))
            if int.from_bytes(esp[:4], "big") in ctl:
                nctl += 1
            else:
                n += 1
            time.sleep(0.0002)      # no burst loss in the receiver's socket
    print(n, nctl)
    return 0


def dups(paths):
    seen = collections.Counter()
    for path in paths:
        with open(path) as f:
            for line in f:
                seen[line.split(" ", 1)[1].strip()] += 1
    bad = [t for t, c in seen.items() if c > 1]
    for t in bad:
        print(t)
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 7 and argv[1] == "probe":
        return probe(argv[2], int(argv[3]), argv[4], argv[5], float(argv[6]))
    if len(argv) >= 5 and argv[1] == "replay":
        ctl = {int(x, 16) for x in argv[3].split(",") if x}
        return replay(float(argv[2]), ctl, argv[4:])
    if len(argv) >= 3 and argv[1] == "dups":
        return dups(argv[2:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
