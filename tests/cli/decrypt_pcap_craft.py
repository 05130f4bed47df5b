#!/usr/bin/python3
"""A pcapng capture for vpntunctl decrypt-pcap, made without our code: ESP
(RFC 4303) written out here with the `cryptography' package, outer headers
and pcapng blocks by hand.

    decrypt_pcap_craft.py DIR

reads DIR/r.key (aes-cbc 128 + hmac-sha256-128) and DIR/g.key (aes-gcm
256), the key files of peers "r" and "g" of a central site (block 1 is
central -> remote, the site's outbound SA), and the one-block files of
peer "k"'s `sa in` (DIR/k.in: 3des-cbc + hmac-sha1-96, zero padding as
KAME's setkey -f zero-pad sends) and `sa out` (DIR/k.out: aes-cbc 256 +
hmac-sha256-128), and DIR/e.key (aes-gcm 128, ESN), and writes

    DIR/cap.pcapng      the frames below (Ethernet, timestamps in ns)
    DIR/want.ip         the inner IP packets decrypt-pcap must write, one
                        "SEC NSEC HEX" line each, in order
    DIR/want.frames     the same for the EtherIP frames (-W)
    DIR/esn.pcapng      ESP of peer "e"'s inbound SA with 64-bit sequence
                        numbers across 2^32, and a duplicate; DIR/want.esn
    DIR/sha96.pcapng    one ESP packet of SPI 0x6001, keyed with r's block
                        1, with HMAC-SHA-256 truncated to 96 bits as older
                        KAME sends it; DIR/want.sha96
"""
import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

R_IN, R_OUT, G_IN, G_OUT = 0x1001, 0x1002, 0x2001, 0x2002
K_IN, K_OUT = 0x3001, 0x3002
E_IN = 0x4001
T0 = 1700000000


def read_blocks(path):
    hx = "".join(l.split("#", 1)[0].strip() for l in open(path))
    raw = bytes.fromhex(hx)
    half = len(raw) // 2
    return raw[:half], raw[half:]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234,
                    frag, 64, proto, 0, bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       bytes(src), bytes(dst)) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ether(et, payload, vlan=None):
    h = bytes.fromhex("020000000002020000000001")
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", et) + payload


A4 = [198, 18, 0, 1]
B4 = [198, 18, 0, 2]
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")


def icmp_echo(src, dst, seq):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x4242, seq) + b"decrypt-pcap" * 4
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ipv4(src, dst, 1, body)


def inner6_udp():
    src = bytes.fromhex("fd000000000000000000000000000005")
    dst = bytes.fromhex("fd010000000000000000000000000005")
    return ipv6(src, dst, 17, udp(5353, 53, b"inner ipv6 datagram"))


def tcp_syn():
    t = struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    return ipv4([10, 1, 0, 7], [10, 1, 2, 7], 6, t)


def trailer(inner, nh, block, pad_byte=None):
    """pad_byte: None for 1, 2, 3, ...; else every padding byte."""
    padlen = (-(len(inner) + 2)) % block
    if pad_byte is not None and padlen == 0:
        padlen = block
    pad = bytes(range(1, padlen + 1))
    if pad_byte is not None:
        pad = bytes([pad_byte]) * padlen
    return inner + pad + bytes([padlen, nh])


def esp_cbc(block, spi, seq, inner, nh, pad_byte=None, suite="aes128"):
    alg, klen, bsz, h, alen, icv = {
        "aes128": (algorithms.AES, 16, 16, hashlib.sha256, 32, 16),
        "aes256": (algorithms.AES, 32, 16, hashlib.sha256, 32, 16),
        "3des": (algorithms.TripleDES, 24, 8, hashlib.sha1, 20, 12),
        # older KAME's hmac-sha2-256: truncated to 96 bits
        "aes128-sha256-96": (algorithms.AES, 16, 16, hashlib.sha256, 32, 12),
    }[suite]
    key, akey = block[:klen], block[klen:klen + alen]
    iv = hashlib.sha256(b"iv%d%d" % (spi, seq)).digest()[:bsz]
    pt = trailer(inner, nh, bsz, pad_byte)
    enc = Cipher(alg(key), modes.CBC(iv)).encryptor()
    head = struct.pack("!II", spi, seq) + iv + enc.update(pt) + enc.finalize()
    return head + hmac.new(akey, head, h).digest()[:icv]


