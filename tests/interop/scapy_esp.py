#!/usr/bin/python3
"""ESP from an implementation we did not write: scapy's SecurityAssociation.

Run with Debian's /usr/bin/python3 (scapy 2.5). As a library:

    sa = make_sa("aes-gcm", spi, key_with_salt, "none", b"", src, dst)
    esp = encrypt(sa, inner_ip_packet, seq)     # ESP bytes, SPI..ICV
    inner = decrypt(sa, esp)                    # scapy IP/IPv6, ICV checked

and as a program:

    scapy_esp.py spi FROM_NET FROM_ROLE TO_NET [--tap]
    scapy_esp.py encrypt --cipher C [--auth A] --spi S --key HEX
                 [--auth-key HEX] [--seq N] --inner HEX
                 [--outer udp|raw|none --src A --dst B]
    scapy_esp.py decrypt --cipher C [--auth A] --spi S --key HEX
                 [--auth-key HEX] --esp HEX
    scapy_esp.py exchange ...   (see exchange_main: echo requests to a
                 vpntund through the tunnel, echo replies decrypted here)

Suite names are vpntund's (site.conf); keys as in docs/DESIGN.md "Keys":
cipher key || salt (AEAD, RFC 4106 KEYMAT) or nonce (aes-ctr, RFC 3686 5)
|| auth key. scapy's AES-CTR takes key || nonce as its key, as vpntund's
key file holds them; its IV is random where vpntund's is seq + base.

scapy quirks handled here: with nat_t_header it leaves the UDP length at 8
(rebuilt with `del p[UDP].len`), and SecurityAssociation.decrypt() mutates
its argument (it gets a copy). scapy 2.5 signs ESP with HMAC without the
ESN high bits, so ESN is only offered for AEAD suites. CBC, CTR and AEAD
IVs are random here; vpntund's AEAD and CTR IV is the sequence number
plus a base (0 for derived keying, random per start for manual keying,
whose keys every start reuses): both are valid for a receiver (RFC 4106
3.1 and RFC 3686 3 ask only for uniqueness). exchange reports IV - seq
mod 2^64 per reply.
"""

import argparse
import hashlib
import ipaddress
import json
import re
import select
import socket
import struct
import sys
import time

import warnings
warnings.filterwarnings("ignore")

from scapy.all import (IP, IPv6, UDP, ICMP, ICMPv6EchoRequest,  # noqa: E402
                       ICMPv6EchoReply, Raw, raw, conf)
from scapy.layers.ipsec import (ESP, SecurityAssociation, CRYPT_ALGOS,  # noqa: E402
                                IPSecIntegrityError)
from scapy.layers import ipsec as scapy_ipsec  # noqa: E402

conf.verb = 0

# vpntund suite name -> scapy algorithm name, salt bytes, AEAD.
CIPHERS = {
    "blowfish-cbc": ("Blowfish", 0, False),
    "3des-cbc": ("3DES", 0, False),
    "aes-cbc": ("AES-CBC", 0, False),
    "aes-gcm": ("AES-GCM", 4, True),
    "chacha20-poly1305": ("CHACHA20-POLY1305", 4, True),
    # KAME's: RFC 2405, RFC 2451 (CAST), RFC 3686 (nonce after the key),
    # RFC 2410.
    "des-cbc": ("DES", 0, False),
    "cast128-cbc": ("CAST", 0, False),
    "aes-ctr": ("AES-CTR", 4, False),
    "null": ("NULL", 0, False),
}
# Suites whose IV vpntund makes from the sequence number: seq + base.
COUNTER_IV = {"aes-gcm", "chacha20-poly1305", "aes-ctr"}
AUTHS = {
    "none": (None, 0),
    "hmac-md5-96": ("HMAC-MD5-96", 16),
    "hmac-sha1-96": ("HMAC-SHA1-96", 20),
    "hmac-sha256-128": ("SHA2-256-128", 32),
    "hmac-sha384-192": ("SHA2-384-192", 48),
    "hmac-sha512-256": ("SHA2-512-256", 64),
    "hmac-sha256-96": ("SHA2-256-96", 32),
    "hmac-sha384-96": ("SHA2-384-96", 48),
    "hmac-sha512-96": ("SHA2-512-96", 64),
}


