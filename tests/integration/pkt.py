#!/usr/bin/python3
"""Packet helpers for the integration tests (standard library only).

    pkt.py udprecv PORT FILE
        log each datagram received on [::]:PORT (IPv4 too) to FILE, one line
        "SOURCE TEXT" per datagram (trailing '.' padding removed), and to
        FILE.tos "TEXT TOS" (TOS / traffic class in hex); creates
        FILE.ready once bound; runs until killed
    pkt.py udpsend HOST PORT TEXT [COUNT [PADLEN [SRCADDR [TOS]]]]
        send COUNT datagrams "TEXT I" padded with '.' to PADLEN bytes,
        from SRCADDR if given (may be ""), with TOS / traffic class TOS
    pkt.py capture IFACE SRC DST MINLEN FILE TIMEOUT [KIND [COUNT]]
        write to FILE the first IP packet seen on IFACE (AF_PACKET) from SRC to
        DST that carries ESP (IP protocol 50, or UDP port 4500 that is not a
        keepalive or non-ESP marker) and is at least MINLEN bytes long;
        KIND "keepalive" wants an RFC 3948 NAT-keepalive (UDP, one 0xFF byte)
        instead; creates FILE.ready once the socket is bound; exit 1 on
        timeout. With COUNT > 1 (ESP only) the first COUNT matching
        packets go to FILE.0 ... FILE.<COUNT-1>, and FILE is the last
    pkt.py inject FILE [COUNT]
        send the IP packet in FILE as it is (raw socket, header included),
        COUNT times (default 1): a replay of a captured packet
    pkt.py espinfo FILE
        print "SPI SEQ PROTO TOS" of the captured packet (PROTO: 17 for ESP
        in UDP, 50 for raw ESP; SPI and SEQ in decimal; TOS / traffic class
        of the outer header in hex)
    pkt.py garbage udp|esp HOST PORT SPI COUNT SEED
        send COUNT junk packets to HOST (UDP to PORT, or raw IP protocol 50):
        random lengths from 0 to 1500, ESP SPI field SPI (0: random),
        random sequence numbers and bodies; deterministic for a SEED.
        The lengths include the edge cases (0, 1, 0xFF keepalive, 4 zero
        bytes, 7, 8, header only, header + IV, ...)
    pkt.py settos IN OUT TOS
        copy a captured packet with its outer TOS / traffic class set
    pkt.py tamper IN OUT SEQ [SRC]
        copy a captured packet with its ESP sequence number set to SEQ (a
        forgery, unless SEQ is the original: the ICV no longer matches) and,
        for IPv4, its source address set to SRC; checksums recomputed
"""
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


IP_RECVTOS = 13
IP_TOS = 1
IPV6_RECVTCLASS = 66
IPV6_TCLASS = 67


def udprecv(port, path):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVTCLASS, 1)
    s.bind(("::", port))
    open(path + ".ready", "w").close()
    with open(path, "a") as f, open(path + ".tos", "a") as ft:
        while True:
            data, anc, _, peer = s.recvmsg(65535, 256)
            tos = -1
            for level, typ, val in anc:
                if level == socket.IPPROTO_IP and typ == IP_TOS and val:
                    tos = val[0]
                elif level == socket.IPPROTO_IPV6 and typ == IPV6_TCLASS and len(val) >= 4:
                    tos = struct.unpack("=i", val[:4])[0]
            src = peer[0]
            if src.startswith("::ffff:"):
                src = src[7:]
            text = data.decode("ascii", "replace").rstrip(".")
            ft.write("%s 0x%02x\n" % (text, tos & 0xFF))
            ft.flush()
            f.write("%s %s\n" % (src, text))
            f.flush()


def udpsend(host, port, text, count, padlen, src=None, tos=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    if tos is not None:
        if fam == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, IP_TOS, tos)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, tos)
    for i in range(count):
        b = ("%s %d" % (text, i)).encode()
        if len(b) < padlen:
            b += b"." * (padlen - len(b))
        s.sendto(b, (host, port))
        if count > 1:
            time.sleep(0.002)   # no burst loss on a busy machine


def is_keepalive(ip):
    if len(ip) < 29 or ip[0] >> 4 != 4 or ip[9] != 17:
        return False
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    return tot - ihl == 9 and ip[ihl + 8] == 0xFF


