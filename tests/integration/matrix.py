#!/usr/bin/python3
"""Helpers of test_restart_matrix.sh (standard library, and scapy for
reading captures).

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


def replay(before, ctl, paths):
    from scapy.all import IP, UDP, rdpcap
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    n = nctl = 0
    for path in paths:
        for pkt in rdpcap(path):
            if float(pkt.time) >= before or IP not in pkt:
                continue
            ip = pkt[IP]
            if not (ip.proto == 50 or (UDP in ip and ip[UDP].dport == 4500 and
                                       len(bytes(ip[UDP].payload)) > 8)):
                continue
            # Captured where it was sent, the UDP checksum may still be
            # the partial one the NIC would have completed: recompute
            # it, as the wire had it. The ESP bytes stay as they were.
            if UDP in ip:
                del ip[UDP].chksum
            del ip.chksum
            raw = bytes(ip)
            s.sendto(raw, (ip.dst, 0))
            esp = raw[ip.ihl * 4 + (8 if UDP in ip else 0):]
            if int.from_bytes(esp[:4], "big") in ctl:
                nctl += 1
            else:
                n += 1
            time.sleep(0.0005)      # no burst loss in the receiver's socket
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
