#!/bin/bash
# Make the node image's base (node:20-bookworm-slim) locally when no registry answers.
# A debootstrap rootfs of Debian bookworm plus this host's Node.js 20 binary, tagged with the
# official image's name: the Dockerfile in images/node then builds unchanged, online or not.
set -euo pipefail

BASE="${ZMQLAB_BASE_IMAGE:-node:20-bookworm-slim}"

if docker image inspect "$BASE" >/dev/null 2>&1; then
  echo "base image $BASE: present"
  exit 0
fi
if timeout 60 docker pull "$BASE" >/dev/null 2>&1; then
  echo "base image $BASE: pulled"
  exit 0
fi

NODE_BIN="$(command -v node || true)"
case "$("$NODE_BIN" --version 2>/dev/null)" in
  v20.*|v22.*|v24.*) ;;
  *) echo "make-local-base: need Node.js 20+ on the host to seed $BASE (found: ${NODE_BIN:-none})" >&2; exit 3 ;;
esac
if ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  else
    echo "make-local-base: no registry answers and debootstrap is missing; install it (apt-get install debootstrap) as root" >&2
    exit 3
  fi
fi

ROOTFS="$(mktemp -d /tmp/zmqlab-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT
echo "base image $BASE: no registry answered; building it from Debian bookworm with debootstrap (about 40 s)"
debootstrap --variant=minbase bookworm "$ROOTFS" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 3; }
rm -f "$ROOTFS.log"
install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
# npm and npx, as in the official image (the controller image runs `npm ci`).
NPM_DIR="$(dirname "$(dirname "$NODE_BIN")")/lib/node_modules/npm"
if [ -d "$NPM_DIR" ]; then
  mkdir -p "$ROOTFS/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
fi
# Trim what an image never needs, as the official slim images do.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/*
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' - "$BASE" >/dev/null
echo "base image $BASE: made locally"
