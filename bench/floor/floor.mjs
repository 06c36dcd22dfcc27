// A plain zeromq.js PUB or SUB, the agent's own binding without the agent's work: what zeromq.js
// carries. Arguments as floor.py's.
import * as zmq from "zeromq";

const [mode, endpoint, countText, framesText] = process.argv.slice(2);
const count = Number(countText);
const frames = Number(framesText);
const payload = Buffer.alloc(64, 0x78);
const parts = [Buffer.alloc(0), Buffer.alloc(26, 0x5a), payload];
if (mode === "pub") {
  const s = new zmq.XPublisher({ sendHighWaterMark: 0 });
  await s.bind(endpoint);
  await s.receive();
  for (let i = 0; i < count; i++) await s.send(frames === 1 ? payload : parts);
  await new Promise((r) => setTimeout(r, 2000));
  s.close();
} else {
  const s = new zmq.Subscriber({ receiveHighWaterMark: 0, receiveTimeout: 20000 });
  s.subscribe("");
  s.connect(endpoint);
  let received = 0;
  let first;
  let last;
  try {
    await s.receive();
    first = last = performance.now();
    received = 1;
    s.receiveTimeout = 3000;
    while (received < count) {
      await s.receive();
      received++;
    }
    last = performance.now();
  } catch {}
  const rate = received > 1 && last > first ? ((received - 1) * 1000) / (last - first) : 0;
  console.log(JSON.stringify({ received, rate: Math.round(rate) }));
  s.close();
}