def add_sha2_96():
    """The SHA-2 HMACs truncated to 96 bits, as KAME and FreeBSD sent
    them before RFC 4868 (draft-ietf-ipsec-ciph-sha-256-00): scapy knows
    only the RFC 4868 lengths, so these are its own AuthAlgo (its HMAC
    from python3-cryptography) with a 12-byte ICV. There is no XCBC in
    scapy (only AES-CMAC-96): aes-xcbc-mac-96 is not offered here."""
    if scapy_ipsec.HMAC is None or scapy_ipsec.hashes is None:
        return
    for bits in (256, 384, 512):
        name = "SHA2-%d-96" % bits
        scapy_ipsec.AUTH_ALGOS.setdefault(name, scapy_ipsec.AuthAlgo(
            name, mac=scapy_ipsec.HMAC,
            digestmod=getattr(scapy_ipsec.hashes, "SHA%d" % bits),
            icv_size=12))


add_sha2_96()
DEFAULT_KEYBITS = {"blowfish-cbc": 128, "3des-cbc": 192, "aes-cbc": 128,
                   "des-cbc": 64, "cast128-cbc": 128, "aes-ctr": 128,
                   "null": 0,
                   "aes-gcm": 256, "chacha20-poly1305": 256}


def scapy_supports(cipher):
    """Whether this scapy knows the suite (scapy 2.4 lacks ChaCha20;
    CAST needs a python3-cryptography that still has it)."""
    return cipher in CIPHERS and CIPHERS[cipher][0] in CRYPT_ALGOS


def spi_derive(from_net, from_role, to_net, label=b"vpntund-spi-v1"):
    """The SPI formula of docs/DESIGN.md, written again from the text;
    label b"vpntund-spi-tap-v1" gives a dedicated tap SA's
    (docs/site.conf.5.md)."""
    f = ipaddress.ip_network(from_net, strict=False)
    t = ipaddress.ip_network(to_net, strict=False)
    msg = (label + (b"C" if from_role == "central" else b"R") +
           bytes([f.version]) +
           f.network_address.packed + bytes([f.prefixlen]) +
           t.network_address.packed + bytes([t.prefixlen]))
    spi = struct.unpack("!I", hashlib.sha256(msg).digest()[:4])[0]
    return spi | 0x80000000 if spi < 256 else spi


def read_keyfile(path, cipher, keybits, auth):
    """Two key blocks of a vpntund key file: (central->remote,
    remote->central), each (cipher key || salt, auth key)."""
    text = "".join(line.split("#")[0] for line in open(path))
    hx = re.sub(r"\s+", "", text)
    data = bytes.fromhex(hx)
    klen = keybits // 8 + CIPHERS[cipher][1]
    alen = AUTHS[auth][1]
    blk = klen + alen
    if len(data) != 2 * blk:
        raise ValueError("%s: %d bytes, expected 2 x %d" % (path, len(data), blk))
    return [(data[i * blk:i * blk + klen], data[i * blk + klen:(i + 1) * blk])
            for i in (0, 1)]


def make_sa(cipher, spi, key, auth="none", auth_key=b"", src=None, dst=None,
            esn=False):
    """A tunnel-mode SA. key includes the salt (AEAD) or nonce (aes-ctr);
    null's is empty."""
    algo, salt, aead = CIPHERS[cipher]
    if aead:
        auth = "none"
    aalgo = AUTHS[auth][0]
    if src is None:
        src, dst = "192.0.2.1", "192.0.2.2"
    hdr = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    # Blowfish: scapy takes the key sizes of cryptography's Blowfish (32 to
    # 448 bits) and passes the key as is, so 448-bit keys are honoured.
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo=algo, crypt_key=key,
                             auth_algo=aalgo, auth_key=auth_key or None,
                             tunnel_header=hdr, esn_en=esn and aead)
    sa.vt_cipher = cipher
    return sa


def encrypt(sa, inner, seq, iv=None):
    """ESP bytes (SPI .. ICV) for an inner IP packet (scapy or bytes)."""
    if isinstance(inner, (bytes, bytearray)):
        inner = IPv6(inner) if inner[0] >> 4 == 6 else IP(inner)
    out = sa.encrypt(inner, seq_num=seq, iv=iv)
    return raw(out[ESP])


