#!/usr/bin/python3
"""Checks captured ESP for reused nonces and sequence numbers, with keys
derived here as site.conf(5) KEYING AND RESTARTS documents (HKDF-SHA256 of
the key file's block), not by vpntund.

    espcheck.py SUITE ESN KEYFILE PEERS STATUS.json... -- CAPTURE.pcap...

SUITE is CIPHER[:KEYBITS][/AUTH] as in lib.sh (aes-gcm, chacha20-poly1305,
blowfish-cbc/hmac-sha1-96, ...); ESN is 0 or 1; PEERS names, comma-
separated, the peers in the statuses that KEYFILE keys. Each STATUS.json is a
`vpntunctl status --json` of one of the two ends taken during the run; from
them come the epochs every start used (the current one and those before it
since that start), the SPIs and which end is central. Every captured ESP
packet must authenticate under exactly one of those epochs' keys (control
packets, on the control SPIs, are counted apart). Then:

  - no (key, IV) pair may occur twice (for AEAD suites the nonce is the
    salt and the IV; for CBC the IV under the key),
  - no (key, sequence number) pair may occur twice.

Prints one summary line and exits 0, or prints what repeats and exits 1.
"""
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from scapy.all import IP, IPv6, UDP, rdpcap

SALT = b"vpntund keying v1"
KEYBITS = {"blowfish-cbc": 256, "3des-cbc": 192, "aes-cbc": 128,
           "aes-gcm": 256, "chacha20-poly1305": 256}
IVLEN = {"blowfish-cbc": 8, "3des-cbc": 8, "aes-cbc": 16, "aes-gcm": 8,
         "chacha20-poly1305": 8}
AUTH = {"none": (0, 0, None), "hmac-sha1-96": (20, 12, hashlib.sha1),
        "hmac-sha256-128": (32, 16, hashlib.sha256)}


def hkdf(prk, info, n):
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


class Suite:
    def __init__(self, text):
        cipher, _, auth = text.partition("/")
        cipher, _, bits = cipher.partition(":")
        self.cipher = cipher
        self.aead = cipher in ("aes-gcm", "chacha20-poly1305")
        self.keylen = int(bits or KEYBITS[cipher]) // 8
        self.salt = 4 if self.aead else 0
        auth = auth or ("none" if self.aead else "hmac-sha256-128")
        self.authlen, self.icv, self.digest = AUTH[auth]
        if self.aead:
            self.icv = 16
        self.ivlen = IVLEN[cipher]
        self.block = self.keylen + self.salt + self.authlen


def key_blocks(path, suite):
    hexs = ""
    with open(path) as f:
        for line in f:
            hexs += line.split("#", 1)[0].strip().replace(" ", "")
    raw = bytes.fromhex(hexs)
    n = suite.block
    if len(raw) != 2 * n:
        sys.exit("%s: %d bytes, want %d" % (path, len(raw), 2 * n))
    return raw[:n], raw[n:]          # central -> remote, remote -> central


class Key:
    """One epoch of one SA direction."""

    def __init__(self, suite, block, base, epoch):
        prk = hmac.new(SALT, block, hashlib.sha256).digest()
        okm = hkdf(prk, b"epoch" + struct.pack(">IQ", base, epoch), suite.block)
        self.suite, self.base, self.epoch = suite, base, epoch
        self.spi = base ^ (epoch & 1)
        self.enc = okm[:suite.keylen]
        self.salt = okm[suite.keylen:suite.keylen + suite.salt]
        self.auth = okm[suite.keylen + suite.salt:]
        self.name = "SA 0x%08x epoch %016x" % (base, epoch)

    def verify(self, esp, seq_hi):
        """True if esp (SPI .. ICV) authenticates under this key, trying
        the high half of the sequence number given."""
        s = self.suite
        if len(esp) < 8 + s.ivlen + s.icv:
            return False
        hdr, iv = esp[:8], esp[8:8 + s.ivlen]
        if s.aead:
            aad = hdr if seq_hi is None else hdr[:4] + struct.pack(">I", seq_hi) + hdr[4:]
            body = esp[8 + s.ivlen:]
            algo = AESGCM if s.cipher == "aes-gcm" else ChaCha20Poly1305
            try:
                algo(self.enc).decrypt(self.salt + iv, body, aad)
                return True
            except Exception:
                return False
        data, icv = esp[:-s.icv], esp[-s.icv:]
        if seq_hi is not None:
            data += struct.pack(">I", seq_hi)
        mac = hmac.new(self.auth, data, s.digest).digest()[:s.icv]
        return hmac.compare_digest(mac, icv)


