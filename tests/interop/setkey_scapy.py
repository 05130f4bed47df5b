#!/usr/bin/python3
"""The KAME end of a setkey script, played by scapy.

Reads the `add` statements of a setkey(8) input file, or of the
`setkey -c <<END` here-documents of a shell script, with a parser of its
own (not vpntund's), keys scapy's SecurityAssociation from them and
talks to a vpntund that imported the same script:

    setkey_scapy.py run --script FILE --daemon ADDR --inner-dst ADDR
                        --peer ENDPOINT,INNER_SRC[,SERVE_ADDR] ...
                        [--mode tunnel|gif] [--count N] [--serve N]
                        [--ready FILE] [--sha2-96]

For each peer (ENDPOINT is scapy's outer address, one of the script's
SAs' ends; the other end is --daemon): --count ICMP echo requests from
INNER_SRC to --inner-dst, encrypted with the SA ENDPOINT -> daemon; every
echo reply is decrypted with the SA daemon -> ENDPOINT and checked (id,
sequence, payload, checksums). Then --ready FILE is written and echo
requests the daemon's side sends to SERVE_ADDR (default INNER_SRC) are
answered, --serve of them per peer. One JSON line per run: errors,
replies and answers per peer.

--mode gif: what KAME's gif(4) with transport-mode ESP puts on the wire.
The request is IP(ENDPOINT -> daemon, protocol 4) / IP(inner) / ICMP, and
the SA is applied in transport mode to that packet; replies are decrypted
in transport mode into IP(protocol 4) / IP(inner).

Keys as setkey has them: aes-ctr's and aes-gcm-16's end in the 4-byte
nonce or salt, which is how scapy takes them too.
"""

import argparse
import json
import re
import select
import socket
import struct
import sys
import time

import warnings
warnings.filterwarnings("ignore")

from scapy.all import IP, ICMP, Raw, raw, conf  # noqa: E402
from scapy.layers.ipsec import (ESP, SecurityAssociation,  # noqa: E402
                                AUTH_ALGOS, AuthAlgo)
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.hmac import HMAC  # noqa: E402

conf.verb = 0

CRYPT = {
    "des-cbc": "DES", "3des-cbc": "3DES", "blowfish-cbc": "Blowfish",
    "cast128-cbc": "CAST", "rijndael-cbc": "AES-CBC", "aes-cbc": "AES-CBC",
    "aes-ctr": "AES-CTR", "aes-gcm-16": "AES-GCM", "null": "NULL",
    "simple": "NULL",
}
AUTH = {
    "hmac-md5": "HMAC-MD5-96", "hmac-sha1": "HMAC-SHA1-96",
    "hmac-sha2-256": "SHA2-256-128", "hmac-sha2-384": "SHA2-384-192",
    "hmac-sha2-512": "SHA2-512-256", "null": None,
}


def sha2_96():
    """hmac-sha2-* as older KAME computed them: truncated to 96 bits, not
    to half the hash as RFC 4868 says (vpntunctl import-setkey --sha2-96)."""
    for bits, h in ((256, hashes.SHA256), (384, hashes.SHA384),
                    (512, hashes.SHA512)):
        name = "SHA2-%d-96" % bits
        AUTH_ALGOS[name] = AuthAlgo(name, mac=HMAC, digestmod=h, icv_size=12)
        AUTH["hmac-sha2-%d" % bits] = name


def setkey_text(path):
    """The setkey input of a file: its here-documents if it is a shell
    script that runs setkey with one, else all of it."""
    lines = open(path).read().split("\n")
    out, doc, found = [], None, False
    for line in lines:
        if doc is not None:
            if line.strip() == doc:
                doc = None
            else:
                out.append(line)
            continue
        words = line.split()
        if words and words[0].split("/")[-1] == "setkey" and "<<" in line:
            m = re.search(r"<<-?\s*['\"]?(\w+)", line)
            doc, found = m.group(1), True
    return "\n".join(out) if found else "\n".join(lines)


def key_of(tok):
    if tok.startswith('"'):
        return tok[1:-1].encode()
    if tok.lower().startswith("0x"):
        return bytes.fromhex(tok[2:])
    raise ValueError("key %r" % tok)


