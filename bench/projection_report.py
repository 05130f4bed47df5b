#!/usr/bin/python3
"""bench/projection_report.py DIR TXT PNG: the tables of bench/projection.

DIR holds what bench/projection left: "meta" (the machine, one line each),
"runs" (lines "CAPS SUITE SIZE N WIRE") and per run two callgrind profiles,
CAPS__SUITE__SIZE.enc and .dec (SUITE with "/" as "+"), each collected only
inside phase_encrypt or phase_decrypt of bench/esp_cost, with
--dump-instr=yes; "engine_runs" and engine486__SUITE__SIZE.enc/.dec the
same for bench/engine_cost, collected inside the engine's callbacks.

Per run and direction, per packet: the instructions of the phase (its
inclusive cost, read by callgrind_annotate and by the parser below, which
must agree), those spent inside OpenSSL's Blowfish and inside its SHA-1 or
SHA-256 (a function whose name matches, plus all it calls), the rest, and
the throughput that many instructions give at 133 MHz and IPC 0.5 and 0.8.
Also counts the instructions of CPU extensions (SSSE3 and later, AVX,
AES-NI, SHA, BMI...) executed in OpenSSL and libc, from the instruction
addresses of the profiles and objdump: the check that OPENSSL_ia32cap and
GLIBC_TUNABLES took those code paths out of the "486" runs (Debian's
libcrypto is stripped, so its assembler routines have no names to look
at). Writes TXT, prints the same, and draws PNG when matplotlib is there.
"""
import collections
import importlib.util
import os
import re
import subprocess
import sys

MHZ = 133
PAPER_MBPS = 1.6

# The irreducible work: OpenSSL's Blowfish rounds and CBC loop, and the
# SHA compression. SHA1_Update/Final count with the block function under
# them because a stripped libcrypto names only the exported functions.
CIPHER_CORE = re.compile(r"^BF_(encrypt|decrypt|cbc_encrypt|ecb_encrypt)$")
HASH_CORE = re.compile(r"^(SHA1|SHA256)_(Update|Final|Transform)$|"
                       r"^sha(1|256)_block_data_order")
PHASE = re.compile(r"^phase_(encrypt|decrypt)")
# bench/engine_cost: the engine's event callbacks are what is collected.
ENGINE_PHASE = re.compile(r"^(tun_read_cb|flush_cb|outer_read_cb)$")
ESP_LIB = re.compile(r"^esp_(encap|decap|accept)$")
# Part of the rest: random CBC IVs from OpenSSL's DRBG.
RNG = re.compile(r"^crypto_random")
# Instructions of the extensions OPENSSL_ia32cap selects (SSSE3 and later,
# AVX, AES-NI, PCLMULQDQ, SHA, BMI, ADX, MOVBE): none of them may run in
# the 486 stand-in. SSE2 is x86-64's baseline: the compiler uses its xmm
# registers for plain struct copies in C, so it is counted apart.
EXT = re.compile(r"%[yz]mm[0-9]|^\s*(v[a-z]|aes|pclmul|sha(1|256)|pshufb|"
                 r"palignr|ph(add|sub)|pmaddubsw|pmulhrsw|psign|pabs|ptest|"
                 r"p?blend|pmov[sz]x|pmul(dq|ld)|pcmp(eq|gt)q|packusdw|"
                 r"pm(in|ax)(sb|sd|ud|uw)|round|dpp|insertps|extractps|"
                 r"movntdqa|mpsadbw|phminposuw|pinsr[bdq]|pextr[bdq]|crc32|"
                 r"popcnt|lzcnt|tzcnt|andn |bextr|bls|bzhi|mulx|pdep|pext |"
                 r"rorx|sarx|shlx|shrx|adcx|adox|movbe)")
SSE = re.compile(r"%x?mm[0-9]")
OPENSSL_OBJ = re.compile(r"/(libcrypto\.so[^/]*|legacy\.so)$")
LIBC_OBJ = re.compile(r"/libc\.so[^/]*$")