def esp_gcm(block, spi, seq, inner, nh):
    key, salt = block[:32], block[32:36]
    iv = struct.pack("!Q", 0x1000 + seq)
    hdr = struct.pack("!II", spi, seq)
    ct = AESGCM(key).encrypt(salt + iv, trailer(inner, nh, 4), hdr)
    return hdr + iv + ct


def esp_gcm_esn(block, spi, seq, inner, nh):
    """RFC 4106 5: with ESN the AAD holds the high half too, the wire
    only the low half (RFC 4303 2.2.1)."""
    key, salt = block[:16], block[16:20]
    iv = struct.pack("!Q", 0x5000 + seq)
    aad = struct.pack("!III", spi, seq >> 32, seq & 0xFFFFFFFF)
    ct = AESGCM(key).encrypt(salt + iv, trailer(inner, nh, 4), aad)
    return struct.pack("!II", spi, seq & 0xFFFFFFFF) + iv + ct


def write_pcapng(path, frames):
    """frames: (frame, captured bytes or None, inner, EtherIP frame);
    returns the "SEC NSEC HEX" lines of the inner packets and frames."""
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    # Interface: Ethernet, if_tsresol 9 (nanoseconds).
    opts = struct.pack("<HHB3x", 9, 1, 9) + struct.pack("<HH", 0, 0)
    idb_len = 20 + len(opts)
    idb = struct.pack("<IIHHI", 1, idb_len, 1, 0, 262144) + opts + struct.pack("<I", idb_len)
    out = [shb, idb]
    want_ip, want_fr = [], []
    for i, (f, cap, inner, eframe) in enumerate(frames):
        sec, nsec = T0 + i, 1000 * i + 7
        ts = sec * 10**9 + nsec
        data = f[:cap] if cap else f
        padded = data + bytes((-len(data)) % 4)
        blen = 32 + len(padded)
        out.append(struct.pack("<IIIIIII", 6, blen, 0, ts >> 32, ts & 0xFFFFFFFF,
                               len(data), len(f)) + padded + struct.pack("<I", blen))
        if inner is not None:
            want_ip.append("%d %d %s\n" % (sec, nsec, inner.hex()))
        if eframe is not None:
            want_fr.append("%d %d %s\n" % (sec, nsec, eframe.hex()))
    with open(path, "wb") as fp:
        fp.write(b"".join(out))
    return "".join(want_ip), "".join(want_fr)


def flip_last(b):
    return b[:-1] + bytes([b[-1] ^ 1])


