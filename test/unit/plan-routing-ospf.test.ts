// Dynamic routing as planned (controller/plan/routing.ts): FRR's daemons file and frr.conf for
// OSPF (costs, point-to-point only where exactly two OSPF nodes and no raw FRR node share a
// network, router ids from the first IPv4 address even after an IPv6 one), a raw frr.conf, the
// start commands, and the adjacencies and learned routes `up` waits for.
import t from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { scratchDir } from "../support/scratch.js";

const LAB = `name: rt
networks:
  n1: { subnet: 198.18.11.0/24 }
  n2: { subnet: [198.18.12.0/24, "2001:db8:12::/64"] }
  n3: { subnet: 198.18.13.0/24 }
  n4: { subnet: 198.18.14.0/24 }
nodes:
  h: { interfaces: { n1: 198.18.11.10 } }
  r1: { forward: true, interfaces: { n1: 198.18.11.2, n2: ["2001:db8:12::2", 198.18.12.2] }, routing: { ospf: { networks: [n1, n2], cost: { n2: 30 } } } }
  r2: { forward: true, interfaces: { n2: [198.18.12.3, "2001:db8:12::3"], n3: 198.18.13.3 }, routing: { ospf: { networks: [n2, n3] } } }
  r3: { forward: true, interfaces: { n3: 198.18.13.4, n4: 198.18.14.4 }, routing: { ospf: { networks: [n3, n4] } } }
  r4: { forward: true, interfaces: { n3: 198.18.13.5 }, routing: { ospf: { networks: [n3] } } }
  x: { forward: true, interfaces: { n4: 198.18.14.5 }, routing: { frr: ./frr.conf } }
  r5: { forward: true, interfaces: { n4: 198.18.14.6 }, routing: { ospf: { networks: [n4] } } }
`;

