#!/usr/bin/python3
"""Hand-made ESP in UDP (RFC 4303, RFC 3948) for aes-cbc + hmac-sha256-128,
with the standard library and the openssl command line only: an independent
sender and receiver that can also build what a correct one never would.

    espcraft.py send KEYFILE SPI SEQ CASE
        send one ESP packet from 0.0.0.0:4500 to 198.18.0.1:4500 keyed with
        block 2 of KEYFILE (remote -> central); CASE (inner packets go from
        10.2.1.10 to 172.16.0.10 unless said):
          echo4 echo6       valid ICMP / ICMPv6 echo request
          dummy             next header 59, a TFC dummy (RFC 4303 2.6)
          badpad            padding bytes not 1, 2, 3, ...
          padlen            pad length larger than the payload
          shortip           IPv4 total length larger than the packet
          version           an IPv6 packet announced as IPv4 (next header 4)
          spoofsrc          source 172.16.0.99, inside the central's LAN
          baddst            destination 10.2.1.20, not behind the central
    espcraft.py echo KEYFILE SPI_OUT SPI_IN SEQ v4|v6
        send a valid echo request and wait for the central's ESP answer on
        port 4500: check its SPI, ICV (block 1 keys), padding and that it is
        the echo reply to our request (dummy packets, the central's
        keepalives, are checked and skipped); prints "ok SEQ" with its
        sequence number
Runs inside the remote's namespace (no daemon there): its outer address is
the one the central expects.
"""
import hashlib
import hmac
import os
import socket
import struct
import subprocess
import sys

CENTRAL = ("198.18.0.1", 4500)
KEYLEN, AUTHLEN, BLOCK, ICVLEN = 16, 32, 16, 16


def read_keys(path):
    hexs = ""
    with open(path) as f:
        for line in f:
            hexs += line.split("#", 1)[0].strip().replace(" ", "")
    raw = bytes.fromhex(hexs)
    n = KEYLEN + AUTHLEN
    if len(raw) != 2 * n:
        sys.exit("key file: %d bytes, want %d" % (len(raw), 2 * n))
    blocks = [raw[:n], raw[n:]]
    return [(b[:KEYLEN], b[KEYLEN:]) for b in blocks]


def aes_cbc(key, iv, data, decrypt=False):
    cmd = ["openssl", "enc", "-aes-%d-cbc" % (len(key) * 8), "-K", key.hex(),
           "-iv", iv.hex(), "-nopad"]
    if decrypt:
        cmd.append("-d")
    out = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout
    if len(out) != len(data):
        sys.exit("openssl enc: %d bytes in, %d out" % (len(data), len(out)))
    return out


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def ipv4(src, dst, proto, payload, total=None):
    tl = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, 0x1234, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def icmp_echo(ident, seq, data):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload


def icmp6_echo(src, dst, ident, seq, data):
    m = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data
    pseudo = (socket.inet_pton(socket.AF_INET6, src) +
              socket.inet_pton(socket.AF_INET6, dst) +
              struct.pack("!IxxxB", len(m), 58))
    return m[:2] + struct.pack("!H", csum(pseudo + m)) + m[4:]


DATA = b"espcraft-" + bytes(range(48))


def inner_for(case, seq):
    src, dst = "10.2.1.10", "172.16.0.10"
    ident = 0x4242
    if case == "echo6":
        s6, d6 = "fd00:2:1::10", "fd00:172:16::10"
        return ipv6(s6, d6, 58, icmp6_echo(s6, d6, ident, seq, DATA)), 41
    if case == "version":
        s6, d6 = "fd00:2:1::10", "fd00:172:16::10"
        return ipv6(s6, d6, 58, icmp6_echo(s6, d6, ident, seq, DATA)), 4
    if case == "spoofsrc":
        src = "172.16.0.99"
    if case == "baddst":
        dst = "10.2.1.20"
    icmp = icmp_echo(ident, seq, DATA)
    if case == "shortip":
        return ipv4(src, dst, 1, icmp, total=20 + len(icmp) + 200), 4
    if case == "dummy":
        return os.urandom(40), 59
    return ipv4(src, dst, 1, icmp), 4


