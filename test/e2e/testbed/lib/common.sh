# shellcheck shell=bash disable=SC2034  # (variables used by the scripts that source this)
# Shared settings and helpers for the forcedown testbed scripts (sourced, never run).
#
# Knobs (environment):
#   FORCEDOWN_TESTBED_DIR              state dir                       (default /tmp/forcedown-testbed)
#   FORCEDOWN_TESTBED_COMPUTES         number of fake computes         (default 3: fake1..fake3)
#   FORCEDOWN_TESTBED_BMC_BASE_PORT    UDP port of fake1's BMC         (default 9001; fakeN = base+N-1)
#   FORCEDOWN_TESTBED_REPORT_INTERVAL  nova report_interval, seconds   (default 10, Nova's default)
#   FORCEDOWN_TESTBED_SERVICE_DOWN_TIME nova service_down_time, seconds (default 60, Nova's default)
#   FORCEDOWN_TESTBED_DEBUG=1          debug logging in the OpenStack services
#   FORCEDOWN_TESTBED_ETCD_BASE_PORT   client port of etcd member 1    (default 2379; member N: base+2(N-1), peer +1)
#   FORCEDOWN_TESTBED_ETCD_DIR         etcd members' data dirs         (default $FORCEDOWN_TESTBED_DIR/state/etcd)

TB_DIR=${FORCEDOWN_TESTBED_DIR:-/tmp/forcedown-testbed}
TB_COMPUTES=${FORCEDOWN_TESTBED_COMPUTES:-3}
TB_BMC_BASE_PORT=${FORCEDOWN_TESTBED_BMC_BASE_PORT:-9001}
TB_REPORT_INTERVAL=${FORCEDOWN_TESTBED_REPORT_INTERVAL:-10}
TB_SERVICE_DOWN_TIME=${FORCEDOWN_TESTBED_SERVICE_DOWN_TIME:-60}
TB_ETCD_BASE_PORT=${FORCEDOWN_TESTBED_ETCD_BASE_PORT:-2379}
TB_ETCD_DIR=${FORCEDOWN_TESTBED_ETCD_DIR:-$TB_DIR/state/etcd}
TB_ETCD_MEMBERS=3