def main():
    d = sys.argv[1]
    r_c2r, r_r2c = read_blocks(os.path.join(d, "r.key"))
    g_c2r, g_r2c = read_blocks(os.path.join(d, "g.key"))
    k_in = bytes.fromhex("".join(l.split("#", 1)[0].strip() for l in open(os.path.join(d, "k.in"))))
    k_out = bytes.fromhex("".join(l.split("#", 1)[0].strip() for l in open(os.path.join(d, "k.out"))))
    in4 = icmp_echo([10, 1, 0, 5], [10, 1, 1, 5], 1)
    in6 = inner6_udp()
    syn = tcp_syn()
    in4b = icmp_echo([10, 1, 1, 9], [10, 1, 0, 9], 2)
    frame = bytes.fromhex("ffffffffffff0200000000aa0800") + in4b
    dstopt = bytes([50, 0, 1, 4, 0, 0, 0, 0])     # next ESP, PadN
    g1 = esp_gcm(g_c2r, G_OUT, 1, syn, 4)
    g_in = esp_gcm(g_r2c, G_IN, 1, in4, 4)
    frames = [
        # (frame, captured bytes or None, inner for out.pcap, EtherIP frame)
        (ether(0x0800, ipv4(A4, B4, 17, udp(4500, 4500, esp_cbc(r_c2r, R_OUT, 1, in4, 4)))), None, in4, None),
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, esp_cbc(r_r2c, R_IN, 1, in6, 41)))), None, in6, None),
        (ether(0x86dd, ipv6(A6, B6, 60, dstopt + g1)), None, syn, None),
        (ether(0x86dd, ipv6(A6, B6, 60, dstopt + g1)), None, syn, None),   # duplicate
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, flip_last(esp_cbc(r_r2c, R_IN, 2, in4, 4))))), None, None, None),
        (ether(0x0800, ipv4(B4, A4, 50, struct.pack("!II", 0xdead0001, 1) + bytes(40))), None, None, None),
        (ether(0x86dd, ipv6(B6, A6, 50, g_in)), 60, None, None),            # cut by the snaplen
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, bytes(4) + b"IKE message"))), None, None, None),
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, b"\xff"))), None, None, None),
        (ether(0x0800, ipv4(A4, B4, 17, udp(4500, 4500, esp_cbc(r_c2r, R_OUT, 2, b"\x30\x00" + frame, 97)))), None, None, frame),
        (ether(0x86dd, ipv6(B6, A6, 50, esp_gcm(g_r2c, G_IN, 2, b"", 59))), None, None, None),
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, esp_cbc(r_r2c, R_IN, 3, in4b, 4))), vlan=7), None, in4b, None),
        (ether(0x0806, bytes(28)), None, None, None),                         # ARP
        (ether(0x86dd, ipv6(A6, B6, 50, flip_last(esp_gcm(g_c2r, G_OUT, 2, syn, 4)))), None, None, None),
        (ether(0x0800, ipv4(A4, B4, 50, esp_cbc(r_c2r, R_OUT, 3, in4, 4, pad_byte=0xee))), None, None, None),
        (ether(0x0800, ipv4(A4, B4, 50, esp_cbc(r_c2r, R_OUT, 4, in4, 4)[:64], frag=0x2000)), None, None, None),
        # TFC padding behind the inner packet (RFC 4303 2.7): not written
        (ether(0x0800, ipv4(B4, A4, 17, udp(4500, 4500, esp_cbc(r_r2c, R_IN, 4, in4b + bytes(100), 4)))), None, in4b, None),
        # peer k: `sa in` 3des/hmac-sha1-96 with zero padding, `sa out`
        # aes-cbc 256/hmac-sha256-128, in raw ESP
        (ether(0x0800, ipv4(B4, A4, 50, esp_cbc(k_in, K_IN, 7, in4b, 4, pad_byte=0, suite="3des"))), None, in4b, None),
        (ether(0x0800, ipv4(A4, B4, 50, esp_cbc(k_out, K_OUT, 9, in6, 41, suite="aes256"))), None, in6, None),
    ]
    want_ip, want_fr = write_pcapng(os.path.join(d, "cap.pcapng"), frames)
    with open(os.path.join(d, "want.ip"), "w") as fp:
        fp.write(want_ip)
    with open(os.path.join(d, "want.frames"), "w") as fp:
        fp.write(want_fr)

    e_c2r, e_r2c = read_blocks(os.path.join(d, "e.key"))
    esn = [ether(0x0800, ipv4(B4, A4, 50, esp_gcm_esn(e_r2c, E_IN, n, in4b, 4)))
           for n in (1, 0x80000000, 0xFFFFFFFF, (1 << 32) + 1, (1 << 32) + 1)]
    want_esn, _ = write_pcapng(os.path.join(d, "esn.pcapng"),
                               [(f, None, in4b, None) for f in esn])
    with open(os.path.join(d, "want.esn"), "w") as fp:
        fp.write(want_esn)

    f96 = ether(0x0800, ipv4(A4, B4, 50, esp_cbc(r_c2r, 0x6001, 1, in4, 4, suite="aes128-sha256-96")))
    want_96, _ = write_pcapng(os.path.join(d, "sha96.pcapng"), [(f96, None, in4, None)])
    with open(os.path.join(d, "want.sha96"), "w") as fp:
        fp.write(want_96)


if __name__ == "__main__":
    main()