def parse_adds(path):
    """The add statements: dicts of src, dst, spi, ealg, ekey, aalg, akey."""
    text = re.sub(r"#[^\n]*", "", setkey_text(path))
    sas = []
    for stmt in text.split(";"):
        toks = re.findall(r'"[^"]*"|[^\s]+', stmt)
        if not toks or toks[0] != "add":
            continue
        toks = [t for t in toks[1:] if not re.fullmatch(r"-[46n]+", t)]
        sa = {"src": toks[0], "dst": toks[1], "proto": toks[2],
              "spi": int(toks[3], 0), "ealg": None, "ekey": b"",
              "aalg": "null", "akey": b""}
        i = 4
        while i < len(toks):
            t = toks[i]
            if t in ("-E", "-A"):
                alg = toks[i + 1]
                key = b""
                if i + 2 < len(toks) and not toks[i + 2].startswith("-"):
                    key = key_of(toks[i + 2])
                    i += 1
                if t == "-E":
                    sa["ealg"], sa["ekey"] = alg, key
                else:
                    sa["aalg"], sa["akey"] = alg, key
                i += 2
            elif t in ("-m", "-r", "-u", "-f", "-lh", "-ls", "-bh", "-bs"):
                i += 2
            else:
                raise ValueError("unknown option %s in add" % t)
        if sa["proto"] == "esp":
            sas.append(sa)
    return sas


def make_sa(sa, tunnel):
    """scapy's SA for one add statement; tunnel = (src, dst) or None."""
    if sa["aalg"] not in AUTH:
        raise ValueError("scapy has no %s" % sa["aalg"])
    hdr = IP(src=tunnel[0], dst=tunnel[1]) if tunnel else None
    return SecurityAssociation(ESP, spi=sa["spi"],
                               crypt_algo=CRYPT[sa["ealg"]],
                               crypt_key=sa["ekey"] or None,
                               auth_algo=AUTH[sa["aalg"]],
                               auth_key=sa["akey"] or None,
                               tunnel_header=hdr)


def inet_cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


class Peer:
    def __init__(self, a, spec, sas):
        parts = spec.split(",")
        self.endpoint, self.inner_src = parts[0], parts[1]
        self.serve_addr = parts[2] if len(parts) > 2 else parts[1]
        self.gif = a.mode == "gif"
        out = [s for s in sas if s["src"] == self.endpoint and s["dst"] == a.daemon]
        inn = [s for s in sas if s["src"] == a.daemon and s["dst"] == self.endpoint]
        if len(out) != 1 or len(inn) != 1:
            raise ValueError("%s: %d SAs to the daemon, %d from it"
                             % (self.endpoint, len(out), len(inn)))
        self.out_spi, self.in_spi = out[0]["spi"], inn[0]["spi"]
        tun_out = None if self.gif else (self.endpoint, a.daemon)
        tun_in = None if self.gif else (a.daemon, self.endpoint)
        self.sa_out = make_sa(out[0], tun_out)
        self.sa_in = make_sa(inn[0], tun_in)
        self.daemon = a.daemon
        self.seq = 1
        self.s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
        self.s.bind((self.endpoint, 0))
        self.res = {"endpoint": self.endpoint, "replies": 0, "answered": 0,
                    "errors": []}

    def err(self, msg):
        self.res["errors"].append(msg)

    def send_inner(self, inner):
        if self.gif:
            # gif(4): IP-in-IP between the endpoints, then transport ESP
            pkt = IP(src=self.endpoint, dst=self.daemon, proto=4) / inner
            pkt = IP(raw(pkt))
        else:
            pkt = inner
        enc = self.sa_out.encrypt(pkt, seq_num=self.seq)
        self.seq += 1
        self.s.sendto(raw(enc[ESP]), (self.daemon, 0))

    def recv_inner(self, data):
        """The inner IP packet of raw ESP bytes from the daemon; None
        for what is not one (a keepalive: next header 59)."""
        ihl = (data[0] & 15) * 4
        if socket.inet_ntoa(data[12:16]) != self.daemon:
            return None
        esp = data[ihl:]
        spi = struct.unpack("!I", esp[:4])[0]
        if spi != self.in_spi:
            self.err("ESP with SPI 0x%08x, expected 0x%08x" % (spi, self.in_spi))
            return None
        pkt = IP(raw(IP(src=self.daemon, dst=self.endpoint, proto=50) / Raw(esp)))
        try:
            dec = self.sa_in.decrypt(pkt.copy())
        except Exception as e:      # an ICV that does not verify, above all
            self.err("decrypt: %s" % e)
            return None
        if self.gif:
            # transport mode: IP(protocol 4) / IP(inner)
            if dec[IP].proto != 4:
                return None
            b = raw(dec[IP].payload)
        else:
            b = raw(dec)
        if len(b) < 20 or b[0] >> 4 != 4:
            return None
        return b