def outer_packet(esp, src, dst, mode, sport=4500, dport=4500):
    """The whole outer packet: UDP-encapsulated (RFC 3948) or protocol 50."""
    ip = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    if mode == "udp":
        p = ip / UDP(sport=sport, dport=dport) / Raw(esp)
        del p[UDP].len
        del p[UDP].chksum
    else:
        p = ip / ESP(esp)
    return p.__class__(raw(p))


def decrypt(sa, esp):
    """The inner packet of ESP bytes; raises IPSecIntegrityError when the
    ICV or AEAD tag does not verify."""
    tunnel = sa.tunnel_header
    ip = tunnel.__class__(src=tunnel.dst, dst=tunnel.src)
    pkt = ip.__class__(raw(ip / ESP(bytes(esp))))
    return sa.decrypt(pkt.copy())


def esp_info(esp, cipher):
    """SPI, sequence number and (AEAD, CTR) the 8-byte IV of ESP bytes."""
    spi, seq = struct.unpack("!II", esp[:8])
    iv = esp[8:16] if cipher in COUNTER_IV else None
    return spi, seq, iv


def inet_cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def check_checksums(b):
    """IPv4 header and ICMP checksums, or the ICMPv6 checksum (RFC 8200
    8.1 pseudo-header), of raw inner bytes; a reason or None."""
    if b[0] >> 4 == 6:
        plen = struct.unpack("!H", b[4:6])[0]
        if plen + 40 != len(b):
            return "IPv6 payload length %d != %d" % (plen, len(b) - 40)
        if b[6] == 58:
            pseudo = b[8:40] + struct.pack("!I", plen) + b"\0\0\0" + bytes([58])
            if inet_cksum(pseudo + b[40:]) != 0xffff:
                return "bad ICMPv6 checksum"
        return None
    if b[0] >> 4 != 4:
        return "not IPv4"
    ihl = (b[0] & 15) * 4
    if struct.unpack("!H", b[2:4])[0] != len(b):
        return "IPv4 total length %d != %d" % (struct.unpack("!H", b[2:4])[0], len(b))
    if inet_cksum(b[:ihl]) != 0xffff:
        return "bad IPv4 header checksum"
    if b[9] == 1 and inet_cksum(b[ihl:]) != 0xffff:
        return "bad ICMP checksum"
    return None


# --- the echo exchange with a vpntund ----------------------------------------

