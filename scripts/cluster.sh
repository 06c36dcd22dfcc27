#!/bin/bash
# A Docker Swarm cluster on one machine, for trying and testing zmqlab's --cluster.
#
#   scripts/cluster.sh up N    N Docker engines in containers (zmqlab-engine-1..N) on the bridge
#                              network zmqlab-cluster, one Swarm (engine 1 the manager), zmqlab's
#                              images loaded into each; writes .zmqlab/cluster.yaml (in the current
#                              folder) and prints its absolute path as the last line.
#                              Again with the same N: reuses what is up. Another N: replaces it.
#   scripts/cluster.sh down    removes every container and network labelled zmqlab.cluster=1,
#                              with their volumes (the engines' images and containers go too).
#   scripts/cluster.sh status  what is up.
#
# Environment: ZMQLAB_CLUSTER_SUBNET (default 198.18.250.0/24; engines at .11, .12, ...),
# ZMQLAB_CLUSTER_FILE (default .zmqlab/cluster.yaml).
# The engines are unauthenticated (tcp://IP:2375 without TLS) on a private bridge with no
# published port: only this machine reaches them. Real machines need TLS or ssh:// instead.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SUBNET="${ZMQLAB_CLUSTER_SUBNET:-198.18.250.0/24}"
NETWORK=zmqlab-cluster
LABEL=zmqlab.cluster=1
BASE=node:20-bookworm-slim
CLUSTER_FILE="${ZMQLAB_CLUSTER_FILE:-.zmqlab/cluster.yaml}"

