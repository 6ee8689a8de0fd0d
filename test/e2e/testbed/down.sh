#!/bin/bash
# Stop everything up.sh started, by the PIDs it saved in $FORCEDOWN_TESTBED_DIR/run (never by
# process name): the nova-computes (through their BMC helper), the BMCs (ipmi_sim), Nova, the stub
# Neutron, Glance, Placement, Keystone, the etcd members, RabbitMQ (and the epmd it spawned), MariaDB.
# Data is kept (databases, keys, images, BMC passwords), so the next up.sh is a fast warm start.
#   --wipe   also drop the testbed's databases and delete the state dir (next up.sh starts clean)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"

wipe=0
case ${1:-} in
  --wipe) wipe=1 ;;
  "") ;;
  *) echo "usage: $0 [--wipe]" >&2; exit 2 ;;
esac
[ -d "$TB_DIR" ] || { echo "nothing to stop: $TB_DIR does not exist"; exit 0; }
[ -d "$RUN" ] || mkdir -p "$RUN"
exec 9>"$TB_DIR/.lock"
flock -w 900 9 || { echo "another up.sh/down.sh holds $TB_DIR/.lock" >&2; exit 1; }

# stop NAME [TIMEOUT]: SIGTERM the saved PID, wait, SIGKILL if needed; drop the pid file.
stop() {
  local name=$1 timeout=${2:-20} pid i
  if pid=$(pid_of "$name"); then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do alive "$name" || break; sleep 0.1; done
    if alive "$name"; then echo "$name: still alive after ${timeout}s, SIGKILL $pid"; kill -KILL "$pid" 2>/dev/null || true; fi
    for ((i = 0; i < 50; i++)); do alive "$name" || break; sleep 0.1; done
    echo "stopped $name (pid $pid)"
  fi
  rm -f "$RUN/$name.pid"
}

# The computes go down through their BMC helper, which owns their PIDs (graceful: SIGTERM first),
# all at once (a graceful stop takes a few seconds each).
for f in "$RUN"/nova-compute-*.pid; do
  [ -e "$f" ] || continue
  host=$(basename "$f" .pid); host=${host#nova-compute-}
  if [ -x "$TB_DIR/bin/bmc-power" ]; then
    { "$TB_DIR/bin/bmc-power" "$host" stop 20 && rm -f "$f"; } 9>&- &
  else
    stop "nova-compute-$host"
  fi
done
wait
for f in "$RUN"/ipmi_sim-*.pid; do
  [ -e "$f" ] || continue
  stop "$(basename "$f" .pid)" 10
done
for s in nova-api nova-scheduler nova-conductor fake-neutron glance-api placement keystone; do stop "$s"; done
for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do stop "etcd$i"; done

if pid=$(pid_of rabbitmq); then
  rabbitmqctl -q stop >/dev/null 2>&1 9>&- || true   # stops beam.smp; the sh wrapper (our PID) then exits
  for ((i = 0; i < 100; i++)); do alive rabbitmq || break; sleep 0.1; done
  alive rabbitmq || echo "stopped rabbitmq (pid $pid, rabbitmqctl stop)"
fi
stop rabbitmq
stop epmd 5

if ((wipe)) && mysqladmin ping >/dev/null 2>&1; then
  mysql <<'SQL'
DROP DATABASE IF EXISTS keystone; DROP DATABASE IF EXISTS placement; DROP DATABASE IF EXISTS glance;
DROP DATABASE IF EXISTS nova_api; DROP DATABASE IF EXISTS nova; DROP DATABASE IF EXISTS nova_cell0;
DROP USER IF EXISTS 'keystone'@'%'; DROP USER IF EXISTS 'placement'@'%'; DROP USER IF EXISTS 'glance'@'%';
DROP USER IF EXISTS 'nova'@'%';
SQL
  echo "dropped the testbed's databases"
elif ((wipe)); then
  echo "WARNING: --wipe: MariaDB is not running; the testbed's databases are left alone" >&2
fi
stop mariadb 60

if ((wipe)); then
  rm -rf "$TB_ETCD_DIR"
  rm -rf "$TB_DIR"
  echo "removed $TB_DIR"
fi