def esp_build(keys, spi, seq, inner, nh, case="echo4"):
    enc, auth = keys
    padn = (-(len(inner) + 2)) % BLOCK
    pad = bytes(range(1, padn + 1))
    if case == "badpad":
        if padn == 0:
            padn, pad = BLOCK, bytes(range(1, BLOCK + 1))
        pad = pad[:-1] + b"\xee"
    plain = inner + pad + bytes([padn, nh])
    if case == "padlen":
        plain = plain[:-2] + bytes([len(plain) + 10, nh])
    iv = os.urandom(BLOCK)
    body = struct.pack("!II", spi, seq & 0xFFFFFFFF) + iv + aes_cbc(enc, iv, plain)
    icv = hmac.new(auth, body, hashlib.sha256).digest()[:ICVLEN]
    return body + icv


def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 4500))
    return s


def esp_open(keys, spi, pkt):
    """(seq, next header, inner) of a packet from the central, checked."""
    enc, auth = keys
    if len(pkt) < 8 + BLOCK + BLOCK + ICVLEN:
        sys.exit("answer too short: %d" % len(pkt))
    rspi, rseq = struct.unpack("!II", pkt[:8])
    if rspi != spi:
        sys.exit("answer SPI 0x%08x, want 0x%08x" % (rspi, spi))
    body, icv = pkt[:-ICVLEN], pkt[-ICVLEN:]
    want = hmac.new(auth, body, hashlib.sha256).digest()[:ICVLEN]
    if not hmac.compare_digest(icv, want):
        sys.exit("answer ICV does not verify")
    iv, ct = body[8:8 + BLOCK], body[8 + BLOCK:]
    if len(ct) % BLOCK:
        sys.exit("answer ciphertext not block aligned")
    plain = aes_cbc(enc, iv, ct, decrypt=True)
    padn, nh = plain[-2], plain[-1]
    pad = plain[-2 - padn:-2]
    if pad != bytes(range(1, padn + 1)):
        sys.exit("answer padding %s is not 1, 2, 3, ..." % pad.hex())
    return rseq, nh, plain[:-2 - padn]


def cmd_send(keyfile, spi, seq, case):
    keys = read_keys(keyfile)[1]
    inner, nh = inner_for(case, seq)
    s = sock()
    s.sendto(esp_build(keys, spi, seq, inner, nh, case), CENTRAL)
    print("sent %s seq %d" % (case, seq))


def cmd_echo(keyfile, spi_out, spi_in, seq, fam):
    blocks = read_keys(keyfile)
    s = sock()
    case = "echo4" if fam == "v4" else "echo6"
    inner, nh = inner_for(case, seq)
    s.sendto(esp_build(blocks[1], spi_out, seq, inner, nh), CENTRAL)
    s.settimeout(5)
    while True:
        pkt, peer = s.recvfrom(65535)
        if len(pkt) == 1 and pkt == b"\xff":
            continue        # NAT keepalive
        rseq, rnh, rin = esp_open(blocks[0], spi_in, pkt)
        if rnh != 59:
            break           # else the central's keepalive, a dummy packet
    if fam == "v4":
        if rnh != 4 or rin[0] >> 4 != 4:
            sys.exit("answer is not IPv4 (next header %d)" % rnh)
        ihl = (rin[0] & 15) * 4
        src, dst = socket.inet_ntoa(rin[12:16]), socket.inet_ntoa(rin[16:20])
        if (src, dst) != ("172.16.0.10", "10.2.1.10") or rin[9] != 1:
            sys.exit("answer %s -> %s proto %d" % (src, dst, rin[9]))
        icmp = rin[ihl:]
        want_type = 0
    else:
        if rnh != 41 or rin[0] >> 4 != 6:
            sys.exit("answer is not IPv6 (next header %d)" % rnh)
        icmp = rin[40:]
        want_type = 129
    t, _, _, ident, iseq = struct.unpack("!BBHHH", icmp[:8])
    if t != want_type or ident != 0x4242 or iseq != seq or icmp[8:] != DATA:
        sys.exit("answer is not our echo reply: type %d id %x seq %d" % (t, ident, iseq))
    print("ok %d" % rseq)


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "send":
        cmd_send(a[1], int(a[2], 0), int(a[3]), a[4])
    elif len(a) == 6 and a[0] == "echo":
        cmd_echo(a[1], int(a[2], 0), int(a[3], 0), int(a[4]), a[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