class Transport:
    """UDP 4500 (RFC 3948) or raw IP protocol 50 in this namespace."""

    def __init__(self, mode, local, peer, port):
        self.mode, self.peer, self.port = mode, peer, port
        fam = socket.AF_INET6 if ":" in local else socket.AF_INET
        self.fam = fam
        if mode == "udp":
            self.s = socket.socket(fam, socket.SOCK_DGRAM)
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.s.bind((local, port))
        else:
            self.s = socket.socket(fam, socket.SOCK_RAW, 50)
            self.s.bind((local, 0))

    def send(self, esp):
        self.s.sendto(esp, (self.peer, self.port if self.mode == "udp" else 0))

    def recv(self, timeout):
        """(esp bytes, source address, source port) or None."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            data, addr = self.s.recvfrom(65535)
            if self.mode == "udp":
                if len(data) < 8 or data[:4] == b"\0\0\0\0":
                    continue            # NAT keepalive or IKE
                return data, addr[0], addr[1]
            if self.fam == socket.AF_INET:
                ihl = (data[0] & 15) * 4
                src = socket.inet_ntoa(data[12:16])
                data = data[ihl:]       # raw IPv4 sockets include the header
            else:
                src = addr[0]
            if src != self.peer:
                continue
            return data, src, 0


def exchange_main(a):
    """Sends --count ICMP echo requests through the tunnel to --inner-dst
    and checks every echo reply that comes back, decrypted with the SA of
    the other direction. Prints one JSON object; exit status 1 on failure."""
    k_c2r, k_r2c = read_keyfile(a.keyfile, a.cipher, a.keybits, a.auth)
    # We are the remote: we send with remote->central and receive with
    # central->remote (docs/DESIGN.md "Keys").
    sa_out = make_sa(a.cipher, a.spi_out, k_r2c[0], a.auth, k_r2c[1],
                     a.local, a.peer, esn=a.esn)
    sa_in = make_sa(a.cipher, a.spi_in, k_c2r[0], a.auth, k_c2r[1],
                    a.local, a.peer, esn=a.esn)
    tr = Transport(a.transport, a.local, a.peer, a.port)
    res = {"cipher": a.cipher, "auth": a.auth, "keybits": a.keybits,
           "esn": a.esn,
           "transport": a.transport, "sent": 0, "replies": 0,
           "reply_seqs": [], "iv_bases": [], "errors": []}
    ident = 0x5ca9
    v6 = ":" in a.inner_src
    seq = a.first_seq
    for i in range(a.count):
        payload = bytes((i + j) & 0xff for j in range(a.size))
        if v6:
            req = (IPv6(src=a.inner_src, dst=a.inner_dst, hlim=64) /
                   ICMPv6EchoRequest(id=ident, seq=i + 1, data=payload))
            req = IPv6(raw(req))
        else:
            req = (IP(src=a.inner_src, dst=a.inner_dst, id=0x1000 + i, ttl=64) /
                   ICMP(type=8, id=ident, seq=i + 1) / Raw(payload))
            req = IP(raw(req))
        esp = encrypt(sa_out, req, seq)
        seq += 1
        tr.send(esp)
        res["sent"] += 1
        while True:
            got = tr.recv(a.timeout)
            if got is None:
                res["errors"].append("no reply to echo request %d within %.1f s"
                                     % (i + 1, a.timeout))
                break
            data, src, sport = got
            spi, rseq, iv = esp_info(data, a.cipher)
            if spi != a.spi_in:
                res["errors"].append("reply with SPI 0x%08x, expected 0x%08x"
                                     % (spi, a.spi_in))
                continue
            if a.transport == "udp" and sport != a.port:
                res["errors"].append("reply from UDP port %d" % sport)
            try:
                inner = decrypt(sa_in, data)
            except IPSecIntegrityError as e:
                res["errors"].append("reply seq %d: integrity check failed: %s"
                                     % (rseq, e))
                break
            b = raw(inner)
            why = check_checksums(b)
            if why:
                res["errors"].append("reply seq %d: %s: %s" % (rseq, why, b.hex()))
                break
            rtype = ICMPv6EchoReply if v6 else ICMP
            if rtype not in inner or (not v6 and inner[ICMP].type != 0):
                # the kernel may also send e.g. an unreachable: report it
                res["errors"].append("reply seq %d is not an echo reply: %s"
                                     % (rseq, inner.summary()))
                break
            ic = inner[rtype]
            ipl = inner[IPv6] if v6 else inner[IP]
            if (ipl.src, ipl.dst) != (a.inner_dst, a.inner_src):
                res["errors"].append("echo reply %s -> %s" % (ipl.src, ipl.dst))
            if ic.id != ident or ic.seq != i + 1:
                res["errors"].append("echo reply id %#x seq %d, expected %#x %d"
                                     % (ic.id, ic.seq, ident, i + 1))
            data = ic.data if v6 else bytes(ic.payload)
            if data != payload:
                res["errors"].append("echo reply %d payload differs: %s"
                                     % (i + 1, data.hex()))
            if iv is not None:
                base = (struct.unpack("!Q", iv)[0] - rseq) % (1 << 64)
                res["iv_bases"].append("%016x" % base)
            res["reply_seqs"].append(rseq)
            res["replies"] += 1
            break
    if res["reply_seqs"] != sorted(set(res["reply_seqs"])):
        res["errors"].append("reply sequence numbers not increasing: %s"
                             % res["reply_seqs"])
    if a.tamper:
        # One more request with its last ICV/tag byte flipped: the daemon
        # must drop it (counted as an auth drop) and answer nothing.
        if v6:
            req = IPv6(raw(IPv6(src=a.inner_src, dst=a.inner_dst) /
                           ICMPv6EchoRequest(id=ident, seq=999, data=b"x" * 16)))
        else:
            req = IP(raw(IP(src=a.inner_src, dst=a.inner_dst) /
                         ICMP(id=ident, seq=999) / Raw(b"x" * 16)))
        esp = bytearray(encrypt(sa_out, req, seq))
        esp[-1] ^= 0x01
        tr.send(bytes(esp))
        res["tampered_sent"] = 1
        got = tr.recv(1.0)
        res["tampered_answered"] = got is not None
        if got is not None:
            res["errors"].append("the daemon answered a request whose ICV was altered")
    print(json.dumps(res))
    return 0 if not res["errors"] and res["replies"] == a.count else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    sp = sub.add_parser("spi")
    sp.add_argument("from_net")
    sp.add_argument("from_role", choices=["central", "remote"])
    sp.add_argument("to_net")
    sp.add_argument("--tap", action="store_true")

    sp = sub.add_parser("supports")
    sp.add_argument("cipher")

    def sa_args(p):
        p.add_argument("--cipher", required=True, choices=sorted(CIPHERS))
        p.add_argument("--auth", default="none", choices=sorted(AUTHS))
        p.add_argument("--spi", required=True, type=lambda s: int(s, 0))
        p.add_argument("--key", required=True, type=bytes.fromhex)
        p.add_argument("--auth-key", default=b"", type=bytes.fromhex)
        p.add_argument("--src", default="192.0.2.1")
        p.add_argument("--dst", default="192.0.2.2")

    sp = sub.add_parser("encrypt")
    sa_args(sp)
    sp.add_argument("--seq", type=int, default=1)
    sp.add_argument("--iv", type=bytes.fromhex)
    sp.add_argument("--inner", required=True, type=bytes.fromhex)
    sp.add_argument("--outer", default="none", choices=["none", "udp", "raw"])

    sp = sub.add_parser("decrypt")
    sa_args(sp)
    sp.add_argument("--esp", required=True, type=bytes.fromhex)

    sp = sub.add_parser("exchange")
    sp.add_argument("--keyfile", required=True)
    sp.add_argument("--cipher", required=True, choices=sorted(CIPHERS))
    sp.add_argument("--keybits", type=int)
    sp.add_argument("--auth", default="none", choices=sorted(AUTHS))
    sp.add_argument("--transport", default="udp", choices=["udp", "esp"])
    sp.add_argument("--local", required=True, help="our outer address")
    sp.add_argument("--peer", required=True, help="the daemon's outer address")
    sp.add_argument("--port", type=int, default=4500)
    sp.add_argument("--spi-out", required=True, type=lambda s: int(s, 0))
    sp.add_argument("--spi-in", required=True, type=lambda s: int(s, 0))
    sp.add_argument("--inner-src", required=True)
    sp.add_argument("--inner-dst", required=True)
    sp.add_argument("--count", type=int, default=3)
    sp.add_argument("--size", type=int, default=56)
    sp.add_argument("--first-seq", type=int, default=1)
    sp.add_argument("--timeout", type=float, default=5.0)
    sp.add_argument("--tamper", action="store_true")
    sp.add_argument("--esn", action="store_true",
                    help="AEAD only: 12-byte AAD with the high 32 bits (0)")

    a = ap.parse_args()
    if a.cmd == "spi":
        label = b"vpntund-spi-tap-v1" if a.tap else b"vpntund-spi-v1"
        print("0x%08x" % spi_derive(a.from_net, a.from_role, a.to_net, label))
        return 0
    if a.cmd == "supports":
        return 0 if scapy_supports(a.cipher) else 1
    if a.cmd == "exchange":
        if a.keybits is None:
            a.keybits = DEFAULT_KEYBITS[a.cipher]
        if CIPHERS[a.cipher][2]:
            a.auth = "none"
        elif a.esn:
            ap.error("scapy 2.5 leaves the ESN high bits out of ESP HMACs: "
                     "--esn only with AEAD suites")
        return exchange_main(a)
    sa = make_sa(a.cipher, a.spi, a.key, a.auth, a.auth_key, a.src, a.dst)
    if a.cmd == "encrypt":
        esp = encrypt(sa, a.inner, a.seq, a.iv)
        if a.outer != "none":
            esp = raw(outer_packet(esp, a.src, a.dst, "udp" if a.outer == "udp" else "raw"))
        print(esp.hex())
        return 0
    try:
        inner = decrypt(sa, a.esp)
    except IPSecIntegrityError as e:
        print("integrity check failed: %s" % e, file=sys.stderr)
        return 1
    print(raw(inner).hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
