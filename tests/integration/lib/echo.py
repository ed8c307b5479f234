# A labelled TCP echo for the labs behind guest networks:
#
#   echo.py ADDR LABEL [--port N] [--bye]
#
# Each connection gets LABEL and a newline first (so a test sees which
# lab it reached), then its bytes back; with --bye, "bye\n" after the
# client's end of stream.  Prints "listening" once bound.
import argparse
import socket
import threading

ap = argparse.ArgumentParser()
ap.add_argument("addr")
ap.add_argument("label")
ap.add_argument("--port", type=int, default=7000)
ap.add_argument("--bye", action="store_true")
args = ap.parse_args()


def one(c):
    try:
        c.sendall(args.label.encode() + b"\n")
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        if args.bye:
            c.sendall(b"bye\n")
    except OSError:
        pass
    c.close()


s = socket.socket(socket.AF_INET6 if ":" in args.addr else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((args.addr, args.port))
s.listen(64)
print("listening", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
