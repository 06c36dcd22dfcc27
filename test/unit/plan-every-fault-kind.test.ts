// Every kind of fault as planned (controller/plan/faults.ts): what each step runs in which node,
// why, the description the report shows, the engine action, reconfiguring and netem. The lab has
// loss, rate (a large one: a larger burst), clear of loss and rate together, down and up (with an
// IPv6 address and routes, a policy route among them, again), a partition with IPv4 and IPv6
// members, heal, exec, delay, pause, unpause, a total loss, stop, start and restart.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";

const LAB = `name: t
networks:
  lan: { subnet: [198.18.9.0/24, "2001:db8:9::/64"] }
  wan: { subnet: 198.18.8.0/24 }
nodes:
  a: { interfaces: { lan: [198.18.9.10, "2001:db8:9::10"], wan: 198.18.8.10 } }
  b:
    interfaces: { lan: [198.18.9.11, 198.18.9.12, "2001:db8:9::11"] }
    routes: [ { to: 198.18.7.0/24, via: 198.18.9.10 }, { to: 198.18.6.0/24, via: 198.18.9.10, from: 198.18.9.12 } ]
  c: { interfaces: { wan: 198.18.8.11 } }
faults:
  l: { at: 1s, node: a, network: lan, loss: 5 }
  r: { at: 1500ms, node: a, network: lan, rate: 100mbit }
  cl: { at: 2s, node: a, network: lan, action: clear }
  r2: { at: 3s, node: a, network: wan, rate: 1mbit }
  cr: { at: 4s, node: a, network: wan, action: clear }
  dn: { at: 5s, node: b, network: lan, action: down }
  up: { at: 6s, node: b, network: lan, action: up }
  pt: { at: 7s, partition: [[a], [b, c]] }
  hl: { at: 8s, action: heal }
  ex: { at: 9s, node: c, exec: [ip, link, set, dev, wan, mtu, "1400"] }
  de: { at: 10s, node: c, network: wan, delay: 20ms }
  cd: { at: 11s, node: c, network: wan, action: clear }
  un: { at: 12s, node: b, action: pause }
  uu: { at: 13s, node: b, action: unpause }
  lc: { at: 14s, node: a, network: lan, loss: 100 }
  sp: { at: 15s, node: c, action: stop }
  sg: { at: 16s, node: c, action: start }
  st: { at: 17s, node: a, action: restart }
`;

