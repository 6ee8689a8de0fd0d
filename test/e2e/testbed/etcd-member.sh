#!/bin/bash
# etcd-member.sh stop|kill|start|status [N]: stop (SIGTERM, waits until gone), kill (SIGKILL) or
# start again member N (1..3) of the testbed's etcd cluster, by its saved PID and argv (the same
# lib/common.sh functions up.sh uses), for tests that take members away: with one of three gone
# the cluster keeps quorum; with two gone it has none. `status` prints each member's PID and
# health. `start` returns once the member listens on its client port (with quorum or not).
# It does not take up.sh's lock: a test that stops a member restarts it itself, and status.sh
# reports a member that is down (up.sh starts it again).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
usage() { echo "usage: $0 stop|kill|start N   |   $0 status" >&2; exit 2; }
cmd=${1:-}; n=${2:-}
case $cmd in
  status)
    for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do
      pid=$(pid_of "etcd$i" || echo -); h=unhealthy; etcd_healthy "$i" && h=healthy
      echo "etcd$i pid $pid client $TB_HOST:$(etcd_client_port "$i") $h"
    done
    exit 0 ;;
  stop | kill | start) [[ $n =~ ^[1-9][0-9]*$ ]] && ((n <= TB_ETCD_MEMBERS)) || usage ;;
  *) usage ;;
esac
name=etcd$n
if [ "$cmd" = start ]; then
  [ -d "$TB_ETCD_DIR/$name" ] || { echo "$name has no data dir $TB_ETCD_DIR/$name (did up.sh run?)" >&2; exit 2; }
  etcd_start "$n"
  port=$(etcd_client_port "$n")
  for ((i = 0; i < 300; i++)); do
    (exec 3<>"/dev/tcp/$TB_HOST/$port") 2>/dev/null && exit 0
    alive "$name" || { echo "$name died; see $LOGDIR/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$name does not listen on $TB_HOST:$port after 30 s; see $LOGDIR/$name.log" >&2; exit 1
fi
if ! pid=$(pid_of "$name"); then echo "$name is not running"; exit 0; fi
sig=TERM; [ "$cmd" = kill ] && sig=KILL
kill -"$sig" "$pid"
for ((i = 0; i < 200; i++)); do alive "$name" || { echo "stopped $name (pid $pid, SIG$sig)"; exit 0; }; sleep 0.1; done
kill -KILL "$pid" 2>/dev/null || true
echo "$name: still alive 20 s after SIG$sig; sent SIGKILL to $pid"
