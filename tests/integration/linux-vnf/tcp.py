#!/usr/bin/env python3
"""Real traffic for the Linux VNF tests.

  tcp.py serve HOST PORT      accept forever; send "hello\\n" to each client
  tcp.py probe HOST PORT SECS connect and read; exit 0 when "hello" came
                              within SECS seconds, 1 otherwise (prints why)
"""
import socket
import sys
import threading


def serve(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(64)
    print("listening", flush=True)

    def one(c):
        try:
            c.sendall(b"hello\n")
        finally:
            c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def probe(host, port, secs):
    try:
        c = socket.create_connection((host, port), timeout=secs)
        c.settimeout(secs)
        data = c.recv(64)
        c.close()
    except OSError as e:
        print("probe %s:%d: %s" % (host, port, e))
        return 1
    if data.startswith(b"hello"):
        return 0
    print("probe %s:%d: unexpected %r" % (host, port, data))
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(probe(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