def keys_from_status(paths, suite, blocks, names):
    keys, ctl = {}, set()
    for path in paths:
        with open(path) as f:
            st = json.load(f)
        central = st["role"] == "central"
        for peer in st["peers"]:
            if peer["name"] not in names:
                continue
            if peer.get("keying") != "derived":
                sys.exit("%s: peer %s is not derived keying" % (path, peer["name"]))
            for sa in peer["sas"]:
                if sa["dir"] != "out":
                    continue
                block = blocks[0] if central else blocks[1]
                epoch = int(sa["epoch"], 16)
                base = int(sa["spi"], 16) ^ (epoch & 1)
                for back in range(sa["epochs_begun"] + 1):
                    k = Key(suite, block, base, (epoch - back) % (1 << 64))
                    keys.setdefault(k.spi, {})[k.epoch] = k
            ctl.update(int(peer["sync"][x], 16) for x in ("spi_in", "spi_out"))
    return keys, ctl


def esp_packets(paths):
    for path in paths:
        for pkt in rdpcap(path):
            ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
            if ip is None:
                continue
            if UDP in pkt:
                data = bytes(pkt[UDP].payload)
                if len(data) < 8 or data[:4] == b"\0\0\0\0":
                    continue            # keepalive or IKE marker
            elif getattr(ip, "proto", getattr(ip, "nh", None)) == 50:
                data = bytes(ip.payload)
            else:
                continue
            yield path, data


def main(argv):
    if "--" not in argv or len(argv) < 7:
        sys.exit(__doc__)
    cut = argv.index("--")
    suite, esn, keyfile = Suite(argv[1]), argv[2] == "1", argv[3]
    names = set(argv[4].split(","))
    statuses, captures = argv[5:cut], argv[cut + 1:]
    keys, ctl = keys_from_status(statuses, suite, key_blocks(keyfile, suite), names)
    seen_iv, seen_seq, dups = {}, {}, []
    n = nctl = 0
    unknown = []
    for path, esp in esp_packets(captures):
        spi, seq = struct.unpack(">II", esp[:8])
        if spi in ctl:
            nctl += 1
            continue
        hit = None
        for k in keys.get(spi, {}).values():
            # Without ESN the high half is not there; with it, the
            # epochs begin at 1, so a capture of this size never leaves
            # the first 2^32 numbers.
            if k.verify(esp, 0 if esn else None):
                hit = k
                break
        if hit is None:
            unknown.append("%s: SPI 0x%08x seq %d" % (path, spi, seq))
            continue
        n += 1
        iv = esp[8:8 + suite.ivlen]
        for table, val, what in ((seen_iv, iv.hex(), "IV"), (seen_seq, seq, "sequence number")):
            key = (hit.name, val)
            if key in table:
                dups.append("%s: %s %s twice (%s, then %s)" % (hit.name, what, val, table[key], path))
            else:
                table[key] = path
    epochs = sum(len(v) for v in keys.values())
    print("espcheck: %d ESP packets under %d epochs' keys, %d control packets, "
          "%d unidentified, %d repeats" % (n, epochs, nctl, len(unknown), len(dups)))
    for line in unknown[:10] + dups[:20]:
        print("  " + line)
    return 1 if dups or unknown else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