const EXPECTED = `1000 l: drop 5% of packets on a's interface on lan, both directions
  a: ["nft","add","table","inet","zmqlab_loss_lan",";","add","chain","inet","zmqlab_loss_lan","arriving","{ type filter hook prerouting priority -300; policy accept; }",";","add","chain","inet","zmqlab_loss_lan","leaving","{ type filter hook postrouting priority 300; policy accept; }",";","flush","table","inet","zmqlab_loss_lan",";","add","rule","inet","zmqlab_loss_lan","arriving","iifname","<lan>","numgen","random","mod","100","<","5","drop",";","add","rule","inet","zmqlab_loss_lan","leaving","oifname","<lan>","numgen","random","mod","100","<","5","drop"] # fault l: drop 5% of packets on lan
1500 r: limit a's interface on lan to 100mbit (egress)
  a: ["tc","qdisc","replace","dev","<lan>","root","tbf","rate","100mbit","burst","125000","latency","50ms"] # fault r: rate limit 100mbit on lan (egress)
2000 cl: clear loss, rate and delay on a's interface on lan
  a: ["nft","add","table","inet","zmqlab_loss_lan",";","delete","table","inet","zmqlab_loss_lan"] # fault cl: no more loss
  a: ["tc","qdisc","change","dev","<lan>","root","tbf","rate","10gbit","burst","12500000","latency","50ms"] # fault cl: let the rate limit's queue go
  a: ["sleep","0.020"] # fault cl: the queue goes (twice a packet's time at the old rate)
  a: ["tc","qdisc","del","dev","<lan>","root"] # fault cl: no more rate limit or delay
3000 r2: limit a's interface on wan to 1mbit (egress)
  a: ["tc","qdisc","replace","dev","<wan>","root","tbf","rate","1mbit","burst","15000","latency","50ms"] # fault r2: rate limit 1mbit on wan (egress)
4000 cr: clear loss, rate and delay on a's interface on wan
  a: ["tc","qdisc","change","dev","<wan>","root","tbf","rate","10gbit","burst","12500000","latency","50ms"] # fault cr: let the rate limit's queue go
  a: ["sleep","0.024"] # fault cr: the queue goes (twice a packet's time at the old rate)
  a: ["tc","qdisc","del","dev","<wan>","root"] # fault cr: no more rate limit or delay
5000 dn: take b's interface on lan down
  b: ["ip","link","set","dev","<lan>","down"] # fault dn: link down
6000 up: bring b's interface on lan up, with its addresses and routes
  b: ["ip","link","set","dev","<lan>","up"] # fault up: link up
  b: ["ip","-6","addr","replace","2001:db8:9::11/64","dev","<lan>","nodad"] # fault up: the link's IPv6 address again
  b: ["ip","-4","route","replace","198.18.7.0/24","via","198.18.9.10","dev","<lan>"] # fault up: again: static route
  b: ["ip","-4","route","replace","198.18.6.0/24","via","198.18.9.10","dev","<lan>","table","100"] # fault up: again: policy route in table 100
7000 pt: partition [a] from [b, c]
  a: ["nft","add","table","inet","zmqlab_partition",";","add","chain","inet","zmqlab_partition","arriving","{ type filter hook prerouting priority -300; policy accept; }",";","add","chain","inet","zmqlab_partition","leaving","{ type filter hook postrouting priority 300; policy accept; }",";","add","rule","inet","zmqlab_partition","arriving","ip","saddr","{ 198.18.9.11, 198.18.9.12, 198.18.8.11 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip","daddr","{ 198.18.9.11, 198.18.9.12, 198.18.8.11 }","drop",";","add","rule","inet","zmqlab_partition","arriving","ip6","saddr","{ 2001:db8:9::11 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip6","daddr","{ 2001:db8:9::11 }","drop"] # fault pt: drop traffic between a and b, c
  b: ["nft","add","table","inet","zmqlab_partition",";","add","chain","inet","zmqlab_partition","arriving","{ type filter hook prerouting priority -300; policy accept; }",";","add","chain","inet","zmqlab_partition","leaving","{ type filter hook postrouting priority 300; policy accept; }",";","add","rule","inet","zmqlab_partition","arriving","ip","saddr","{ 198.18.9.10, 198.18.8.10 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip","daddr","{ 198.18.9.10, 198.18.8.10 }","drop",";","add","rule","inet","zmqlab_partition","arriving","ip6","saddr","{ 2001:db8:9::10 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip6","daddr","{ 2001:db8:9::10 }","drop"] # fault pt: drop traffic between b and a
  c: ["nft","add","table","inet","zmqlab_partition",";","add","chain","inet","zmqlab_partition","arriving","{ type filter hook prerouting priority -300; policy accept; }",";","add","chain","inet","zmqlab_partition","leaving","{ type filter hook postrouting priority 300; policy accept; }",";","add","rule","inet","zmqlab_partition","arriving","ip","saddr","{ 198.18.9.10, 198.18.8.10 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip","daddr","{ 198.18.9.10, 198.18.8.10 }","drop",";","add","rule","inet","zmqlab_partition","arriving","ip6","saddr","{ 2001:db8:9::10 }","drop",";","add","rule","inet","zmqlab_partition","leaving","ip6","daddr","{ 2001:db8:9::10 }","drop"] # fault pt: drop traffic between c and a
8000 hl: heal the partition (a, b, c)
  a: ["nft","add","table","inet","zmqlab_partition",";","delete","table","inet","zmqlab_partition"] # fault hl: end the partition
  b: ["nft","add","table","inet","zmqlab_partition",";","delete","table","inet","zmqlab_partition"] # fault hl: end the partition
  c: ["nft","add","table","inet","zmqlab_partition",";","delete","table","inet","zmqlab_partition"] # fault hl: end the partition
9000 ex: run ip link set dev wan mtu 1400 in c
  c: ["ip","link","set","dev","wan","mtu","1400"] # fault ex: from the lab file (exec)
10000 de: delay c's interface on wan by 20 ms (egress) [netem c]
  c: ["tc","qdisc","replace","dev","<wan>","root","netem","delay","20ms"] # fault de: delay on wan (egress, netem)
11000 cd: clear loss, rate and delay on c's interface on wan
  c: ["tc","qdisc","del","dev","<wan>","root"] # fault cd: no more rate limit or delay
12000 un: pause node b (its processes freeze) [engine pause b]
13000 uu: unpause node b [engine unpause b]
14000 lc: drop 100% of packets on a's interface on lan, both directions
  a: ["nft","add","table","inet","zmqlab_loss_lan",";","add","chain","inet","zmqlab_loss_lan","arriving","{ type filter hook prerouting priority -300; policy accept; }",";","add","chain","inet","zmqlab_loss_lan","leaving","{ type filter hook postrouting priority 300; policy accept; }",";","flush","table","inet","zmqlab_loss_lan",";","add","rule","inet","zmqlab_loss_lan","arriving","iifname","<lan>","drop",";","add","rule","inet","zmqlab_loss_lan","leaving","oifname","<lan>","drop"] # fault lc: drop 100% of packets on lan
15000 sp: stop node c (no grace time) [engine stop c]
16000 sg: start node c, then configure it as declared [engine start c] [reconfigure c]
17000 st: restart node a (no grace time), then configure it as declared [engine restart a] [reconfigure a]`;

t.test("every fault kind as planned", async (t) => {
  const plan = planLab(parseLab(LAB).lab);
  const out: string[] = [];
  for (const f of plan.faults ?? []) {
    out.push(
      `${f.atMs} ${f.name}: ${f.description}${f.engine ? ` [engine ${f.engine.action} ${f.engine.node}]` : ""}${f.reconfigure ? ` [reconfigure ${f.reconfigure}]` : ""}${f.netem ? ` [netem ${f.netem}]` : ""}`,
    );
    for (const s of f.steps) for (const c of s.commands) out.push(`  ${s.node}: ${JSON.stringify(c.argv)} # ${c.why}`);
  }
  const expected = EXPECTED.split("\n");
  t.equal(out.length, expected.length, "as many lines as expected");
  out.forEach((line, i) => t.equal(line, expected[i], `line ${i + 1}`));
});