def esp_payload(ip):
    """(src, dst, esp bytes) if ip is an ESP or ESP-in-UDP packet, else None."""
    if len(ip) < 20:
        return None
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        ip = ip[:tot]
        proto = ip[9]
        src = socket.inet_ntop(socket.AF_INET, ip[12:16])
        dst = socket.inet_ntop(socket.AF_INET, ip[16:20])
        l4 = ip[ihl:]
    elif v == 6 and len(ip) >= 40:
        plen = struct.unpack("!H", ip[4:6])[0]
        ip = ip[:40 + plen]
        proto = ip[6]
        src = socket.inet_ntop(socket.AF_INET6, ip[8:24])
        dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
        l4 = ip[40:]
    else:
        return None
    if proto == 50:
        esp = l4
    elif proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[0:4])
        if 4500 not in (sport, dport):
            return None
        esp = l4[8:]
        if len(esp) < 8 or esp[0:4] == b"\0\0\0\0":
            return None     # keepalive or non-ESP marker (RFC 3948 2.2, 2.3)
    else:
        return None
    return src, dst, ip, esp


def csum(data):
    if len(data) % 2:
        data += b"\0"
    t = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def fix_udp_checksum(ip):
    """A packet captured where it was sent may carry a partial checksum
    (veth offload); recompute it as the wire would have it."""
    ip = bytearray(ip)
    if ip[0] >> 4 == 4:
        if ip[9] != 17:
            return bytes(ip)
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, len(udp))
        off = ihl
    else:
        if ip[6] != 17:
            return bytes(ip)
        udp = ip[40:]
        pseudo = bytes(ip[8:40]) + struct.pack("!IxxxB", len(udp), 17)
        off = 40
    udp[6:8] = b"\0\0"
    c = csum(pseudo + bytes(udp)) or 0xFFFF
    ip[off + 6:off + 8] = struct.pack("!H", c)
    return bytes(ip)


def capture(iface, src, dst, minlen, path, timeout, kind="esp", count=1):
    want_src = socket.inet_pton(socket.AF_INET6 if ":" in src else socket.AF_INET, src)
    want_dst = socket.inet_pton(socket.AF_INET6 if ":" in dst else socket.AF_INET, dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    open(path + ".ready", "w").close()
    deadline = time.monotonic() + timeout
    got_n = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit("capture: no matching packet on %s within %d s" % (iface, timeout))
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        frame, addr = s.recvfrom(65535)
        if addr[0] != iface or len(frame) < 14:
            continue
        etype = struct.unpack("!H", frame[12:14])[0]
        if etype not in (0x0800, 0x86DD):
            continue
        if kind == "keepalive":
            ip = frame[14:]
            if not is_keepalive(ip):
                continue
            gsrc = socket.inet_ntop(socket.AF_INET, ip[12:16])
            gdst = socket.inet_ntop(socket.AF_INET, ip[16:20])
            if gsrc != src or gdst != dst:
                continue
            ip = ip[:29]
            with open(path, "wb") as f:
                f.write(ip)
            print("captured keepalive %s -> %s" % (gsrc, gdst))
            return
        got = esp_payload(frame[14:])
        if got is None:
            continue
        gsrc, gdst, ip, esp = got
        fam = socket.AF_INET6 if ":" in gsrc else socket.AF_INET
        if socket.inet_pton(fam, gsrc) != want_src or socket.inet_pton(fam, gdst) != want_dst:
            continue
        if len(ip) < minlen:
            continue
        spi, seq = struct.unpack("!II", esp[0:8])
        print("captured %d bytes %s -> %s spi 0x%08x seq %d" % (len(ip), gsrc, gdst, spi, seq))
        if count > 1:
            with open("%s.%d" % (path, got_n), "wb") as f:
                f.write(fix_udp_checksum(ip))
            got_n += 1
            if got_n < count:
                continue
        with open(path + ".tmp", "wb") as f:
            f.write(fix_udp_checksum(ip))
        os.rename(path + ".tmp", path)
        return


def inject(path, count=1):
    with open(path, "rb") as f:
        ip = f.read()
    if ip[0] >> 4 == 4:
        dst = socket.inet_ntop(socket.AF_INET, ip[16:20])
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        to = (dst, 0)
    else:
        dst = socket.inet_ntop(socket.AF_INET6, ip[24:40])
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        to = (dst, 0, 0, 0)
    for _ in range(count):
        s.sendto(ip, to)
    print("injected %d bytes to %s, %d times" % (len(ip), dst, count))


def settos(src, dst, tos):
    """Copy with the outer TOS / traffic class set (not covered by the ICV)."""
    with open(src, "rb") as f:
        ip = bytearray(f.read())
    if ip[0] >> 4 == 4:
        ip[1] = tos
        ihl = (ip[0] & 15) * 4
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip[:ihl])))
    else:
        w = struct.unpack("!I", ip[0:4])[0]
        w = (w & 0xF00FFFFF) | (tos << 20)
        ip[0:4] = struct.pack("!I", w)
    with open(dst, "wb") as f:
        f.write(bytes(ip))


