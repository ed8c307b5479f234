#!/usr/bin/env python3
"""A TCP server for the lab side of integration tests: every connection gets
one line, the name given on the command line, and is closed.  Exits after
--max connections or --seconds, whichever comes first, so it never outlives
a test that forgot it."""
import argparse
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("address")
ap.add_argument("port", type=int)
ap.add_argument("name")
ap.add_argument("--max", type=int, default=100000)
ap.add_argument("--seconds", type=float, default=600)
args = ap.parse_args()

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((args.address, args.port))
s.listen(128)
s.settimeout(1.0)
deadline = time.monotonic() + args.seconds
served = 0
print("listening", flush=True)
while served < args.max and time.monotonic() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    try:
        c.sendall((args.name + "\n").encode())
    except OSError:
        pass
    c.close()
    served += 1
sys.exit(0)
