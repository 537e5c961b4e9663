#!/usr/bin/env bash
# Starts whichever of PostgreSQL, Redis and NATS (with JetStream) is not answering on its usual
# loopback port, the way this machine kind starts them, then waits until all three answer.
# Used by .ci/run; developers run it after a reboot.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! up 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
fi
if ! up 6379; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! up 4222; then
  echo "starting NATS"
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi

for port in 5432 6379 4222; do
  for _ in $(seq 1 60); do up "$port" && break; sleep 0.5; done
  up "$port" || { echo "nothing answers on 127.0.0.1:$port" >&2; exit 1; }
done
echo "PostgreSQL, Redis and NATS are up"
