#!/bin/sh
# Start the engine on overlay2 where it nests (its /var/lib/docker is a volume on the host's
# filesystem, ext4 here), else on vfs (which copies every layer for each container: several
# seconds per container). The API on TCP 2375 without TLS: see the Dockerfile.
set -u
args="--tls=false -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2375"
# shellcheck disable=SC2086
dockerd --storage-driver overlay2 $args &
pid=$!
# dockerd either answers or exits (an unsupported driver ends it at once).
n=0
while kill -0 "$pid" 2>/dev/null; do
  if docker info --format '{{.Driver}}' >/dev/null 2>&1; then
    # A stop reaches dockerd, and the engine ends when dockerd has.
    trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
    status=0
    while kill -0 "$pid" 2>/dev/null; do
      wait "$pid"
      status=$?
    done
    exit "$status"
  fi
  n=$((n + 1))
  [ "$n" -lt 600 ] || break
  sleep 0.1
done
kill -TERM "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
echo "dockerd.sh: overlay2 does not work here; starting on vfs" >&2
# shellcheck disable=SC2086
exec dockerd --storage-driver vfs $args