say() { echo "cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 3; }

if [[ ! "$SUBNET" =~ ^([0-9]+\.[0-9]+\.[0-9]+)\.0/(2[0-4]|1[6-9])$ ]]; then
  die "ZMQLAB_CLUSTER_SUBNET=$SUBNET: expected A.B.C.0/N with N from 16 to 24 (engines get A.B.C.11, .12, ...)"
fi
PREFIX="${BASH_REMATCH[1]}"
ip_of() { echo "$PREFIX.$((10 + $1))"; }
engine_of() { echo "tcp://$(ip_of "$1"):2375"; }

# The engine image, tagged by a hash of its Dockerfile, its start script and the base image's id.
engine_image() {
  local base_id hash tag
  base_id="$(docker image inspect --format '{{.Id}}' "$BASE")"
  hash="$( { cat "$ROOT/images/engine/Dockerfile" "$ROOT/images/engine/dockerd.sh"; echo "$base_id"; } | sha256sum | cut -c1-12)"
  tag="zmqlab/engine:$hash"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    say "building $tag (Debian's docker.io; about a minute)"
    local out
    out="$(mktemp)"
    if ! nice -n 10 docker build --build-arg "BASE=$BASE" --label zmqlab.image=engine -t "$tag" \
      -f "$ROOT/images/engine/Dockerfile" "$ROOT/images/engine" >"$out" 2>&1; then
      tail -20 "$out" >&2; rm -f "$out"
      die "building $tag failed (its last lines are above); it installs Debian's docker.io, which needs Debian's mirror reachable from Docker's default bridge"
    fi
    rm -f "$out"
  fi
  echo "$tag"
}

# The images a lab needs on every engine: the base, the node image of this installation (built
# on the host engine if missing, as the controller does), and the FRR flavour if the host has it.
lab_images() {
  [ -f "$ROOT/dist/controller/engine/images.js" ] || die "dist/ is missing: run \`npm ci\` (or \`npx tsc -p .\`) in $ROOT first"
  (cd "$ROOT" && nice -n 10 node --input-type=module -e '
    const { connectEngine } = await import("./dist/controller/engine/docker.js");
    const images = await import("./dist/controller/engine/images.js");
    const { FRR_IMAGE } = await import("./dist/controller/plan/routing.js");
    const { join } = await import("node:path");
    const docker = await connectEngine();
    const node = await images.ensureNodeImage(docker, (l) => console.error(`cluster: ${l}`));
    const out = [images.BASE_IMAGE, node];
    const frr = images.builtImageTag(join(images.PACKAGE_ROOT, "images", "node-frr"), node, FRR_IMAGE);
    if (await images.imageExists(docker, frr)) out.push(frr);
    console.log(out.join("\n"));
  ')
}

engines() { docker ps -a --filter "label=$LABEL" --format '{{.Names}}' | sort -V; }

answers() { curl -fsS --max-time 2 "http://$(ip_of "$1"):2375/_ping" >/dev/null 2>&1; }

wait_engine() {
  local i="$1" n
  for n in $(seq 1 120); do
    answers "$i" && return 0
    if [ "$(docker inspect --format '{{.State.Running}}' "zmqlab-engine-$i" 2>/dev/null)" != true ]; then
      docker logs --tail 20 "zmqlab-engine-$i" >&2 || true
      die "zmqlab-engine-$i stopped (its last lines are above)"
    fi
    sleep 0.5
  done
  docker logs --tail 20 "zmqlab-engine-$i" >&2 || true
  die "zmqlab-engine-$i did not answer on $(engine_of "$i") within 60 s (its last lines are above)"
}

# Load the images that engine i lacks: one `docker save` stream per engine (shared layers once).
load_images() {
  local i="$1"; shift
  local missing=() image
  for image in "$@"; do
    docker -H "$(engine_of "$i")" image inspect "$image" >/dev/null 2>&1 || missing+=("$image")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "loading ${missing[*]} into zmqlab-engine-$i"
  docker save "${missing[@]}" | docker -H "$(engine_of "$i")" load -q >/dev/null
}

swarm_state() { docker -H "$(engine_of "$1")" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null || echo "unreachable"; }

# Is a cluster of exactly N engines up, answering, in one Swarm?
is_up() {
  local n="$1" i
  [ "$(engines | wc -l)" -eq "$n" ] || return 1
  for i in $(seq 1 "$n"); do
    [ "$(docker inspect --format '{{.State.Running}} {{index .Config.Labels "zmqlab.cluster.subnet"}}' "zmqlab-engine-$i" 2>/dev/null)" = "true $SUBNET" ] || return 1
    answers "$i" || return 1
  done
  [ "$(swarm_state 1)" = "active true" ] || return 1
  [ "$(docker -H "$(engine_of 1)" node ls -q 2>/dev/null | wc -l)" -eq "$n" ] || return 1
}

down() {
  local removed=0 c net
  for c in $(engines); do
    docker rm -f -v "$c" >/dev/null && echo "removed container $c" && removed=1
  done
  for net in $(docker network ls -q --filter "label=$LABEL"); do
    name="$(docker network inspect --format '{{.Name}}' "$net")"
    docker network rm "$net" >/dev/null && echo "removed network $name" && removed=1
  done
  [ "$removed" = 1 ] || echo "nothing to remove"
}

write_file() {
  local n="$1" i
  mkdir -p "$(dirname "$CLUSTER_FILE")"
  {
    echo "# written by scripts/cluster.sh up $n"
    echo "hosts:"
    for i in $(seq 1 "$n"); do echo "  h$i: { engine: $(engine_of "$i") }"; done
  } >"$CLUSTER_FILE"
  (cd "$(dirname "$CLUSTER_FILE")" && echo "$(pwd)/$(basename "$CLUSTER_FILE")")
}

up() {
  local n="$1" i image images
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 200 ] || die "up N: N is the number of engines (1 to 200), not '$n'"
  bash "$ROOT/scripts/ensure-engine.sh" >&2
  image="$(engine_image)"
  mapfile -t images < <(lab_images)

  if is_up "$n"; then
    say "$n engines already up in one Swarm: reusing them"
  else
    if [ -n "$(engines)" ] || [ -n "$(docker network ls -q --filter "label=$LABEL")" ]; then
      say "replacing the cluster that is up"
      down >&2
    fi
    # Masquerading stays on for this network (unlike labs'): the inner engines reach Debian's
    # mirror through it when they build an image. Lab traffic runs on overlays inside them.
    docker network create --driver bridge --subnet "$SUBNET" --label "$LABEL" "$NETWORK" >/dev/null
    for i in $(seq 1 "$n"); do
      docker run -d --name "zmqlab-engine-$i" --hostname "engine-$i" \
        --network "$NETWORK" --ip "$(ip_of "$i")" \
        --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE --cap-add MKNOD \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
        -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v /var/lib/docker \
        --label "$LABEL" --label "zmqlab.cluster.subnet=$SUBNET" \
        "$image" >/dev/null
    done
    for i in $(seq 1 "$n"); do wait_engine "$i"; done
    say "$n engines answer; forming the Swarm"
    docker -H "$(engine_of 1)" swarm init --advertise-addr "$(ip_of 1)" >/dev/null
    local token
    token="$(docker -H "$(engine_of 1)" swarm join-token -q worker)"
    for i in $(seq 2 "$n"); do
      docker -H "$(engine_of "$i")" swarm join --advertise-addr "$(ip_of "$i")" --token "$token" "$(ip_of 1):2377" >/dev/null
    done
  fi

  # In parallel: each engine unpacks into its own store, so the loads overlap well.
  local pids=() failed=0
  for i in $(seq 1 "$n"); do load_images "$i" "${images[@]}" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || die "loading the images into the engines failed (see above)"

  write_file "$n"
}

status() {
  local c
  [ -n "$(engines)" ] || { echo "no cluster is up"; return 0; }
  for c in $(engines); do
    i="${c#zmqlab-engine-}"
    echo "$c $(docker inspect --format '{{.State.Status}}' "$c") $(engine_of "$i") swarm: $(swarm_state "$i")"
  done
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh up N | down | status" >&2; exit 2 ;;
esac
