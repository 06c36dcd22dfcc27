#!/bin/bash
# Make sure a Docker engine answers, and that the node image's base image is on it.
# On a fresh Debian machine as root: installs Debian's docker.io and starts dockerd (no systemd
# needed). Elsewhere it only checks, and says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

answers() { docker info >/dev/null 2>&1; }

if ! answers; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "ensure-engine: no Docker engine answers. Start one (or set DOCKER_HOST); on Debian as root this script installs docker.io." >&2
    exit 3
  fi
  if ! command -v dockerd >/dev/null; then
    echo "ensure-engine: installing Debian's docker.io (about a minute)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  fi
  if ! answers; then
    echo "ensure-engine: starting dockerd"
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
      systemctl start docker
    else
      nohup dockerd >/var/log/zmqlab-dockerd.log 2>&1 &
    fi
    for _ in $(seq 1 60); do answers && break; sleep 1; done
  fi
  if ! answers; then
    echo "ensure-engine: dockerd did not answer within 60 s; see /var/log/zmqlab-dockerd.log" >&2
    exit 3
  fi
fi
echo "ensure-engine: Docker engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null) answers"
bash images/base/make-local-base.sh