case $TB_DIR in /*) ;; *) echo "FORCEDOWN_TESTBED_DIR must be an absolute path" >&2; exit 2 ;; esac
case $TB_DIR in *[[:space:]\"\']*) echo "FORCEDOWN_TESTBED_DIR must not contain spaces or quotes" >&2; exit 2 ;; esac
case $TB_ETCD_DIR in /*) ;; *) echo "FORCEDOWN_TESTBED_ETCD_DIR must be an absolute path" >&2; exit 2 ;; esac
case $TB_ETCD_DIR in *[[:space:]\"\']*) echo "FORCEDOWN_TESTBED_ETCD_DIR must not contain spaces or quotes" >&2; exit 2 ;; esac
for _v in COMPUTES:TB_COMPUTES BMC_BASE_PORT:TB_BMC_BASE_PORT REPORT_INTERVAL:TB_REPORT_INTERVAL \
          SERVICE_DOWN_TIME:TB_SERVICE_DOWN_TIME ETCD_BASE_PORT:TB_ETCD_BASE_PORT; do
  _n=${_v#*:}
  [[ ${!_n} =~ ^[1-9][0-9]*$ ]] ||
    { echo "FORCEDOWN_TESTBED_${_v%%:*} must be a positive integer (got '${!_n}')" >&2; exit 2; }
done
unset _v _n

TB_HOST=127.0.0.1
TB_PY=/usr/bin/python3          # never `python3`: a pyenv shim may hide Debian's dist-packages
TB_KEYSTONE_URL=http://$TB_HOST:5000/v3
TB_NOVA_URL=http://$TB_HOST:8774/v2.1
TB_GLANCE_URL=http://$TB_HOST:9292
TB_PLACEMENT_URL=http://$TB_HOST:8778
TB_NEUTRON_URL=http://$TB_HOST:9696
TB_REGION=RegionOne
TB_BMC_USER="admin"
TB_CIPHER_SUITE=3

# Loopback-only test credentials (documented in README.md; never passed on a command line).
TB_ADMIN_PASS=adminpass
TB_DEMO_PASS=demopass
TB_DB_PASS=dbpass
TB_SERVICE_PASS=servicepass

RUN=$TB_DIR/run
LOGDIR=$TB_DIR/log
export ERL_EPMD_ADDRESS=$TB_HOST   # keep epmd (started by rabbitmq and rabbitmqctl) on loopback

log() { echo "[$(date +%H:%M:%S)] $*"; }

# Hosts of the fake computes, in order.
tb_hosts() { local i; for ((i = 1; i <= TB_COMPUTES; i++)); do echo "fake$i"; done; }

# What a saved PID's command line must contain for it to be ours (guards against PID reuse).
tb_marker() {
  case $1 in
    mariadb) echo mariadbd ;;
    rabbitmq) echo rabbitmq-server ;;
    epmd) echo epmd ;;
    etcd[0-9]*) echo "$TB_ETCD_DIR/$1" ;;
    *) echo "$TB_DIR" ;;
  esac
}

# pid_of NAME -> prints the PID saved in $RUN/NAME.pid if that process is alive (not a zombie)
# and still ours; returns 1 otherwise.
pid_of() {
  local f=$RUN/$1.pid pid state cmd
  [ -s "$f" ] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"$(tb_marker "$1")"* ]] || return 1
  echo "$pid"
}
alive() { pid_of "$1" >/dev/null; }

# ------------------------------------------------------------------ etcd (3 members on loopback)
# Member N (etcd1..etcd3): client port base+2(N-1), peer port base+2(N-1)+1, data dir
# $TB_ETCD_DIR/etcdN. Election timeout 2.5 s (etcd's default of 1 s flaps on a busy 2-core machine).
etcd_client_port() { echo $((TB_ETCD_BASE_PORT + 2 * ($1 - 1))); }
etcd_endpoints() {  # comma-separated client URLs of every member
  local i out=()
  for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do out+=("http://$TB_HOST:$(etcd_client_port "$i")"); done
  (IFS=,; echo "${out[*]}")
}
etcd_argv() {  # etcd_argv N: the argv of member N, one word per line
  local n=$1 i cluster=() client peer
  for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do cluster+=("etcd$i=http://$TB_HOST:$(($(etcd_client_port "$i") + 1))"); done
  client=http://$TB_HOST:$(etcd_client_port "$n"); peer=http://$TB_HOST:$(($(etcd_client_port "$n") + 1))
  printf '%s\n' /usr/bin/etcd --name "etcd$n" --data-dir "$TB_ETCD_DIR/etcd$n" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$(IFS=,; echo "${cluster[*]}")" --initial-cluster-token forcedown-testbed \
    --initial-cluster-state new --heartbeat-interval 250 --election-timeout 2500 \
    --logger zap --log-outputs stderr
}
# etcd_start N: start member N (no-op if it runs) in its own session, log in log/etcdN.log,
# PID in run/etcdN.pid. Never inherits fd 9 (the scripts' lock).
etcd_start() {
  local name=etcd$1 argv=()
  if alive "$name"; then echo "$name already running (pid $(pid_of "$name"))"; return 0; fi
  mkdir -p "$TB_ETCD_DIR" "$RUN" "$LOGDIR"; chmod 700 "$TB_ETCD_DIR"
  mapfile -t argv < <(etcd_argv "$1")
  setsid "${argv[@]}" >>"$LOGDIR/$name.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/$name.pid"
  echo "started $name (pid $!, client $TB_HOST:$(etcd_client_port "$1"))"
}
# etcd_healthy N: member N answers /health with a leader (quorum)
etcd_healthy() {
  curl -s --max-time 3 "http://$TB_HOST:$(etcd_client_port "$1")/health" 2>/dev/null | grep -q '"health":"true"'
}
