#!/usr/bin/env python3
"""The loader of bench/memcached-reference.sh: memcached's text protocol, pipelined, over a few connections.

  memcached-load.py fill --port P --key-length K --entries N [--connections 4] [--ttl 3600] [--deadline 900]
  memcached-load.py stats --port P [slabs|items]

fill writes N unique entries, the keys bench/fill.lua and redis-reference.sh write ("fill-" and a zero-padded
sequence number, K characters) with the same 256-character value as redis-reference.sh, each `set` with the
TTL, and counts memcached's answers: every "STORED" is one entry written, anything else (SERVER_ERROR out of
memory ...) is counted apart. Connection c writes the sequence numbers c, c + C, c + 2C, ... in batches of
BATCH sets, with two batches in flight, so memcached always has the next one queued while the loader reads the
answers of the last; one process per connection, as building the requests is what costs in Python. Prints one
line: "written N stored S errors E seconds T"; exits non-zero when a connection fails or the deadline passes.
stats prints memcached's `stats` (or `stats slabs`, `stats items`) as "name value" lines.
"""
import argparse
import multiprocessing
import socket
import sys
import time

VALUE = ("v0123456789abcdefghijklmnopqrstuvwxyz<>&'ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:64] * 4).encode()
BATCH = 1000
MAX_KEY = 250  # memcached's KEY_MAX_LENGTH: a longer key is a CLIENT_ERROR


def batch(seqs, length, ttl):
    # "fill-" and the sequence number zero-padded to the key's length, as bench/fill.lua writes them
    template = "set fill-%%0%dd 0 %d %d\r\n%s\r\n" % (length - 5, ttl, len(VALUE), VALUE.decode())
    return "".join([template % s for s in seqs]).encode()


def read_answers(sock, count, buffer):
    """Reads count answer lines; returns (stored, others, the bytes past them, the answers)."""
    while buffer.count(b"\r\n") < count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("memcached closed the connection")
        buffer += chunk
    end = 0
    for _ in range(count):
        end = buffer.index(b"\r\n", end) + 2
    answers = buffer[:end]
    stored = answers.count(b"STORED\r\n")
    return stored, count - stored, buffer[end:], answers


def fill_connection(args):
    port, length, ttl, first, step, entries, deadline = args
    seqs = range(first, entries, step)
    stored = errors = 0
    first_error = None
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        buffer = b""
        in_flight = []  # sizes of the batches sent and not yet answered
        for start in range(0, len(seqs), BATCH):
            if time.monotonic() > deadline:
                raise TimeoutError("deadline passed")
            part = seqs[start:start + BATCH]
            sock.sendall(batch(part, length, ttl))
            in_flight.append(len(part))
            if len(in_flight) == 2:
                s, e, buffer, answers = read_answers(sock, in_flight.pop(0), buffer)
                stored, errors = stored + s, errors + e
                if e and first_error is None:
                    first_error = next(line for line in answers.split(b"\r\n") if line != b"STORED").decode()
        while in_flight:
            s, e, buffer, answers = read_answers(sock, in_flight.pop(0), buffer)
            stored, errors = stored + s, errors + e
            if e and first_error is None:
                first_error = next(line for line in answers.split(b"\r\n") if line != b"STORED").decode()
    return len(seqs), stored, errors, first_error


def fill(options):
    if options.key_length > MAX_KEY:
        sys.exit("memcached-load: memcached refuses keys over %d bytes" % MAX_KEY)
    if len(str(options.entries - 1)) > options.key_length - 5:
        sys.exit("memcached-load: %d entries need keys of %d characters or more" % (
            options.entries, 5 + len(str(options.entries - 1))))
    deadline = time.monotonic() + options.deadline
    connections = options.connections
    started = time.monotonic()
    jobs = [(options.port, options.key_length, options.ttl, c, connections, options.entries, deadline)
            for c in range(connections)]
    with multiprocessing.Pool(connections) as pool:
        results = pool.map(fill_connection, jobs)
    seconds = time.monotonic() - started
    written = sum(r[0] for r in results)
    stored = sum(r[1] for r in results)
    errors = sum(r[2] for r in results)
    first_error = next((r[3] for r in results if r[3]), None)
    if first_error:
        print("memcached-load: first answer other than STORED: %s" % first_error, file=sys.stderr)
    print("written %d stored %d errors %d seconds %.1f" % (written, stored, errors, seconds))


def stats(options):
    with socket.create_connection(("127.0.0.1", options.port), timeout=10) as sock:
        sock.sendall(("stats %s\r\n" % options.group if options.group else "stats\r\n").encode())
        buffer = b""
        while not buffer.endswith(b"END\r\n"):
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("memcached closed the connection")
            buffer += chunk
    for line in buffer.decode().split("\r\n"):
        if line.startswith("STAT "):
            print(line[5:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    f = commands.add_parser("fill")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--key-length", type=int, required=True)
    f.add_argument("--entries", type=int, required=True)
    f.add_argument("--connections", type=int, default=4)
    f.add_argument("--ttl", type=int, default=3600)
    f.add_argument("--deadline", type=float, default=900, help="seconds before the loader gives up")
    s = commands.add_parser("stats")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("group", nargs="?", default="")
    options = parser.parse_args()
    fill(options) if options.command == "fill" else stats(options)


if __name__ == "__main__":
    main()
