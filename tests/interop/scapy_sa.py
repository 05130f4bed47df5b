#!/usr/bin/python3
"""A KAME-like peer for `sa in` / `sa out`, built on scapy_esp.py.

Each direction has its own SPI, suite and key file of one block (cipher
key || auth key, hex), as a setkey(8) script keys them; the requests go
out with zero padding, as KAME's `-f zero-pad` sends. Run with Debian's
/usr/bin/python3 (scapy 2.5):

    scapy_sa.py exchange --send-key F --send-cipher C [--send-keybits N]
        --send-auth A --send-spi S  --recv-key F ... --recv-spi S
        --local A --peer B --inner-src X --inner-dst Y
        [--first-seq N] [--count N] [--zero-pad] [--save FILE]
        [--resend FILE] [--no-wait]

Sends --count ICMP echo requests (or, with --resend, the ESP bytes saved
by an earlier --save, as they were) and, unless --no-wait, decrypts the
echo reply to each with the receiving SA and checks it. Prints one JSON
object: what was sent, the replies' sequence numbers, the padding
lengths used, errors.
"""

import argparse
import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scapy_esp import (AUTHS, CIPHERS, DEFAULT_KEYBITS, Transport,  # noqa: E402
                       check_checksums, decrypt, encrypt, esp_info, make_sa)
from scapy.all import ICMP, IP, Raw, raw  # noqa: E402
from scapy.layers.ipsec import IPSecIntegrityError  # noqa: E402


def read_block(path, cipher, keybits, auth):
    """The one block of an `sa` key file: (cipher key || salt, auth key)."""
    text = "".join(line.split("#")[0] for line in open(path))
    data = bytes.fromhex(re.sub(r"\s+", "", text))
    klen = keybits // 8 + CIPHERS[cipher][1]
    if len(data) != klen + AUTHS[auth][1]:
        raise ValueError("%s: %d bytes, expected %d"
                         % (path, len(data), klen + AUTHS[auth][1]))
    return data[:klen], data[klen:]


def zero_padding(sa, padlens):
    """scapy 2.5 fills the padding with 1, 2, 3, ... in CryptAlgo.pad()
    (RFC 4303 2.4's default) and has no option for anything else. Its
    algorithm objects are shared by every SA (CRYPT_ALGOS), so this SA
    gets a copy whose pad() keeps scapy's length and writes zeros, as a
    KAME sender with -f zero-pad does. _encrypt_esp() encrypts and signs
    after pad(), so the ICV covers the zeros. padlens gets each length."""
    algo = copy.copy(sa.crypt_algo)
    scapy_pad = algo.pad

    def pad(esp):
        esp = scapy_pad(esp)
        esp.padding = b"\0" * esp.padlen
        padlens.append(esp.padlen)
        return esp
    algo.pad = pad
    sa.crypt_algo = algo


def exchange(a):
    k_send = read_block(a.send_key, a.send_cipher, a.send_keybits, a.send_auth)
    k_recv = read_block(a.recv_key, a.recv_cipher, a.recv_keybits, a.recv_auth)
    sa_out = make_sa(a.send_cipher, a.send_spi, k_send[0], a.send_auth,
                     k_send[1], a.local, a.peer)
    sa_in = make_sa(a.recv_cipher, a.recv_spi, k_recv[0], a.recv_auth,
                    k_recv[1], a.local, a.peer)
    res = {"sent": 0, "sent_seqs": [], "replies": 0, "reply_seqs": [],
           "padlens": [], "errors": []}
    if a.zero_pad:
        zero_padding(sa_out, res["padlens"])
    tr = Transport("udp", a.local, a.peer, 4500)
    ident = 0x4b41
    if a.resend:
        saved = json.load(open(a.resend))
        todo = [(bytes.fromhex(saved["esp"]), saved["icmp_seq"],
                 bytes.fromhex(saved["payload"]))]
    else:
        todo = []
        for i in range(a.count):
            payload = bytes((0x30 + i + j) & 0xff for j in range(a.size))
            req = IP(raw(IP(src=a.inner_src, dst=a.inner_dst, ttl=64,
                            id=0x2000 + i) /
                         ICMP(type=8, id=ident, seq=i + 1) / Raw(payload)))
            todo.append((encrypt(sa_out, req, a.first_seq + i), i + 1,
                         payload))
    if a.save:
        esp, iseq, payload = todo[a.save_index]
        with open(a.save, "w") as f:
            json.dump({"esp": esp.hex(), "icmp_seq": iseq,
                       "payload": payload.hex()}, f)
    for esp, iseq, payload in todo:
        tr.send(esp)
        res["sent"] += 1
        res["sent_seqs"].append(esp_info(esp, a.send_cipher)[1])
        if a.no_wait:
            continue
        got = tr.recv(a.timeout)
        if got is None:
            res["errors"].append("no reply to echo request %d within %.1f s"
                                 % (iseq, a.timeout))
            continue
        data = got[0]
        spi, rseq, _ = esp_info(data, a.recv_cipher)
        if spi != a.recv_spi:
            res["errors"].append("reply with SPI 0x%08x, expected 0x%08x"
                                 % (spi, a.recv_spi))
            continue
        try:
            inner = decrypt(sa_in, data)
        except IPSecIntegrityError as e:
            res["errors"].append("reply seq %d: ICV: %s" % (rseq, e))
            continue
        b = raw(inner)
        why = check_checksums(b)
        if why or ICMP not in inner or inner[ICMP].type != 0:
            res["errors"].append("reply seq %d: not a good echo reply: %s"
                                 % (rseq, why or inner.summary()))
            continue
        ic = inner[ICMP]
        if (inner[IP].src, inner[IP].dst) != (a.inner_dst, a.inner_src):
            res["errors"].append("echo reply %s -> %s"
                                 % (inner[IP].src, inner[IP].dst))
        if ic.id != ident or ic.seq != iseq:
            res["errors"].append("echo reply id %#x seq %d, expected %#x %d"
                                 % (ic.id, ic.seq, ident, iseq))
        if bytes(ic.payload) != payload:
            res["errors"].append("echo reply %d: payload differs" % iseq)
        res["reply_seqs"].append(rseq)
        res["replies"] += 1
    print(json.dumps(res))
    return 0 if not res["errors"] else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("exchange")
    for d in ("send", "recv"):
        sp.add_argument("--%s-key" % d, required=True)
        sp.add_argument("--%s-cipher" % d, required=True, choices=sorted(CIPHERS))
        sp.add_argument("--%s-keybits" % d, type=int)
        sp.add_argument("--%s-auth" % d, default="none", choices=sorted(AUTHS))
        sp.add_argument("--%s-spi" % d, required=True, type=lambda s: int(s, 0))
    sp.add_argument("--local", required=True)
    sp.add_argument("--peer", required=True)
    sp.add_argument("--inner-src", required=True)
    sp.add_argument("--inner-dst", required=True)
    sp.add_argument("--first-seq", type=int, default=1)
    sp.add_argument("--count", type=int, default=1)
    sp.add_argument("--size", type=int, default=52)
    sp.add_argument("--zero-pad", action="store_true")
    sp.add_argument("--save")
    sp.add_argument("--save-index", type=int, default=0)
    sp.add_argument("--resend")
    sp.add_argument("--no-wait", action="store_true")
    sp.add_argument("--timeout", type=float, default=5.0)
    a = ap.parse_args()
    for d in ("send", "recv"):
        if getattr(a, d + "_keybits") is None:
            setattr(a, d + "_keybits", DEFAULT_KEYBITS[getattr(a, d + "_cipher")])
    return exchange(a)


if __name__ == "__main__":
    sys.exit(main())