def tos_of(path):
    with open(path, "rb") as f:
        ip = f.read()
    if ip[0] >> 4 == 4:
        return ip[1]
    return (struct.unpack("!I", ip[0:4])[0] >> 20) & 0xFF


def garbage(kind, host, port, spi, count, seed):
    import random
    rnd = random.Random(seed)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    if kind == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        dst = (host, port)
    else:
        s = socket.socket(fam, socket.SOCK_RAW, 50)
        dst = (host, 0)
    edge = [b"", b"\xff", b"\0\0\0\0", b"\0\0\0\0" + bytes(20), b"\1" * 7]
    sizes = [8, 9, 16, 23, 24, 25, 31, 32, 33, 40, 41, 47, 48, 49, 56, 64, 65,
             1400, 1500]
    sent = 0
    for i in range(count):
        if i < len(edge):
            data = edge[i]
        else:
            n = sizes[i % len(sizes)] if i < 200 else rnd.randint(0, 1500)
            sp = spi if spi else rnd.randint(1, 0xFFFFFFFF)
            seq = rnd.choice([0, 1, 2, 0xFFFFFFFF, rnd.randint(0, 0xFFFFFFFF)])
            data = struct.pack("!II", sp, seq) + bytes(rnd.getrandbits(8) for _ in range(max(0, n - 8)))
            data = data[:n]
        if kind == "esp" and len(data) == 0:
            continue
        s.sendto(data, dst)
        sent += 1
        if i % 50 == 49:
            time.sleep(0.01)
    print("sent %d junk packets" % sent)


def espinfo(path):
    with open(path, "rb") as f:
        got = esp_payload(f.read())
    if got is None:
        sys.exit("espinfo: not an ESP packet")
    ip, esp = got[2], got[3]
    spi, seq = struct.unpack("!II", esp[0:8])
    proto = ip[9] if ip[0] >> 4 == 4 else ip[6]
    print("%d %d %d 0x%02x" % (spi, seq, proto, tos_of(path)))


def tamper(src, dst, seq, newsrc=None):
    with open(src, "rb") as f:
        ip = bytearray(f.read())
    got = esp_payload(bytes(ip))
    if got is None:
        sys.exit("tamper: not an ESP packet")
    off = len(ip) - len(got[3])
    ip[off + 4:off + 8] = struct.pack("!I", seq)
    if newsrc:
        if ip[0] >> 4 != 4:
            sys.exit("tamper: a new source only for IPv4")
        ip[12:16] = socket.inet_pton(socket.AF_INET, newsrc)
        ihl = (ip[0] & 15) * 4
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", csum(bytes(ip[:ihl])))
    with open(dst, "wb") as f:
        f.write(fix_udp_checksum(bytes(ip)))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "udprecv":
        udprecv(int(a[1]), a[2])
    elif 4 <= len(a) <= 8 and a[0] == "udpsend":
        udpsend(a[1], int(a[2]), a[3], int(a[4]) if len(a) > 4 else 1,
                int(a[5]) if len(a) > 5 else 0, a[6] if len(a) > 6 else None,
                int(a[7], 0) if len(a) > 7 else None)
    elif len(a) == 7 and a[0] == "garbage":
        garbage(a[1], a[2], int(a[3]), int(a[4], 0), int(a[5]), int(a[6]))
    elif len(a) == 4 and a[0] == "settos":
        settos(a[1], a[2], int(a[3], 0))
    elif len(a) in (4, 5) and a[0] == "tamper":
        tamper(a[1], a[2], int(a[3]), a[4] if len(a) > 4 else None)
    elif len(a) in (7, 8, 9) and a[0] == "capture":
        capture(a[1], a[2], a[3], int(a[4]), a[5], float(a[6]),
                a[7] if len(a) > 7 else "esp", int(a[8]) if len(a) > 8 else 1)
    elif len(a) in (2, 3) and a[0] == "inject":
        inject(a[1], int(a[2]) if len(a) == 3 else 1)
    elif len(a) == 2 and a[0] == "espinfo":
        espinfo(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
