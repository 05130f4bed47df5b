#!/usr/bin/python3
"""One-shot TCP file transfer for the integration tests (standard library only).

    tcpxfer.py serve PORT OUTFILE      accept one connection on [::]:PORT
                                       (IPv4 too), write what it sends to
                                       OUTFILE; creates OUTFILE.ready once
                                       listening
    tcpxfer.py send HOST PORT INFILE   connect (retrying for 10 s), send
                                       INFILE, shut down the write side and
                                       wait for the server's close
Both give up after 30 s of silence.
"""
import socket
import sys
import time

TIMEOUT = 30.0


def serve(port, outfile):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    open(outfile + ".ready", "w").close()
    conn, peer = s.accept()
    conn.settimeout(TIMEOUT)
    n = 0
    with open(outfile, "wb") as f:
        while True:
            b = conn.recv(65536)
            if not b:
                break
            f.write(b)
            n += len(b)
    conn.close()
    s.close()
    print("received %d bytes from %s" % (n, peer[0]))


def send(host, port, infile):
    deadline = time.monotonic() + 10
    while True:
        try:
            c = socket.create_connection((host, port), timeout=TIMEOUT)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    c.settimeout(TIMEOUT)
    with open(infile, "rb") as f:
        data = f.read()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    while c.recv(4096):
        pass
    c.close()
    print("sent %d bytes" % len(data))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "serve":
        serve(int(a[1]), a[2])
    elif len(a) == 4 and a[0] == "send":
        send(a[1], int(a[2]), a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
