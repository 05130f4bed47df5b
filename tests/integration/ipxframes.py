#!/usr/bin/python3
"""Ethernet frames for the bridge tests, standard library only.

    ipxframes.py ipx KIND SRC DST SIZE TAG [options]
        print the hex of an IPX frame in framing KIND: ethii (type 0x8137),
        raw (Novell "802.3 raw": length, then the IPX checksum 0xFFFF),
        llc (802.2 LLC E0 E0 03), snap (AA AA 03 00:00:00 0x8137).
        SIZE is the whole frame length (0: just big enough); TAG (ASCII)
        starts the IPX data (to socket 0x0453 a RIP response with routes
        spelling TAG, to 0x0452 a SAP response naming server TAG), the rest
        is a counting pattern. Packet type 1 for RIP, 4 for SAP, else 0;
        destination socket 0x4003, source 0x4000 by default. Options:
        --vlan VID (one 802.1Q tag after the source MAC), --ptype N,
        --dnet/--snet HEX8, --dnode/--snode MAC, --dsock/--ssock N,
        --meta FILE (what tshark should say of the frame, see below)
    ipxframes.py other TYPE SRC DST SIZE TAG
        print the hex of a non-IPX Ethernet II frame: TYPE arp (a request),
        ipv4 (UDP 10.99.0.2 -> 10.99.0.1, checksums valid) or a number
        (0x88b5, 0x8138, ...) with TAG and a pattern as payload; ipv4:PORT
        sends the datagram to UDP port PORT instead of 9
    ipxframes.py send IFACE HEX... | ipxframes.py send IFACE @FILE
        transmit the frames on IFACE in order (AF_PACKET, SOCK_RAW); @FILE
        holds one hex frame a line
    ipxframes.py capture IFACE OUT
        record every frame on IFACE: OUT gets one line "DIR HEX" a frame,
        DIR "in" for frames the kernel received on IFACE (written to the
        tap by its reader: PACKET_HOST/BROADCAST/MULTICAST/OTHERHOST) and
        "out" for frames transmitted on it (PACKET_OUTGOING: ours, sent
        with `send`, read by the daemon); OUT.pcap gets the "in" frames.
        A VLAN tag the kernel moved into the packet metadata is put back
        (PACKET_AUXDATA), so frames compare byte for byte. OUT.ready is
        created once the socket is bound; runs until killed.
"""
import errno
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40

PTYPE_SOCKETS = {0x0453: 1, 0x0452: 4}     # RIP: type 1, SAP: type 4


def mac(s):
    b = bytes.fromhex(s.replace(":", ""))
    if len(b) != 6:
        raise ValueError("MAC %r" % s)
    return b


def pattern(n, seed=0):
    return bytes((seed + i) & 0xFF for i in range(n))


def ipx_header(length, ptype, dnet, dnode, dsock, snet, snode, ssock):
    """The 30-byte IPX header (checksum 0xFFFF, transport control 0)."""
    return (struct.pack("!HHBB", 0xFFFF, length, 0, ptype) +
            dnet + dnode + struct.pack("!H", dsock) +
            snet + snode + struct.pack("!H", ssock))


def ipx_body(dsock, tag):
    """RIP (socket 0x0453): a response, operation 2, with routes whose
    network numbers spell TAG (4 bytes each, hops 1, ticks 2); SAP
    (0x0452): a response, operation 2, one file server (type 4) named TAG;
    others: TAG itself."""
    if dsock == 0x0453:
        t = tag + b"\0" * (-len(tag) % 4)
        return struct.pack("!H", 2) + b"".join(
            t[i:i + 4] + struct.pack("!HH", 1, 2) for i in range(0, len(t), 4))
    if dsock == 0x0452:
        return struct.pack("!HH48s4s6sHH", 2, 4, tag[:47], b"\0\0\xbe\xef",
                           b"\0\0\0\0\0\1", 0x0451, 1)
    return tag


def ether_head(src, dst, vlan):
    h = dst + src
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan & 0x0FFF)
    return h


def ipx_frame(kind, src, dst, size, tag, vlan=None, ptype=None,
              dnet=b"\0\0\0\0", dnode=None, dsock=0x4003,
              snet=b"\0\0\0\0", snode=None, ssock=0x4000):
    head = ether_head(src, dst, vlan)
    enc = {"ethii": 2, "raw": 2, "llc": 2 + 3, "snap": 2 + 8}[kind]
    fixed = len(head) + enc + 30
    data = ipx_body(dsock, tag)
    if size:
        if size < fixed + len(data):
            raise ValueError("size %d < %d" % (size, fixed + len(data)))
        data += pattern(size - fixed - len(data), len(tag))
    if ptype is None:
        ptype = PTYPE_SOCKETS.get(dsock, 0)
    ipx = ipx_header(30 + len(data), ptype, dnet, dnode or dst, dsock,
                     snet, snode or src, ssock) + data
    if kind == "ethii":
        body = struct.pack("!H", 0x8137) + ipx
    elif kind == "raw":
        body = struct.pack("!H", len(ipx)) + ipx
    elif kind == "llc":
        body = struct.pack("!H", 3 + len(ipx)) + b"\xe0\xe0\x03" + ipx
    else:
        body = (struct.pack("!H", 8 + len(ipx)) +
                b"\xaa\xaa\x03\x00\x00\x00\x81\x37" + ipx)
    f = head + body
    if kind != "ethii" and len(f) - len(head) - 2 > 1500:
        raise ValueError("802.3 length %d > 1500" % (len(f) - len(head) - 2))
    return f


