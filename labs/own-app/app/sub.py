#!/usr/bin/env python3
"""A pyzmq subscriber: connect (from a chosen source address), subscribe, count messages.

    sub.py CONNECT [--count N] [--topic T] [--wait S]

CONNECT may name the source: "tcp://SRC:0;DST:PORT" connects from address SRC (port 0: any).
A source the node does not own raises no error in ZeroMQ: the socket retries quietly, so the
bound below is what turns it into a failure.

Prints "received N from SRC" and exits 0 once N messages arrived within --wait seconds;
otherwise prints "received X of N" and exits 1. Exit 64: bad arguments.
"""
import argparse
import sys
import time

import zmq


def say(line):
    print(line, flush=True)


def source_of(endpoint):
    """The source part of "tcp://SRC:PORT;DST:PORT" (address only), or "any" without one."""
    rest = endpoint.split("//", 1)[-1]
    if ";" not in rest:
        return "any"
    source = rest.split(";", 1)[0].rsplit(":", 1)[0]
    return source.strip("[]")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("connect", help='endpoint, e.g. "tcp://198.18.40.10:0;198.18.41.10:5556"')
    parser.add_argument("--count", type=int, default=500, help="messages to receive (default 500)")
    parser.add_argument("--topic", default="q", help="topic to subscribe to (default q)")
    parser.add_argument("--wait", type=float, default=15.0, help="seconds to receive them in (default 15)")
    try:
        args = parser.parse_args()
    except SystemExit as e:
        return 64 if e.code else 0

    source = source_of(args.connect)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 0)
    if ":" in args.connect.split("//", 1)[-1].split(";")[-1].rsplit(":", 1)[0] or "[" in args.connect:
        sub.setsockopt(zmq.IPV6, 1)
    sub.setsockopt(zmq.SUBSCRIBE, args.topic.encode())
    try:
        sub.connect(args.connect)
    except zmq.ZMQError as e:
        say(f"cannot connect {args.connect}: {e}")
        sub.close()
        ctx.term()
        return 1
    say(f"connecting {args.connect} from {source}, expecting {args.count}")

    received = 0
    deadline = time.monotonic() + args.wait
    while received < args.count:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not sub.poll(left_ms, zmq.POLLIN):
            break
        sub.recv_multipart()
        received += 1
    sub.close()
    ctx.term()
    if received < args.count:
        hint = " (nothing at all: is the source an address this node owns, and is the publisher up?)" if received == 0 else ""
        say(f"received {received} of {args.count} from {source} within {args.wait:g} s{hint}")
        return 1
    say(f"received {received} from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