def check_icmp(peer, b, want_type):
    ip = IP(b)
    if inet_cksum(b[:(b[0] & 15) * 4]) != 0xffff:
        peer.err("bad IPv4 header checksum: %s" % b.hex())
        return None
    if ip.proto != 1 or inet_cksum(b[(b[0] & 15) * 4:]) != 0xffff:
        peer.err("not ICMP or a bad ICMP checksum: %s" % ip.summary())
        return None
    if ip[ICMP].type != want_type:
        return None
    return ip


def run(a):
    if a.sha2_96:
        sha2_96()
    sas = parse_adds(a.script)
    peers = [Peer(a, spec, sas) for spec in a.peer]
    by_sock = {p.s: p for p in peers}
    ident = 0x6b61

    def recv(timeout):
        r, _, _ = select.select(list(by_sock), [], [], timeout)
        got = []
        for s in r:
            data, _ = s.recvfrom(65535)
            p = by_sock[s]
            b = p.recv_inner(data)
            if b is not None:
                got.append((p, b))
        return got

    # Requests to the daemon's side, replies back.
    for p in peers:
        for i in range(a.count):
            payload = bytes((i * 7 + j) & 0xff for j in range(48))
            req = IP(raw(IP(src=p.inner_src, dst=a.inner_dst, ttl=64) /
                         ICMP(type=8, id=ident, seq=i + 1) / Raw(payload)))
            p.send_inner(req)
            end = time.monotonic() + a.timeout
            while time.monotonic() < end:
                done = False
                for q, b in recv(end - time.monotonic()):
                    ip = check_icmp(q, b, 0)
                    if ip is None or q is not p:
                        continue
                    ic = ip[ICMP]
                    if (ip.src, ip.dst) != (a.inner_dst, p.inner_src):
                        p.err("reply %s -> %s" % (ip.src, ip.dst))
                    if (ic.id, ic.seq) != (ident, i + 1):
                        p.err("reply id %#x seq %d, expected %#x %d"
                              % (ic.id, ic.seq, ident, i + 1))
                    elif bytes(ic.payload) != payload:
                        p.err("reply %d: payload differs" % (i + 1))
                    else:
                        p.res["replies"] += 1
                    done = True
                if done:
                    break
            else:
                p.err("no reply to request %d within %.1f s" % (i + 1, a.timeout))

    # Requests from the daemon's side, answered here.
    if a.ready:
        open(a.ready, "w").write("ready\n")
    end = time.monotonic() + a.serve_timeout
    while (a.serve and any(p.res["answered"] < a.serve for p in peers) and
           time.monotonic() < end):
        for p, b in recv(end - time.monotonic()):
            ip = check_icmp(p, b, 8)
            if ip is None:
                continue
            if ip.dst != p.serve_addr:
                p.err("request to %s, expected %s" % (ip.dst, p.serve_addr))
                continue
            ic = ip[ICMP]
            rep = IP(raw(IP(src=ip.dst, dst=ip.src, ttl=64) /
                         ICMP(type=0, id=ic.id, seq=ic.seq) /
                         Raw(bytes(ic.payload))))
            p.send_inner(rep)
            p.res["answered"] += 1
    for p in peers:
        if a.serve and p.res["answered"] < a.serve:
            p.err("answered %d requests from the daemon's side, expected %d"
                  % (p.res["answered"], a.serve))
    res = {"peers": [p.res for p in peers],
           "errors": sum((p.res["errors"] for p in peers), [])}
    print(json.dumps(res))
    return 0 if not res["errors"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sp = ap.add_subparsers(dest="cmd", required=True)
    r = sp.add_parser("run")
    r.add_argument("--script", required=True)
    r.add_argument("--daemon", required=True, help="the daemon's outer address")
    r.add_argument("--inner-dst", required=True)
    r.add_argument("--peer", action="append", required=True,
                   help="ENDPOINT,INNER_SRC[,SERVE_ADDR]")
    r.add_argument("--mode", choices=["tunnel", "gif"], default="tunnel")
    r.add_argument("--count", type=int, default=2)
    r.add_argument("--serve", type=int, default=0)
    r.add_argument("--ready")
    r.add_argument("--timeout", type=float, default=3.0)
    r.add_argument("--serve-timeout", type=float, default=20.0)
    r.add_argument("--sha2-96", action="store_true",
                   help="hmac-sha2-* truncated to 96 bits")
    p = sp.add_parser("sas", help="print the add statements as JSON")
    p.add_argument("script")
    a = ap.parse_args()
    if a.cmd == "sas":
        print(json.dumps([dict(s, ekey=s["ekey"].hex(), akey=s["akey"].hex())
                          for s in parse_adds(a.script)]))
        return 0
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