const EXPECTED = `node r1 image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source - # OSPF on n1, n2
    | ! written by zmqlab for node r1 of lab rt
    | frr defaults traditional
    | hostname r1
    | log file /var/log/frr/frr.log informational
    | service integrated-vtysh-config
    | !
    | interface n1
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | interface n2
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    |  ip ospf cost 30
    |  ip ospf network point-to-point
    | !
    | router ospf
    |  ospf router-id 198.18.11.2
    |  maximum-paths 16
    |  timers throttle lsa all 0
    |  timers lsa min-arrival 0
    |  timers throttle spf 0 50 200
    | !
    | 
  run ["ip","-6","route","flush","exact","::/0"] # remove Docker's IPv6 default route
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd"],"adjacencies":[{"network":"n2","subnet":"198.18.12.0/24","neighbours":["r2"],"addresses":["198.18.12.3"]}],"routes":[{"network":"n3","subnet":"198.18.13.0/24"},{"network":"n4","subnet":"198.18.14.0/24"}]}
node r2 image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source - # OSPF on n2, n3
    | ! written by zmqlab for node r2 of lab rt
    | frr defaults traditional
    | hostname r2
    | log file /var/log/frr/frr.log informational
    | service integrated-vtysh-config
    | !
    | interface n2
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    |  ip ospf network point-to-point
    | !
    | interface n3
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | router ospf
    |  ospf router-id 198.18.12.3
    |  maximum-paths 16
    |  timers throttle lsa all 0
    |  timers lsa min-arrival 0
    |  timers throttle spf 0 50 200
    | !
    | 
  run ["ip","-6","route","flush","exact","::/0"] # remove Docker's IPv6 default route
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd"],"adjacencies":[{"network":"n2","subnet":"198.18.12.0/24","neighbours":["r1"],"addresses":["198.18.12.2"]},{"network":"n3","subnet":"198.18.13.0/24","neighbours":["r3","r4"],"addresses":["198.18.13.4","198.18.13.5"]}],"routes":[{"network":"n1","subnet":"198.18.11.0/24"},{"network":"n4","subnet":"198.18.14.0/24"}]}
node r3 image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source - # OSPF on n3, n4
    | ! written by zmqlab for node r3 of lab rt
    | frr defaults traditional
    | hostname r3
    | log file /var/log/frr/frr.log informational
    | service integrated-vtysh-config
    | !
    | interface n3
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | interface n4
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | router ospf
    |  ospf router-id 198.18.13.4
    |  maximum-paths 16
    |  timers throttle lsa all 0
    |  timers lsa min-arrival 0
    |  timers throttle spf 0 50 200
    | !
    | 
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd"],"adjacencies":[{"network":"n3","subnet":"198.18.13.0/24","neighbours":["r2","r4"],"addresses":["198.18.13.3","198.18.13.5"]},{"network":"n4","subnet":"198.18.14.0/24","neighbours":["r5"],"addresses":["198.18.14.6"]}],"routes":[{"network":"n1","subnet":"198.18.11.0/24"},{"network":"n2","subnet":"198.18.12.0/24"}]}
node r4 image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source - # OSPF on n3
    | ! written by zmqlab for node r4 of lab rt
    | frr defaults traditional
    | hostname r4
    | log file /var/log/frr/frr.log informational
    | service integrated-vtysh-config
    | !
    | interface n3
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | router ospf
    |  ospf router-id 198.18.13.5
    |  maximum-paths 16
    |  timers throttle lsa all 0
    |  timers lsa min-arrival 0
    |  timers throttle spf 0 50 200
    | !
    | 
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd"],"adjacencies":[{"network":"n3","subnet":"198.18.13.0/24","neighbours":["r2","r3"],"addresses":["198.18.13.3","198.18.13.4"]}],"routes":[{"network":"n1","subnet":"198.18.11.0/24"},{"network":"n2","subnet":"198.18.12.0/24"},{"network":"n4","subnet":"198.18.14.0/24"}]}
node x image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd, ospf6d, bgpd, ripd, ripngd, isisd, bfdd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | ospf6d=yes
    | bgpd=yes
    | ripd=yes
    | ripngd=yes
    | isisd=yes
    | bfdd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | ospf6d_options="-A 127.0.0.1"
    | bgpd_options="-A 127.0.0.1"
    | ripd_options="-A 127.0.0.1"
    | ripngd_options="-A 127.0.0.1"
    | isisd_options="-A 127.0.0.1"
    | bfdd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source DIR/frr.conf # the lab's own FRR configuration (routing.frr)
    | 
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd","ospf6d","bgpd","ripd","ripngd","isisd","bfdd"],"adjacencies":[],"routes":[]}
node r5 image zmqlab/node-frr capabilities NET_ADMIN,NET_RAW,SYS_ADMIN
  file /etc/frr/daemons mode 640 kernelNames false source - # FRR's daemons: zebra, staticd, ospfd
    | # written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)
    | ospfd=yes
    | vtysh_enable=yes
    | zebra_options="-A 127.0.0.1 -s 90000000"
    | staticd_options="-A 127.0.0.1"
    | ospfd_options="-A 127.0.0.1"
    | 
  file /etc/frr/frr.conf mode 640 kernelNames true source - # OSPF on n4
    | ! written by zmqlab for node r5 of lab rt
    | frr defaults traditional
    | hostname r5
    | log file /var/log/frr/frr.log informational
    | service integrated-vtysh-config
    | !
    | interface n4
    |  ip ospf area 0.0.0.0
    |  ip ospf hello-interval 1
    |  ip ospf dead-interval 3
    | !
    | router ospf
    |  ospf router-id 198.18.14.6
    |  maximum-paths 16
    |  timers throttle lsa all 0
    |  timers lsa min-arrival 0
    |  timers throttle spf 0 50 200
    | !
    | 
  run ["find","/run","-path","/run/frr/*.pid","-delete"] # clear pid files a stopped container left
  run ["/usr/lib/frr/frrinit.sh","start"] # start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf
  routing {"daemons":["ospfd"],"adjacencies":[{"network":"n4","subnet":"198.18.14.0/24","neighbours":["r3"],"addresses":["198.18.14.4"]}],"routes":[{"network":"n1","subnet":"198.18.11.0/24"},{"network":"n2","subnet":"198.18.12.0/24"},{"network":"n3","subnet":"198.18.13.0/24"}]}`;

t.test("OSPF and raw FRR nodes as planned", async (t) => {
  const dir = scratchDir("zmqlab-routing-");
  writeFileSync(join(dir, "frr.conf"), "router ospf\n");
  writeFileSync(join(dir, "lab.yaml"), LAB);
  const plan = planLab(loadLab(join(dir, "lab.yaml")).lab);
  const out: string[] = [];
  for (const n of plan.nodes.filter((n) => n.routing)) {
    out.push(`node ${n.name} image ${n.image} capabilities ${n.capabilities.join(",")}`);
    for (const f of n.files ?? []) {
      out.push(`  file ${f.path} mode ${f.mode.toString(8)} kernelNames ${f.kernelInterfaceNames ?? false} source ${f.source ?? "-"} # ${f.why}`);
      for (const l of (f.content ?? "").split("\n")) out.push(`    | ${l}`);
    }
    for (const c of n.commands.filter((c) => !c.argv[0]!.startsWith("nft") && c.argv[1] !== "-4")) out.push(`  run ${JSON.stringify(c.argv)} # ${c.why}`);
    out.push(`  routing ${JSON.stringify(n.routing)}`);
  }
  const expected = EXPECTED.replaceAll("DIR/", `${dir}/`).split("\n");
  t.equal(out.length, expected.length, "as many lines as expected");
  out.forEach((line, i) => t.equal(line, expected[i], `line ${i + 1}`));
  t.equal(plan.nodes.find((n) => n.name === "h")!.routing, undefined, "a node without routing: no FRR");
});
