#!/usr/bin/env python3
"""Writes the seeds of fuzz_offload (tests/fuzz/corpus/offload/):
reads from tun as the kernel makes them (virtio_net_hdr in host order,
the partial checksum in the transport header), one per offload the
fuzzer follows, then broken ones. Deterministic; run from the top of
the tree:  python3 tests/fuzz/make_offload_corpus.py tests/fuzz/corpus
"""
import os
import struct
import sys

NEEDS_CSUM, DATA_VALID = 1, 2
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4, GSO_ECN = 0, 1, 3, 4, 5, 0x80
TCP, UDP, DSTOPTS = 6, 17, 60
ACK, PSH, FIN, CWR = 0x10, 0x08, 0x01, 0x80
SRC4, DST4 = bytes([198, 18, 0, 1]), bytes([198, 19, 0, 2])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
DST6 = bytes.fromhex("20010db80000000000000000000000ab")
ORDER = "<" if sys.byteorder == "little" else ">"


def csum_sum(b, s=0):
    if len(b) % 2:
        b += b"\0"
    for i in range(0, len(b), 2):
        s += b[i] << 8 | b[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def payload(n, seed=1):
    x, out = seed, bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out.append(x >> 16 & 0xFF)
    return bytes(out)


def ip_packet(v6, proto, l4, ext=b"", first_nh=None, tos=0, df=True):
    if v6:
        nh = first_nh if first_nh is not None else proto
        hdr = struct.pack("!IHBB", 6 << 28 | tos << 20 | 0x12345,
                          len(ext) + len(l4), nh, 64) + SRC6 + DST6
        return hdr + ext
    hdr = bytearray(struct.pack("!BBHHHBBH", 0x45, tos, 20 + len(l4), 0xfff0,
                                0x4000 if df else 0, 64, proto, 0) + SRC4 + DST4)
    struct.pack_into("!H", hdr, 10, ~csum_sum(bytes(hdr)) & 0xFFFF)
    return bytes(hdr)


def pseudo(v6, proto, l4len):
    if v6:
        return SRC6 + DST6 + struct.pack("!IxxxB", l4len, proto)
    return SRC4 + DST4 + struct.pack("!xBH", proto, l4len)


def tcp(seq, flags, data, ts=True):
    opts = b"\x01\x01\x08\x0a" + struct.pack("!II", 1000, 77) if ts else b""
    doff = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", 40000, 5201, seq, 0x01020304, doff << 4,
                       flags, 512, 0, 0) + opts + data


def udp(data):
    return struct.pack("!HHHH", 40000, 5201, 8 + len(data), 0) + data


def read(v6, proto, l4, gso_type, gso_size, flags=NEEDS_CSUM, ext=b"",
         partial=True, full=False):
    """A read from tun: the checksum field holds the pseudo-header sum
    (partial), or the full checksum (full), or 0."""
    l4 = bytearray(l4)
    off = 16 if proto == TCP else 6
    ph = pseudo(v6, proto, len(l4))
    if full:
        struct.pack_into("!H", l4, off, ~csum_sum(bytes(l4), csum_sum(ph)) & 0xFFFF)
    elif partial:
        struct.pack_into("!H", l4, off, csum_sum(ph))
    pkt = ip_packet(v6, proto, bytes(l4), ext,
                    DSTOPTS if ext else None)
    l3 = len(pkt)
    pkt += bytes(l4)
    hdrs = l3 + (((l4[12] >> 4) * 4) if proto == TCP else 8)
    hdr_len = min(hdrs + gso_size, len(pkt)) if gso_type else 0
    vnet = struct.pack(ORDER + "BBHHHH", flags, gso_type, hdr_len, gso_size,
                       l3 if flags & NEEDS_CSUM else 0,
                       off if flags & NEEDS_CSUM else 0)
    return bytearray(vnet + pkt)


def prefix(mtu, plan=0, flip=0):
    return struct.pack("!HBB", (mtu - 68) % 9000, plan, flip)


