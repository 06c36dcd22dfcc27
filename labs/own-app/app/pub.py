#!/usr/bin/env python3
"""A pyzmq publisher: bind, wait for the subscribers, send, wait for them to leave.

    pub.py BIND [--count N] [--subscribers K] [--topic T] [--wait S] [--hold S]

An XPUB socket (verbose, so every subscriber's subscription arrives, not only the first per
topic) tells when each subscriber has subscribed, which avoids the slow joiner: a plain PUB drops
whatever it sends before a subscription reaches it. After sending, it keeps its connections
until the subscribers close theirs (at most --hold seconds), so the kernel shows them while
they receive.

Exit codes: 0 sent every message; 2 fewer than K subscribers within --wait seconds;
3 the bind failed; 64 bad arguments.
"""
import argparse
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bind", help="endpoint to bind, e.g. tcp://198.18.41.10:5556")
    parser.add_argument("--count", type=int, default=500, help="messages to send (default 500)")
    parser.add_argument("--subscribers", type=int, default=3, help="subscriptions to wait for (default 3)")
    parser.add_argument("--topic", default="q", help="topic prefix of every message (default q)")
    parser.add_argument("--wait", type=float, default=15.0, help="seconds to wait for the subscribers (default 15)")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds to wait for the subscribers to leave (default 10)")
    try:
        args = parser.parse_args()
    except SystemExit as e:
        return 64 if e.code else 0

    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.XPUB_VERBOSE, 1)
    pub.setsockopt(zmq.LINGER, 5000)
    pub.setsockopt(zmq.SNDHWM, 0)  # never drop for a slow subscriber: every message counts
    if ":" in args.bind.split("//", 1)[-1].rsplit(":", 1)[0]:
        pub.setsockopt(zmq.IPV6, 1)
    monitor = pub.get_monitor_socket(zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED)
    try:
        pub.bind(args.bind)
    except zmq.ZMQError as e:
        say(f"cannot bind {args.bind}: {e}")
        return 3
    say(f"bound {args.bind}, waiting for {args.subscribers} subscribers")

    connected = 0

    def drain_monitor():
        nonlocal connected
        while monitor.poll(0):
            event = recv_monitor_message(monitor)["event"]
            connected += 1 if event == zmq.EVENT_ACCEPTED else -1 if event == zmq.EVENT_DISCONNECTED else 0

    subscribed = 0
    deadline = time.monotonic() + args.wait
    topic = args.topic.encode()
    while subscribed < args.subscribers:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not pub.poll(left_ms, zmq.POLLIN):
            say(f"only {subscribed} of {args.subscribers} subscribers within {args.wait:g} s")
            return 2
        message = pub.recv()
        # A subscription is b"\x01" + its prefix; count those that select our messages.
        if message[:1] == b"\x01" and topic.startswith(message[1:]):
            subscribed += 1
            say(f"subscriber {subscribed} of {args.subscribers} subscribed")
    drain_monitor()

    for i in range(args.count):
        pub.send_multipart([topic, str(i).encode()])
    say(f"sent {args.count}")

    # Keep the connections until the subscribers close theirs (they do once they have all).
    deadline = time.monotonic() + args.hold
    while connected > 0 and time.monotonic() < deadline:
        if monitor.poll(100):
            drain_monitor()
    if connected > 0:
        say(f"{connected} subscribers still connected after {args.hold:g} s; closing")
    else:
        say("every subscriber has left")
    pub.disable_monitor()
    monitor.close(0)
    pub.close()  # linger: whatever is queued still goes out
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
