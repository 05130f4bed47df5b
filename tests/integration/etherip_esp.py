#!/usr/bin/python3
"""ESP(EtherIP(Ethernet)) with scapy's ESP and EtherIP (interop).

Run with Debian's /usr/bin/python3 (scapy 2.5, python3-cryptography). We
are the remote peer of a vpntund: we send with the key block remote ->
central and receive with central -> remote (docs/DESIGN.md "Keys"). The
SAs are transport-mode scapy SecurityAssociations over an IP packet of
protocol 97, so ESP's next header is 97 and its payload the EtherIP header
and the frame (RFC 3378). ESP rides UDP 4500 (RFC 3948).

    etherip_esp.py send SA-OPTIONS --spi SPI --frames FILE [--header H]
                   [--first-seq N] [--ip]
        one ESP packet per frame (hex, one a line) to --peer:4500 from
        --local:4500. --header rfc (scapy's EtherIP layer: 0x30 0x00),
        swapped (0x00 0x30), or 4 hex digits sent as they are; --ip sends
        the lines as IPv4 packets (next header 4) instead. Every packet is
        decrypted again here and compared with what was meant. Prints JSON.
    etherip_esp.py recv SA-OPTIONS --spi SPI --count N --out FILE
        [--timeout S]
        creates FILE.ready once bound, then decrypts the first N ESP packets
        from --peer (no keepalives): FILE gets one JSON object a line:
        {"seq", "nh", "etherip": hex of the 2 bytes, "ver", "reserved"
        (scapy's EtherIP fields), "frame": hex, "len": outer IP length}.
        Exit 1 on timeout or a failed integrity check.

SA-OPTIONS: --keyfile F --cipher C [--keybits N] [--auth A] --local ADDR
--peer ADDR. Suite names are vpntund's.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

import warnings
warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))

PORT = 4500


def load_scapy():
    """scapy takes a second to import: only the commands that need it do."""
    global IP, Raw, raw, ESP, SecurityAssociation, IPSecIntegrityError
    global EtherIP, Ether, scapy_esp
    from scapy.all import IP, Raw, raw, conf
    from scapy.layers.ipsec import ESP, SecurityAssociation, IPSecIntegrityError
    from scapy.contrib.etherip import EtherIP
    from scapy.layers.l2 import Ether
    import scapy_esp            # suites, key files, the SPI formula
    conf.verb = 0


def make_sa(a, spi, block):
    """Transport-mode SA of key block 0 (central -> remote) or 1."""
    keys = scapy_esp.read_keyfile(a.keyfile, a.cipher, a.keybits, a.auth)
    key, akey = keys[block]
    algo, _, aead = scapy_esp.CIPHERS[a.cipher]
    auth = "none" if aead else a.auth
    return SecurityAssociation(ESP, spi=spi, crypt_algo=algo, crypt_key=key,
                               auth_algo=scapy_esp.AUTHS[auth][0],
                               auth_key=akey or None)


def decrypt(sa, esp, src, dst):
    """(next header, payload bytes) of ESP bytes; raises on a bad ICV."""
    pkt = IP(raw(IP(src=src, dst=dst) / ESP(bytes(esp))))
    out = sa.decrypt(pkt.copy())           # decrypt() changes its argument
    b = raw(out)
    ihl = (b[0] & 15) * 4
    return out.proto, b[ihl:]


def send_main(a):
    sa = make_sa(a, a.spi, 1)
    frames = [bytes.fromhex(l.strip()) for l in open(a.frames) if l.strip()]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.local, PORT))
    res = {"sent": 0, "seqs": [], "errors": []}
    seq = a.first_seq
    for f in frames:
        if a.ip:
            want_nh, want = 4, f
            pkt = IP(src=a.local, dst=a.peer, proto=4) / Raw(f)
        elif a.header == "rfc":
            pkt = IP(src=a.local, dst=a.peer) / EtherIP() / Ether(f)
            want_nh, want = 97, b"\x30\x00" + f
        else:
            hdr = bytes.fromhex("0030" if a.header == "swapped" else a.header)
            pkt = IP(src=a.local, dst=a.peer, proto=97) / Raw(hdr + f)
            want_nh, want = 97, hdr + f
        pkt = IP(raw(pkt))
        if not a.ip and raw(pkt)[20:] != want:
            res["errors"].append("scapy built %s, not %s" % (raw(pkt)[20:].hex(), want.hex()))
        enc = sa.encrypt(pkt, seq_num=seq)
        esp = raw(enc[ESP])
        # what scapy made must say what we meant: decrypt it again
        nh, payload = decrypt(sa, esp, a.local, a.peer)
        if (nh, payload) != (want_nh, want):
            res["errors"].append("seq %d decrypts to nh %d %s" % (seq, nh, payload.hex()))
        s.sendto(esp, (a.peer, PORT))
        res["sent"] += 1
        res["seqs"].append(seq)
        seq += 1
    print(json.dumps(res))
    return 1 if res["errors"] else 0


def recv_main(a):
    sa = make_sa(a, a.spi, 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.local, PORT))
    open(a.out + ".ready", "w").close()
    end = time.monotonic() + a.timeout
    n = 0
    with open(a.out, "w") as out:
        while n < a.count:
            left = end - time.monotonic()
            if left <= 0:
                print("timeout: %d of %d ESP packets" % (n, a.count), file=sys.stderr)
                return 1
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            data, addr = s.recvfrom(65535)
            if addr[0] != a.peer or len(data) < 8 or data[:4] == b"\0\0\0\0":
                continue                    # keepalive, IKE marker, stranger
            spi, seq = struct.unpack("!II", data[:8])
            if spi != a.spi:
                print("SPI 0x%08x, expected 0x%08x" % (spi, a.spi), file=sys.stderr)
                return 1
            try:
                nh, payload = decrypt(sa, data, a.peer, a.local)
            except IPSecIntegrityError as e:
                print("seq %d: integrity check failed: %s" % (seq, e), file=sys.stderr)
                return 1
            rec = {"seq": seq, "nh": nh, "len": 20 + 8 + len(data)}
            if nh == 97:
                e = EtherIP(payload)
                rec.update(etherip=payload[:2].hex(), ver=e.version,
                           reserved=e.reserved, frame=payload[2:].hex())
            else:
                rec["payload"] = payload.hex()
            out.write(json.dumps(rec) + "\n")
            out.flush()
            n += 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    def sa_args(p):
        p.add_argument("--keyfile", required=True)
        p.add_argument("--cipher", required=True)
        p.add_argument("--keybits", type=int)
        p.add_argument("--auth", default="none")
        p.add_argument("--local", required=True)
        p.add_argument("--peer", required=True)
        p.add_argument("--spi", required=True, type=lambda x: int(x, 0))

    sp = sub.add_parser("send")
    sa_args(sp)
    sp.add_argument("--frames", required=True)
    sp.add_argument("--header", default="rfc")
    sp.add_argument("--first-seq", type=int, default=1)
    sp.add_argument("--ip", action="store_true")
    sp = sub.add_parser("recv")
    sa_args(sp)
    sp.add_argument("--count", type=int, required=True)
    sp.add_argument("--out", required=True)
    sp.add_argument("--timeout", type=float, default=20.0)
    a = ap.parse_args()
    load_scapy()
    if a.cipher not in scapy_esp.CIPHERS or a.auth not in scapy_esp.AUTHS:
        ap.error("unknown suite %s/%s" % (a.cipher, a.auth))
    if a.keybits is None:
        a.keybits = scapy_esp.DEFAULT_KEYBITS[a.cipher]
    return send_main(a) if a.cmd == "send" else recv_main(a)


if __name__ == "__main__":
    sys.exit(main())