def main():
    out = os.path.join(sys.argv[1] if len(sys.argv) > 1 else ".", "offload")
    os.makedirs(out, exist_ok=True)
    data = payload(5000)
    seeds = {}
    seeds["tcp4-gso"] = prefix(1500) + read(False, TCP, tcp(0xfffff000, ACK | PSH | FIN, data), GSO_TCPV4, 1448)
    seeds["tcp4-gso-mtu576"] = prefix(576) + read(False, TCP, tcp(1, ACK, data, ts=False), GSO_TCPV4, 1460)
    seeds["tcp4-gso-cwr"] = prefix(1500) + read(False, TCP, tcp(7, ACK | CWR, data), GSO_TCPV4 | GSO_ECN, 1448)
    seeds["tcp6-gso"] = prefix(1500) + read(True, TCP, tcp(0x7fffffff, ACK | PSH, data), GSO_TCPV6, 1428)
    seeds["tcp6-gso-dstopts"] = prefix(1500) + read(True, TCP, tcp(9, ACK, data[:3000]), GSO_TCPV6, 1000,
                                                    ext=bytes([TCP, 0, 1, 4, 0, 0, 0, 0]))
    seeds["udp4-uso"] = prefix(1280) + read(False, UDP, udp(data[:3000]), GSO_UDP_L4, 1200)
    seeds["udp6-uso"] = prefix(1500) + read(True, UDP, udp(data[:3000]), GSO_UDP_L4, 1400)
    seeds["tcp4-csum"] = prefix(1500) + read(False, TCP, tcp(5, ACK, data[:1000]), GSO_NONE, 0)
    seeds["udp6-csum"] = prefix(1500) + read(True, UDP, udp(data[:700]), GSO_NONE, 0)
    seeds["plain-v4"] = prefix(1500) + read(False, TCP, tcp(5, ACK, data[:1000]), GSO_NONE, 0,
                                            flags=0, full=True)
    seeds["data-valid"] = prefix(1500) + read(True, TCP, tcp(5, ACK, data[:1000]), GSO_NONE, 0,
                                              flags=DATA_VALID, full=True)
    # The coalescer's cases: segments swapped, one corrupted, one left
    # out, the first twice, a small coalescing buffer.
    base = read(False, TCP, tcp(100, ACK | PSH, data), GSO_TCPV4, 500)
    seeds["gro-swap"] = prefix(1500, 0x01) + base
    seeds["gro-corrupt"] = prefix(1500, 0x22, 200) + base
    seeds["gro-drop"] = prefix(1500, 0x04) + base
    seeds["gro-dup"] = prefix(1500, 0x08) + base
    seeds["gro-small-buf"] = prefix(1500, 0x80) + base
    base6 = read(True, TCP, tcp(100, ACK, data), GSO_TCPV6, 700)
    seeds["gro6-all"] = prefix(1500, 0x0f | 0x30, 77) + base6
    nodf = bytearray(read(False, TCP, tcp(3, ACK, data[:4000], ts=False), GSO_TCPV4, 1000))
    nodf[10 + 6] = 0
    struct.pack_into("!H", nodf, 10 + 10, 0)
    struct.pack_into("!H", nodf, 10 + 10, ~csum_sum(bytes(nodf[10:30])) & 0xFFFF)
    seeds["gro-nodf"] = prefix(1500) + nodf
    # UDP: 64-byte datagrams as iperf3 sends them, mixed up as above;
    # IDs that stop counting without DF; datagrams without a checksum.
    u4 = read(False, UDP, udp(data[:64 * 40 + 10]), GSO_UDP_L4, 64)
    seeds["udp4-gro-64"] = prefix(1500) + u4
    seeds["udp4-gro-corrupt"] = prefix(1500, 0x22, 30) + u4
    seeds["udp6-gro-all"] = prefix(1500, 0x0f | 0x30, 40) + \
        read(True, UDP, udp(data[:64 * 30]), GSO_UDP_L4, 64)
    seeds["udp4-gro-small-buf"] = prefix(1500, 0x80) + \
        read(False, UDP, udp(data[:4000]), GSO_UDP_L4, 1200)
    unodf = bytearray(read(False, UDP, udp(data[:640]), GSO_UDP_L4, 64))
    unodf[10 + 6] = 0
    struct.pack_into("!H", unodf, 10 + 10, 0)
    struct.pack_into("!H", unodf, 10 + 10, ~csum_sum(bytes(unodf[10:30])) & 0xFFFF)
    seeds["udp4-gro-nodf-drop"] = prefix(1500, 0x04) + unodf
    seeds["udp4-plain-dup"] = prefix(1500, 0x08) + read(False, UDP, udp(data[:64]), GSO_NONE, 0,
                                                        flags=0, full=True)
    seeds["udp4-nocsum-dup"] = prefix(1500, 0x08) + read(False, UDP, udp(data[:64]), GSO_NONE, 0,
                                                         flags=0, partial=False)
    # Broken ones.
    t = read(False, TCP, tcp(1, ACK, data[:3000]), GSO_TCPV4, 1448)
    b = bytearray(t); struct.pack_into(ORDER + "H", b, 6, 60000)
    seeds["bad-csum-start"] = prefix(1500) + b
    b = bytearray(t); struct.pack_into(ORDER + "H", b, 2, 60000)
    seeds["bad-hdr-len"] = prefix(1500) + b
    b = bytearray(t); struct.pack_into(ORDER + "H", b, 4, 0)
    seeds["bad-gso-size-0"] = prefix(1500) + b
    b = bytearray(t); b[1] = 2
    seeds["bad-gso-type"] = prefix(1500) + b
    b = bytearray(t); b[10] = 0x44
    seeds["bad-ihl"] = prefix(1500) + b
    b = bytearray(t); struct.pack_into("!H", b, 12, 999)
    seeds["bad-total-length"] = prefix(1500) + b
    seeds["bad-truncated"] = prefix(1500) + t[:100]
    seeds["bad-short"] = prefix(1500) + t[:7]
    for name, blob in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes(blob))


if __name__ == "__main__":
    main()