class Profile:
    """One callgrind dump: self cost per (object, function) in excl,
    inclusive cost per call arc, and cost per instruction address per
    object."""

    def __init__(self, path):
        self.excl = collections.Counter()
        self.arcs = collections.Counter()
        self.instr = collections.defaultdict(collections.Counter)
        self.summary = None
        self._parse(path)

    def _parse(self, path):
        names = {"ob": {}, "fl": {}, "fn": {}}
        space = {"ob": "ob", "cob": "ob", "fn": "fn", "cfn": "fn",
                 "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl",
                 "cfl": "fl"}
        positions, ir_at = ["line"], 0
        last = [0]
        ob = fn = cob = cfn = None
        in_call = False
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line[0] == "#":
                    continue
                c = line[0]
                if c.isdigit() or c in "+-*":
                    tok = line.split()
                    for i in range(len(positions)):
                        t = tok[i]
                        if t == "*":
                            pass
                        elif t[0] in "+-":
                            last[i] += int(t)
                        else:
                            last[i] = int(t, 0)
                    ev = tok[len(positions):]
                    ir = int(ev[ir_at]) if len(ev) > ir_at else 0
                    if in_call:
                        self.arcs[(ob, fn), (cob or ob, cfn)] += ir
                        in_call, cob = False, None
                    else:
                        self.excl[ob, fn] += ir
                        if "instr" in positions:
                            self.instr[ob][last[positions.index("instr")]] += ir
                    continue
                key, sep, val = line.partition("=")
                if sep and key in space:
                    m = re.match(r"\((\d+)\)(?: (.*))?$", val)
                    tab = names[space[key]]
                    if m:
                        if m.group(2) is not None:
                            tab[m.group(1)] = m.group(2)
                        val = tab[m.group(1)]
                    if key == "ob":
                        ob = val
                    elif key == "fn":
                        fn = val
                    elif key == "cob":
                        cob = val
                    elif key == "cfn":
                        cfn = val
                    continue
                if key == "calls":
                    # The target's position is not a cost line: it moves
                    # no relative position.
                    in_call = True
                    continue
                key, sep, val = line.partition(":")
                if not sep:
                    continue
                if key == "positions":
                    positions = val.split()
                    last = [0] * len(positions)
                elif key == "events":
                    ir_at = val.split().index("Ir")
                elif key == "summary":
                    self.summary = int(val.split()[ir_at])

    def phase(self, pat=PHASE):
        """Inclusive cost of the phase functions: the calls into them."""
        return sum(c for (_, g), c in self.arcs.items() if pat.match(g[1]))

    def inside(self, pat):
        """Instructions executed while a function matching pat ran."""
        n = sum(c for f, c in self.excl.items() if pat.search(f[1]))
        n += sum(c for (f, g), c in self.arcs.items()
                 if pat.search(f[1]) and not pat.search(g[1]))
        return n


