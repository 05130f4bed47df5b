#!/usr/bin/python3
"""Frames into a tap device for the bridge QoS test (standard library only).

    tapflood.py IFACE SECONDS FRAMES_PER_S SIZE
        broadcast IPX frames (Ethernet II, type 0x8137, to the SAP socket
        0x0452, as a NetWare server's SAP broadcasts are) of SIZE bytes,
        FRAMES_PER_S for SECONDS, written to IFACE with an AF_PACKET
        socket: the tap's driver hands them to vpntund as frames read from
        the tap. Prints the number of frames the kernel took.
"""
import socket
import struct
import sys
import time


def ipx_broadcast(size, seq):
    eth = b"\xff" * 6 + bytes.fromhex("020000000a01") + b"\x81\x37"
    length = size - len(eth)
    # IPX: checksum 0xffff, length, transport control 0, type 4 (PEP),
    # destination net 0, node broadcast, socket 0x0452 (SAP); source net
    # 0, our node, socket 0x4000
    ipx = struct.pack("!HHBB4s6sH4s6sH", 0xFFFF, length, 0, 4, b"\0" * 4,
                      b"\xff" * 6, 0x0452, b"\0" * 4,
                      bytes.fromhex("020000000a01"), 0x4000)
    payload = struct.pack("!I", seq) + b"\x5a" * (length - len(ipx) - 4)
    return eth + ipx + payload


def main():
    iface, seconds, fps, size = sys.argv[1], float(sys.argv[2]), \
        int(sys.argv[3]), int(sys.argv[4])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    start = time.monotonic()
    sent = written = 0
    while True:
        now = time.monotonic()
        if now - start >= seconds:
            break
        due = int((now - start) * fps)
        while sent < due:
            try:
                s.send(ipx_broadcast(size, sent))
                written += 1
            except OSError:
                pass            # a full tap queue: the flood is the point
            sent += 1
        time.sleep(0.001)
    print(written)


if __name__ == "__main__":
    main()
