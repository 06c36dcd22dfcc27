# A plain pyzmq PUB or SUB: what libzmq carries without zmqlab's agent.
#   floor.py pub ENDPOINT COUNT FRAMES   bind, wait for one subscriber, send COUNT messages
#   floor.py sub ENDPOINT COUNT FRAMES   connect, receive COUNT messages (or until 3 s pass
#                                        without one), print {"received": N, "rate": msg/s}
# FRAMES 1: a 64-byte message; 3: zmqlab's shape ([topic "", a 26-byte header, 64 bytes]).
# No high-water mark: nothing is dropped, the receiver takes all it can.
import json
import sys
import time

import zmq

mode, endpoint, count, frames = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ctx = zmq.Context()
payload = b"x" * 64
parts = [b"", b"Z" * 26, payload]
if mode == "pub":
    s = ctx.socket(zmq.XPUB)
    s.sndhwm = 0
    s.bind(endpoint)
    s.recv()  # the subscription: no message goes before it (slow joiner)
    if frames == 1:
        for _ in range(count):
            s.send(payload)
    else:
        for _ in range(count):
            s.send_multipart(parts)
    time.sleep(2)
else:
    s = ctx.socket(zmq.SUB)
    s.rcvhwm = 0
    s.setsockopt(zmq.SUBSCRIBE, b"")
    s.rcvtimeo = 20000
    s.connect(endpoint)
    receive = s.recv if frames == 1 else s.recv_multipart
    received, first, last = 0, None, None
    try:
        receive()
        first = last = time.perf_counter()
        received = 1
        s.rcvtimeo = 3000
        while received < count:
            receive()
            received += 1
        last = time.perf_counter()
    except zmq.Again:
        pass
    rate = (received - 1) / (last - first) if received > 1 and last > first else 0
    print(json.dumps({"received": received, "rate": round(rate)}))
