#!/usr/bin/python3
"""Heap bytes of a massif.out file by the innermost function of one
binary on the allocating stack: who in vpntund asked for the memory,
whatever OpenSSL or libevent did below it.

    massif_callers.py BINARY_NAME FILE [FILE_N N]

With one file: the bytes of its last detailed snapshot (peak if none
later), by caller. With a second file and its peer count N (the first
file being a one-peer run): both, and (second - first) / (N - 1), the
bytes per additional peer of each caller.
"""
import re
import sys

NODE = re.compile(r"^( *)n(\d+): (\d+) (.*)$")


def snapshots(path):
    """[(kind, total, lines)] of detailed snapshots in file order."""
    out, cur, kind, total = [], None, None, 0
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("snapshot="):
                cur = None
            elif line.startswith("mem_heap_B="):
                total = int(line.split("=")[1])
            elif line.startswith("mem_heap_extra_B="):
                total += int(line.split("=")[1])
            elif line.startswith("heap_tree="):
                kind = line.split("=")[1]
                if kind != "empty":
                    cur = []
                    out.append((kind, total, cur))
            elif cur is not None and NODE.match(line):
                cur.append(line)
    return out


def by_caller(lines, binary):
    """{caller: bytes}: each stack's bytes go to its innermost frame in
    binary; stacks that never pass through it are 'outside'."""
    nodes = []
    for l in lines:
        m = NODE.match(l)
        nodes.append((len(m.group(1)), int(m.group(2)), int(m.group(3)),
                      m.group(4)))
    agg = {}
    pos = 0

    def walk(depth):
        nonlocal pos
        indent, nkids, nbytes, desc = nodes[pos]
        pos += 1
        name = None
        if "(in " in desc and desc.rstrip(")").endswith(binary) or \
                re.search(r"\((?!in )[^)]*\.c:\d+\)$", desc):
            m = re.match(r"0x[0-9A-F]+: ([^ ]+) ", desc)
            name = m.group(1) if m else desc
        if name is not None:
            agg[name] = agg.get(name, 0) + nbytes
            for _ in range(nkids):
                skip()
            return
        if nkids == 0:
            key = "(below threshold)" if "below massif's threshold" in desc \
                else "(outside %s)" % binary
            if depth > 0:
                agg[key] = agg.get(key, 0) + nbytes
            return
        for _ in range(nkids):
            walk(depth + 1)

    def skip():
        nonlocal pos
        _, nkids, _, _ = nodes[pos]
        pos += 1
        for _ in range(nkids):
            skip()

    if nodes:
        walk(0)
    return agg


def last_tree(path):
    snaps = snapshots(path)
    if not snaps:
        sys.exit("%s: no detailed snapshot" % path)
    return snaps[-1]


def main():
    binary = sys.argv[1]
    kind1, tot1, t1 = last_tree(sys.argv[2])
    a1 = by_caller(t1, binary)
    if len(sys.argv) < 5:
        print("heap %d B (%s snapshot), by caller in %s:" % (tot1, kind1,
                                                              binary))
        for k, v in sorted(a1.items(), key=lambda kv: -kv[1]):
            print("%12d  %s" % (v, k))
        return
    kind2, tot2, t2 = last_tree(sys.argv[3])
    n = int(sys.argv[4])
    a2 = by_caller(t2, binary)
    print("heap: %d B with 1 peer, %d B with %d peers (%s snapshots): "
          "%.0f B per additional peer" % (tot1, tot2, n, kind2,
                                          (tot2 - tot1) / (n - 1)))
    print("%12s %12s %10s  %s" % ("1 peer B", "%d peers B" % n, "B/peer",
                                  "caller in " + binary))
    keys = set(a1) | set(a2)
    for k in sorted(keys, key=lambda k: -(a2.get(k, 0) - a1.get(k, 0))):
        d = (a2.get(k, 0) - a1.get(k, 0)) / (n - 1)
        if abs(d) < 1 and a2.get(k, 0) < 4096:
            continue
        print("%12d %12d %10.0f  %s" % (a1.get(k, 0), a2.get(k, 0), d, k))


if __name__ == "__main__":
    main()
