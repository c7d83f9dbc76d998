#!/usr/bin/env bash
# Makes sure PostgreSQL 15 (with pgvector), NATS with JetStream and Redis answer on
# their standard local ports, installing and starting them the machine's own way.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && { echo "$name: listening on $port"; return 0; }
    sleep 0.5
  done
  echo "$name: did not come up on port $port" >&2
  return 1
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql-15
  echo "postgresql: starting"
  pg_ctlcluster --skip-systemctl-redirect 15 main start || true
fi
wait_for_port postgresql 5432

if ! port_open 4222; then
  [ -x /usr/sbin/nats-server ] || apt_install nats-server
  echo "nats: starting"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
wait_for_port nats 4222

if ! port_open 6379; then
  command -v redis-server >/dev/null || apt_install redis-server
  echo "redis: starting"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
wait_for_port redis 6379

bash "$here/ensure-pgvector.sh"