def annotate_phase(path):
    """The phase's inclusive cost as callgrind_annotate reports it."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                          "--threshold=100", path], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) .*:phase_(en|de)crypt[^ ]* \[", line)
        if m:
            return int(m.group(1).replace(",", ""))
    return None


def disassemble(obj, wanted):
    """Instruction text at the wanted addresses of an object."""
    text = {}
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", obj],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t(.*)", line)
        if m:
            a = int(m.group(1), 16)
            if a in wanted:
                text[a] = m.group(2)
    return text


def simd_counts(runs):
    """Per run and direction: extension instructions (EXT) executed in
    OpenSSL and in libc, other SSE/SSE2 instructions in both, and
    instructions at addresses objdump did not list."""
    wanted = collections.defaultdict(set)
    for r in runs:
        for d in ("enc", "dec"):
            for ob, addrs in r[d].instr.items():
                if OPENSSL_OBJ.search(ob) or LIBC_OBJ.search(ob):
                    wanted[ob].update(addrs)
    dis = {ob: disassemble(ob, a) for ob, a in wanted.items()}
    for r in runs:
        for d in ("enc", "dec"):
            ssl = libc = sse = unknown = 0
            for ob, addrs in r[d].instr.items():
                if ob not in dis:
                    continue
                for a, n in addrs.items():
                    t = dis[ob].get(a)
                    if t is None:
                        unknown += n
                    elif EXT.search(t):
                        if LIBC_OBJ.search(ob):
                            libc += n
                        else:
                            ssl += n
                    elif SSE.search(t):
                        sse += n
            r["simd_" + d] = (ssl, libc, sse, unknown)


def mbps(instr, size, ipc):
    return MHZ * 1e6 * ipc / instr * size * 8 / 1e6


def aead(suite):
    return suite.split("/")[0].startswith(("aes-gcm", "chacha20"))


def load(d, name="runs", pat=PHASE):
    runs = []
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return runs
    with open(path) as f:
        for line in f:
            caps, suite, size, n, wire = line.split()
            base = os.path.join(d, "%s__%s__%s" % (caps, suite.replace(
                "/", "+"), size))
            r = {"caps": caps, "suite": suite, "size": int(size),
                 "n": int(n), "wire": int(wire)}
            for dname in ("enc", "dec"):
                p = Profile(base + "." + dname)
                total = p.phase(pat)
                if total != p.summary or total != annotate_phase(
                        base + "." + dname):
                    sys.exit("projection_report: %s.%s: phase %d, summary "
                             "%s, callgrind_annotate disagrees" %
                             (base, dname, total, p.summary))
                r[dname] = p
                r[dname + "_total"] = total / r["n"]
                r[dname + "_bf"] = p.inside(CIPHER_CORE) / r["n"]
                r[dname + "_sha"] = p.inside(HASH_CORE) / r["n"]
                r[dname + "_rng"] = p.inside(RNG) / r["n"]
                r[dname + "_esp"] = p.inside(ESP_LIB) / r["n"]
            runs.append(r)
    return runs


def fmt(x):
    return "{:,.0f}".format(x)


def targets(runs):
    """The targets of bench/projection, on the 486 stand-in: a list of
    (met, run, direction, short text for the table, line for the list)."""
    res = []

    def find(cipher, auth, size):
        for r in runs:
            c, a = r["suite"].split("/")
            if (r["caps"] == "486" and c.startswith(cipher) and a == auth
                    and r["size"] == size):
                return r
        return None

    r = find("blowfish-cbc", "hmac-sha1-96", 1400)
    if r:
        rest = r["enc_total"] - r["enc_bf"] - r["enc_sha"]
        s = "%s 1400-byte encrypt" % r["suite"]
        res.append((rest <= 5000, r, "enc", "rest<=5,000",
                    "%s: %s instructions outside Blowfish and SHA-1 <= 5,000"
                    % (s, fmt(rest))))
        for ipc, bound in ((0.8, 12), (0.5, 8)):
            m = mbps(r["enc_total"], 1400, ipc)
            res.append((m >= bound, r, "enc", ">=%d@%.1f" % (bound, ipc),
                        "%s: %.1f Mbit/s at IPC %.1f >= %d" %
                        (s, m, ipc, bound)))
    r = find("blowfish-cbc", "none", 64)
    if r:
        res.append((r["enc_total"] <= 8000, r, "enc", "total<=8,000",
                    "%s 64-byte encrypt: %s instructions <= 8,000" %
                    (r["suite"], fmt(r["enc_total"]))))
    return res


def report_engine(eruns, runs):
    """The engine's whole user-space path beside the ESP calls alone."""
    if not eruns:
        return []
    by = {(r["caps"], r["suite"], r["size"]): r for r in runs}
    out = ["The engine's whole user-space path (bench/engine_cost: a "
           "running engine whose tun is the device double, its peer on "
           "loopback; callgrind collects tun_read_cb, the send batch's "
           "flush and outer_read_cb, in bursts of 64, over %d packets), "
           "486 stand-in. ESP: esp_encap, or esp_decap + esp_accept, "
           "inside it; engine: the rest (reading the tun, parsing, policy, "
           "SA lookup, sequence numbers, the send batch, receiving, the "
           "policy check, writing the tun; the system calls' user-space "
           "side only). ESP alone: the table above." % eruns[0]["n"], "",
           "| suite | bytes | dir | instr/pkt | ESP | engine | ESP alone "
           "(above) | Mbit/s IPC 0.5 | Mbit/s IPC 0.8 | enc+dec each way "
           "IPC 0.5 |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in eruns:
        lib = by.get(("486", r["suite"], r["size"]))
        both = r["enc_total"] + r["dec_total"]
        for d, dname in (("enc", "encrypt"), ("dec", "decrypt")):
            t = r[d + "_total"]
            out.append("| %s | %d | %s | %s | %s | %s | %s | %.1f | %.1f | "
                       "%s |" % (
                           r["suite"], r["size"], dname, fmt(t),
                           fmt(r[d + "_esp"]), fmt(t - r[d + "_esp"]),
                           fmt(lib[d + "_total"]) if lib else "-",
                           mbps(t, r["size"], 0.5), mbps(t, r["size"], 0.8),
                           "%.1f" % mbps(both, r["size"], 0.5)
                           if d == "enc" else ""))
    out.append("")
    out.append("targets on the whole path (486 stand-in):")
    for r in eruns:
        c, a = r["suite"].split("/")
        if c.startswith("blowfish-cbc") and a == "hmac-sha1-96" and \
                r["size"] == 1400:
            rest = r["enc_total"] - r["enc_bf"] - r["enc_sha"]
            checks = [(rest <= 5000, "%s instructions outside Blowfish and "
                       "SHA-1 <= 5,000" % fmt(rest))]
            for ipc, bound in ((0.8, 12), (0.5, 8)):
                m = mbps(r["enc_total"], 1400, ipc)
                checks.append((m >= bound, "%.1f Mbit/s at IPC %.1f >= %d" %
                               (m, ipc, bound)))
        elif c.startswith("blowfish-cbc") and a == "none" and \
                r["size"] == 64:
            checks = [(r["enc_total"] <= 8000, "%s instructions <= 8,000" %
                       fmt(r["enc_total"]))]
        else:
            continue
        for ok, text in checks:
            out.append("  %-6s %s %d-byte encrypt, engine and ESP: %s" % (
                "met" if ok else "MISSED", r["suite"], r["size"], text))
    out.append("")
    return out


def report(runs, meta):
    out = []
    tg = targets(runs)
    n = runs[0]["n"]
    out += meta
    out.append("")
    out.append("Instructions per packet of the user-space ESP path (callgrind "
               "Ir of phase_encrypt = esp_encap, or phase_decrypt = esp_decap "
               "+ esp_accept, over %d packets, set-up excluded), in the 486 "
               "stand-in: OpenSSL without its SIMD, AES-NI and SHA code "
               "paths (OPENSSL_ia32cap), glibc without AVX and SSSE3/4 "
               "(GLIBC_TUNABLES). Blowfish: BF_encrypt/BF_decrypt/"
               "BF_cbc_encrypt and what they call; SHA: SHA1_Update/"
               "SHA1_Final/sha1_block_data_order* (and SHA-256's); rest: "
               "everything else, of it RNG: crypto_random (CBC IVs). Mbit/s of inner packets at %d MHz: %d e6 "
               "* IPC / instructions * bytes * 8. The paper's router had to "
               "carry %.1f Mbit/s of video each way." %
               (n, MHZ, MHZ, PAPER_MBPS))
    out.append("")
    out.append("| suite | bytes | dir | instr/pkt | Blowfish | SHA | rest | "
               "of it RNG | Mbit/s IPC 0.5 | Mbit/s IPC 0.8 | x 1.6 Mbit/s "
               "(IPC 0.5) | target |")
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in runs:
        if r["caps"] != "486":
            continue
        for d, dname in (("enc", "encrypt"), ("dec", "decrypt")):
            t = r[d + "_total"]
            if aead(r["suite"]):
                bf = sha = rest = rng = "-"
            else:
                bf, sha = fmt(r[d + "_bf"]), fmt(r[d + "_sha"])
                rest = fmt(t - r[d + "_bf"] - r[d + "_sha"])
                rng = fmt(r[d + "_rng"])
            mark = ["%s %s" % (w, "met" if ok else "MISSED")
                    for ok, rr, dd, w, _ in tg if rr is r and dd == d]
            out.append("| %s | %d | %s | %s | %s | %s | %s | %s | %.1f | "
                       "%.1f | %.1f | %s |" % (
                           r["suite"], r["size"], dname, fmt(t), bf, sha,
                           rest, rng, mbps(t, r["size"], 0.5),
                           mbps(t, r["size"], 0.8),
                           mbps(t, r["size"], 0.5) / PAPER_MBPS,
                           "; ".join(mark)))
    out.append("")
    out.append("Both directions at once (one CPU encrypts and decrypts the "
               "same rate): Mbit/s each way, against the paper's %.1f:" %
               PAPER_MBPS)
    out.append("")
    out.append("| suite | bytes | wire bytes | instr enc+dec | each way IPC "
               "0.5 | each way IPC 0.8 |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in runs:
        if r["caps"] != "486":
            continue
        t = r["enc_total"] + r["dec_total"]
        out.append("| %s | %d | %d | %s | %.1f | %.1f |" % (
            r["suite"], r["size"], r["wire"], fmt(t), mbps(t, r["size"], 0.5),
            mbps(t, r["size"], 0.8)))
    out.append("")
    out.append("The 486 stand-in beside OpenSSL's and glibc's default code "
               "paths on this CPU under valgrind (which offers no SHA or "
               "AVX-512 instructions); ext: instructions executed per packet "
               "from the extensions OPENSSL_ia32cap selects (SSSE3 and "
               "later, AVX, AES-NI, PCLMULQDQ, SHA, BMI, ADX, MOVBE); SSE2: "
               "other xmm instructions, x86-64's baseline, which the "
               "compiler uses for struct copies and glibc for strings:")
    out.append("")
    out.append("| suite | bytes | dir | instr 486 | instr default | SHA 486 | "
               "SHA default | ext OpenSSL 486 | ext libc 486 | ext OpenSSL "
               "default | SSE2 486 |")
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by = {(r["caps"], r["suite"], r["size"]): r for r in runs}
    unknown = ext486 = 0
    for r in runs:
        if r["caps"] != "486":
            continue
        nat = by.get(("native", r["suite"], r["size"]))
        for d, dname in (("enc", "encrypt"), ("dec", "decrypt")):
            s4 = r["simd_" + d]
            unknown += s4[3]
            ext486 += s4[0] + s4[1]
            row = [r["suite"], str(r["size"]), dname, fmt(r[d + "_total"]),
                   "-", fmt(r[d + "_sha"]), "-", fmt(s4[0] / r["n"]),
                   fmt(s4[1] / r["n"]), "-", fmt(s4[2] / r["n"])]
            if nat:
                sn = nat["simd_" + d]
                unknown += sn[3]
                row[4] = fmt(nat[d + "_total"])
                row[6] = fmt(nat[d + "_sha"])
                row[9] = fmt(sn[0] / nat["n"])
            out.append("| " + " | ".join(row) + " |")
    out.append("")
    out.append("check: %s extension instructions executed in OpenSSL and "
               "libc in the 486 runs (0: OPENSSL_ia32cap and GLIBC_TUNABLES "
               "took every such code path out); %d instructions at "
               "addresses objdump did not list; each phase's total agrees "
               "with callgrind_annotate's inclusive cost." %
               (fmt(ext486), unknown))
    out.append("")
    out.append("targets (486 stand-in):")
    for ok, _, _, _, text in tg:
        out.append("  %-6s %s" % ("met" if ok else "MISSED", text))
    out.append("")
    out.append("Caveats: these are x86-64 instructions of OpenSSL's C and "
               "integer assembler code standing in for the IA-32 code a 486 "
               "would run; the IPC of a 486-class core on this code is "
               "assumed (0.5 and 0.8), not measured; kernel and device work "
               "(tun, UDP socket, the NICs) is not counted. Instruction "
               "counts do not depend on the load of the machine.")
    return out


def plot(runs, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in runs if r["caps"] == "486"]
    labels, bf, sha, rest, m5, m8 = [], [], [], [], [], []
    for r in rows:
        for d in ("enc", "dec"):
            labels.append("%s\n%d %s" % (r["suite"].replace("/", "/\n"),
                                          r["size"], d))
            t = r[d + "_total"]
            if aead(r["suite"]):
                b = s = 0
            else:
                b, s = r[d + "_bf"], r[d + "_sha"]
            bf.append(b / 1000)
            sha.append(s / 1000)
            rest.append((t - b - s) / 1000)
            m5.append(mbps(t, r["size"], 0.5))
            m8.append(mbps(t, r["size"], 0.8))
    x = range(len(labels))
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(max(10, len(labels) * 0.6),
                                                 9), sharex=True)
    a1.bar(x, bf, label="Blowfish", color="tab:blue")
    a1.bar(x, sha, bottom=bf, label="SHA", color="tab:green")
    a1.bar(x, rest, bottom=[b + s for b, s in zip(bf, sha)],
           label="rest (AEAD: all)", color="tab:orange")
    a1.set_ylabel("thousand instructions per packet")
    a1.set_title("bench/projection: ESP instructions per packet (callgrind, "
                 "486 stand-in)")
    a1.legend()
    w = 0.4
    a2.bar([i - w / 2 for i in x], m5, w, label="IPC 0.5", color="tab:gray")
    a2.bar([i + w / 2 for i in x], m8, w, label="IPC 0.8",
           color="tab:purple")
    a2.axhline(PAPER_MBPS, color="red", linestyle="--",
               label="paper: %.1f Mbit/s each way" % PAPER_MBPS)
    a2.set_ylabel("Mbit/s at %d MHz" % MHZ)
    a2.legend()
    a2.set_xticks(list(x))
    a2.set_xticklabels(labels, rotation=90, fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=80)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: projection_report.py DIR TXT PNG")
    d, txt, png = sys.argv[1:]
    with open(os.path.join(d, "meta")) as f:
        meta = f.read().splitlines()
    runs = load(d)
    eruns = load(d, "engine_runs", ENGINE_PHASE)
    simd_counts(runs)
    lines = report(runs, meta)
    at = lines.index("targets (486 stand-in):")
    lines[at:at] = report_engine(eruns, runs)
    with open(txt, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if importlib.util.find_spec("matplotlib") is None:
        print("\nno PNG: /usr/bin/python3 has no matplotlib "
              "(apt-get install python3-matplotlib)")
        return
    plot(runs, png)
    print("\nwrote %s and %s" % (txt, png))


if __name__ == "__main__":
    main()