def inet_cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def other_frame(kind, src, dst, size, tag):
    if kind == "arp":
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src + \
            socket.inet_aton("10.99.0.2") + b"\0" * 6 + socket.inet_aton("10.99.0.1")
        f = dst + src + struct.pack("!H", 0x0806) + body + tag
    elif kind.split(":")[0] == "ipv4":
        payload = tag
        dport = int(kind.split(":")[1]) if ":" in kind else 9
        udp = struct.pack("!HHHH", 40000, dport, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0,
                         1, 17, 0, socket.inet_aton("10.99.0.2"),
                         socket.inet_aton("10.99.0.1"))
        ip = ip[:10] + struct.pack("!H", inet_cksum(ip)) + ip[12:]
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
        ck = inet_cksum(pseudo + udp) or 0xFFFF
        udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
        f = dst + src + struct.pack("!H", 0x0800) + ip + udp
    else:
        f = dst + src + struct.pack("!H", int(kind, 0)) + tag
    if size and len(f) < size:
        if kind.startswith("ipv4"):
            raise ValueError("ipv4 frames take no SIZE")
        f += pattern(size - len(f), 7)
    return f


def send(iface, frames):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    for f in frames:
        n = s.send(f)
        if n != len(f):
            sys.exit("send on %s: %d of %d bytes" % (iface, n, len(f)))
    s.close()


def capture(iface, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))
    with open(out, "a") as f, open(out + ".pcap", "wb") as pc:
        pc.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        pc.flush()
        open(out + ".ready", "w").close()
        while True:
            try:
                data, anc, _, addr = s.recvmsg(65535, 256)
            except OSError as e:
                if e.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    return          # the tap is gone: its daemon stopped
                raise
            for level, typ, val in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                    status, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", val[:20])
                    if status & TP_STATUS_VLAN_VALID:
                        if not status & TP_STATUS_VLAN_TPID_VALID:
                            tpid = 0x8100
                        data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
            d = "out" if addr[2] == PACKET_OUTGOING else "in"
            f.write("%s %s\n" % (d, data.hex()))
            f.flush()
            if d == "in":
                t = time.time()
                pc.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6),
                                     len(data), len(data)) + data)
                pc.flush()


def ipx_main_one(a, tag):
    """Prints one frame of `ipx` (and its meta line)."""
    f = ipx_frame(a.kind, mac(a.src), mac(a.dst), a.size, tag.encode(),
                  vlan=a.vlan, ptype=a.ptype, dnet=bytes.fromhex(a.dnet),
                  snet=bytes.fromhex(a.snet),
                  dnode=mac(a.dnode) if a.dnode else None,
                  snode=mac(a.snode) if a.snode else None,
                  dsock=a.dsock, ssock=a.ssock)
    print(f.hex())
    if a.meta:
        off = 12 + (4 if a.vlan is not None else 0) + \
            {"ethii": 2, "raw": 2, "llc": 5, "snap": 10}[a.kind]
        ptype = a.ptype if a.ptype is not None else PTYPE_SOCKETS.get(a.dsock, 0)
        with open(a.meta, "a") as m:
            m.write("%s %s %d 0x%04x 0x%04x 0x%s 0x%02x %d\n" % (
                f.hex(), a.kind, a.vlan is not None, a.ssock, a.dsock,
                a.dnet.lower(), ptype, len(f) - off))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd = argv[1]
    if cmd == "ipx":
        import argparse
        ap = argparse.ArgumentParser(prog="ipxframes.py ipx")
        ap.add_argument("kind", choices=["ethii", "raw", "llc", "snap"])
        ap.add_argument("src")
        ap.add_argument("dst")
        ap.add_argument("size", type=int)
        ap.add_argument("tag")
        ap.add_argument("--vlan", type=int)
        ap.add_argument("--ptype", type=int)
        ap.add_argument("--dnet", default="00000000")
        ap.add_argument("--snet", default="00000000")
        ap.add_argument("--dnode")
        ap.add_argument("--snode")
        ap.add_argument("--dsock", type=lambda x: int(x, 0), default=0x4003)
        ap.add_argument("--ssock", type=lambda x: int(x, 0), default=0x4000)
        ap.add_argument("--meta", help="append 'HEX KIND VLAN SSOCK DSOCK "
                        "DNET PTYPE IPXLEN' (as tshark prints them) to this file")
        ap.add_argument("--count", type=int, help="N frames, one a line, "
                        "tagged TAG-0 .. TAG-<N-1>")
        a = ap.parse_args(argv[2:])
        tags = [a.tag] if a.count is None else \
            ["%s-%d" % (a.tag, i) for i in range(a.count)]
        for tag in tags:
            ipx_main_one(a, tag)
    elif cmd == "other":
        kind, src, dst, size, tag = argv[2:7]
        print(other_frame(kind, mac(src), mac(dst), int(size), tag.encode()).hex())
    elif cmd == "send":
        iface, rest = argv[2], argv[3:]
        if len(rest) == 1 and rest[0].startswith("@"):
            rest = [l.strip() for l in open(rest[0][1:]) if l.strip()]
        send(iface, [bytes.fromhex(h) for h in rest])
    elif cmd == "capture":
        capture(argv[2], argv[3])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
