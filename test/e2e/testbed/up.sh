#!/bin/bash
# Bring up forcedown's end-to-end testbed on 127.0.0.1 (Debian 12, run as root, no systemd needed):
#   MariaDB, RabbitMQ, Keystone, Placement, Glance (file store), a stub Neutron, nova-api,
#   nova-conductor, nova-scheduler, and N nova-compute processes on Nova's fake driver
#   (hosts fake1..fakeN), each with its own IPMI BMC (ipmi_sim, lanplus) whose power state *is*
#   that nova-compute process. Beside it, a 3-member etcd cluster (forcedown's coordination).
# Idempotent: installs only missing packages, skips finished setup steps, starts only what is not
# running. Stop with down.sh; check with status.sh. See README.md for knobs, ports and files.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
trap 'echo "up.sh: FAILED at line $LINENO: $BASH_COMMAND (logs: $LOGDIR)" >&2' ERR

[ "$(id -u)" = 0 ] || { echo "up.sh must run as root (apt-get, mariadb, rabbitmq)" >&2; exit 1; }
umask 077
mkdir -p "$TB_DIR"
chmod 700 "$TB_DIR"      # configs in here hold the (test) passwords
mkdir -p "$TB_DIR"/{bin,etc/nova,etc/keystone,etc/placement,etc/glance,etc/bmc,state,bmc-passwords} "$RUN" "$LOGDIR"
# A caller's lock must not outlive this script in the daemons it starts: under
# `flock /tmp/forcedown-testbed.lock up.sh` the shared testbed lock is open on fd 3, and a
# keystone started with it held that lock for its whole life (every other suite waited).
for fd in 3 4 5 6 7 8; do eval "exec $fd>&-"; done 2>/dev/null
# Lock against a concurrent up.sh/down.sh. Every long-lived child must be started with 9>&-
# (start_bg, rmqctl): an inherited fd 9 would keep the lock held for as long as it runs.
exec 9>"$TB_DIR/.lock"
flock -w 900 9 || { echo "another up.sh/down.sh holds $TB_DIR/.lock" >&2; exit 1; }

T0=${EPOCHREALTIME/./}; TSTEP=$T0
TIMINGS=$TB_DIR/timings.txt
echo "=== up.sh $(date -Is) computes=$TB_COMPUTES" >>"$TIMINGS"
step_done() {
  local now=${EPOCHREALTIME/./}
  printf '  %-38s %6.1fs  (total %6.1fs)\n' "$1" "$(((now - TSTEP) / 100000))e-1" "$(((now - T0) / 100000))e-1" |
    tee -a "$TIMINGS"
  TSTEP=$now
}

# start_bg NAME CMD... : start in its own session, stdout/stderr appended to log/NAME.log, PID saved.
start_bg() {
  local name=$1; shift
  if alive "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  setsid "$@" >>"$LOGDIR/$name.log" 2>&1 </dev/null 9>&- &   # 9: our lock; daemons must not hold it
  echo $! >"$RUN/$name.pid"
  log "started $name (pid $!)"
}
# wait_http URL NAME [SECONDS]: until URL answers at all; fail early if NAME's process died.
wait_http() {
  local url=$1 name=$2 deadline=$((SECONDS + ${3:-120}))
  until curl -s -o /dev/null --max-time 2 "$url"; do
    alive "$name" || { echo "ERROR: $name died; see $LOGDIR/$name.log" >&2; exit 1; }
    ((SECONDS < deadline)) || { echo "ERROR: $name does not answer on $url; see $LOGDIR/" >&2; exit 1; }
    sleep 0.3
  done
}
# Setup steps that only need to run once per package version (db syncs, bootstrap): stamps.
stamp_ok() { [ -f "$TB_DIR/state/$1.done" ] && [ "$(<"$TB_DIR/state/$1.done")" = "$2" ]; }
stamp() { echo "$2" >"$TB_DIR/state/$1.done"; }
pkgver() { dpkg-query -W -f='${Version}' "$1"; }
# write_if_changed FILE [MODE]: stdin -> FILE (mode 0600 unless given); returns 0 if it changed.
write_if_changed() {
  local tmp; tmp=$(mktemp "$1.XXXXXX")
  cat >"$tmp"
  chmod "${2:-600}" "$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then rm -f "$tmp"; chmod "${2:-600}" "$1"; return 1; fi
  mv -f "$tmp" "$1"; return 0
}

# ------------------------------------------------------------------------------- 1. packages
PKGS=(python3-nova python3-keystone python3-glance python3-placement python3-pymysql
      python3-keystonemiddleware python3-keystoneclient rabbitmq-server mariadb-server
      openipmi ipmitool curl jq
      python3-sushy    # OpenStack's Redfish client: cross-checks the Redfish BMC double (test/e2e/fencing)
      etcd-server etcd-client)   # 3.4: the coordination cluster (test/e2e/coordination); etcdctl to look by hand
missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  apt-get update -qq
  # No systemd here: keep the maintainer scripts from starting mariadb/rabbitmq/openipmi.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; own_policy=1
  fi
  rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" \
    >"$LOGDIR/apt-install.log" 2>&1 || rc=$?
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  if ((rc)); then tail -20 "$LOGDIR/apt-install.log" >&2; exit 1; fi
  grep -E "newly installed|^Need to get|additional disk" "$LOGDIR/apt-install.log" || true
fi
# Debian's paste .ini files live in the service packages (nova-common, glance-common), whose
# postinst scripts want dbconfig-common/debconf: take just the files out of the .debs.
PASTE=$TB_DIR/state/debs
if [ ! -f "$PASTE/usr/share/nova-common/api-paste.ini" ] || [ ! -f "$PASTE/usr/share/glance-common/glance-api-paste.ini" ]; then
  dl=$(mktemp -d); chmod 777 "$dl"     # apt-get download runs as user _apt
  (cd "$dl" && { apt-get download nova-common glance-common >/dev/null 2>&1 ||
                 { apt-get update -qq && apt-get download nova-common glance-common >/dev/null; }; }
   for f in ./*.deb; do dpkg-deb -x "$f" "$PASTE"; done)
  rm -rf "$dl"
fi
step_done "packages"

# ------------------------------------------------------------------------------- 2. MariaDB
if ! mysqladmin ping >/dev/null 2>&1; then
  # mariadbd runs as mysql: it cannot write into our root-owned dir (and segfaults on that error
  # path), so its pid file stays in /run/mysqld and its log goes through our stdout redirection.
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  start_bg mariadb /usr/sbin/mariadbd --user=mysql --bind-address="$TB_HOST" --skip-name-resolve \
    --max-connections=1000 --innodb-buffer-pool-size=128M --pid-file=/run/mysqld/mysqld.pid
  for ((i = 0; i < 240; i++)); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.25; done
fi
mysqladmin ping >/dev/null
mysql <<SQL
CREATE DATABASE IF NOT EXISTS keystone CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS placement CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS glance CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS nova_api CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS nova CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS nova_cell0 CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'keystone'@'%' IDENTIFIED BY '$TB_DB_PASS';
CREATE USER IF NOT EXISTS 'placement'@'%' IDENTIFIED BY '$TB_DB_PASS';
CREATE USER IF NOT EXISTS 'glance'@'%' IDENTIFIED BY '$TB_DB_PASS';
CREATE USER IF NOT EXISTS 'nova'@'%' IDENTIFIED BY '$TB_DB_PASS';
GRANT ALL ON keystone.* TO 'keystone'@'%';
GRANT ALL ON placement.* TO 'placement'@'%';
GRANT ALL ON glance.* TO 'glance'@'%';
GRANT ALL ON nova_api.* TO 'nova'@'%';
GRANT ALL ON nova.* TO 'nova'@'%';
GRANT ALL ON nova_cell0.* TO 'nova'@'%';
FLUSH PRIVILEGES;
SQL
step_done "mariadb"

# ------------------------------------------------------------------------------- 3. RabbitMQ
write_if_changed /etc/rabbitmq/rabbitmq-env.conf 644 <<EOF || true
# Written by forcedown's test/e2e/testbed/up.sh: loopback only.
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=$TB_HOST
NODE_PORT=5672
ERL_EPMD_ADDRESS=$TB_HOST
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
rmqctl() { rabbitmqctl "$@" 9>&-; }   # it may spawn epmd, which must not inherit our lock
# epmd (port 4369) is spawned by the first Erlang program that needs it, rabbitmqctl included: if
# none runs yet, the one that appears now is ours, and down.sh stops it by the PID saved here.
epmd_pid() { { ss -Hltnp 'sport = :4369' 2>/dev/null || true; } | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | sed -n 1p; }
epmd_was_running=$(epmd_pid)
if ! rmqctl -q status >/dev/null 2>&1; then
  # rabbitmq-server is a sh wrapper that stays the parent of beam.smp (down.sh: rabbitmqctl stop).
  HOME=/var/lib/rabbitmq start_bg rabbitmq \
    setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
  for ((i = 0; i < 120; i++)); do
    rmqctl -q await_startup >/dev/null 2>&1 && break
    alive rabbitmq || { echo "ERROR: rabbitmq died; see $LOGDIR/rabbitmq.log" >&2; exit 1; }
    sleep 1
  done
fi
if [ -z "$epmd_was_running" ] && ! alive epmd; then p=$(epmd_pid); [ -z "$p" ] || echo "$p" >"$RUN/epmd.pid"; fi
rmqctl -q await_startup   # guest/guest works: every connection comes from loopback
step_done "rabbitmq"

# ------------------------------------------------------------------------------- 3b. etcd
# Three members on loopback (lib/common.sh: ports, argv, data dirs). A fresh cluster needs all
# three started before any of them has quorum; a member that a test stopped is simply started.
for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do log "$(etcd_start "$i")"; done
for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do
  for ((j = 0; j < 240; j++)); do
    etcd_healthy "$i" && break
    alive "etcd$i" || { echo "ERROR: etcd$i died; see $LOGDIR/etcd$i.log" >&2; exit 1; }
    ((j < 239)) || { echo "ERROR: etcd$i not healthy after 60 s; see $LOGDIR/etcd$i.log" >&2; exit 1; }
    sleep 0.25
  done
done
step_done "etcd ($(etcd_endpoints))"

# ------------------------------------------------------------------------------- helpers
install -m 755 "$HERE/lib/wsgi_serve.py" "$HERE/lib/fake_neutron.py" "$HERE/lib/bmc-power" "$TB_DIR/bin/"
# Entry points written like Debian's /usr/bin/nova-* (the service packages are not installed).
for svc in nova-api:nova.cmd.api nova-conductor:nova.cmd.conductor nova-scheduler:nova.cmd.scheduler \
           nova-compute:nova.cmd.compute nova-manage:nova.cmd.manage glance-api:glance.cmd.api \
           glance-manage:glance.cmd.manage; do
  printf '#!%s\nimport sys\nfrom %s import main\nif __name__ == "__main__":\n    sys.exit(main())\n' \
    "$TB_PY" "${svc#*:}" >"$TB_DIR/bin/${svc%%:*}"
  chmod 755 "$TB_DIR/bin/${svc%%:*}"
done
DEBUG=False; [ "${FORCEDOWN_TESTBED_DEBUG:-0}" = 1 ] && DEBUG=True
KS=http://$TB_HOST:5000

keystone_authtoken() {  # [keystone_authtoken] of service $1
  cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS/
auth_url = $KS/
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $TB_SERVICE_PASS
region_name = $TB_REGION
service_token_roles_required = True
EOF
}
service_auth() {  # keystoneauth options for nova's client sections, as service user $1
  cat <<EOF
auth_type = password
auth_url = $KS/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $TB_SERVICE_PASS
region_name = $TB_REGION
EOF
}

# ------------------------------------------------------------------------------- 4. Keystone
KCONF=$TB_DIR/etc/keystone/keystone.conf
write_if_changed "$KCONF" <<EOF || true
[DEFAULT]
debug = $DEBUG
log_file = $LOGDIR/keystone.log
[database]
connection = mysql+pymysql://keystone:$TB_DB_PASS@$TB_HOST/keystone
[token]
provider = fernet
[fernet_tokens]
key_repository = $TB_DIR/state/keystone/fernet-keys
[fernet_receipts]
key_repository = $TB_DIR/state/keystone/fernet-keys
[credential]
key_repository = $TB_DIR/state/keystone/credential-keys
EOF
KM=(keystone-manage --config-file "$KCONF")
mkdir -p "$TB_DIR/state/keystone"
if ! stamp_ok keystone "$(pkgver python3-keystone)"; then
  "${KM[@]}" db_sync >>"$LOGDIR/keystone-manage.log" 2>&1
  [ -d "$TB_DIR/state/keystone/fernet-keys" ] ||
    "${KM[@]}" fernet_setup --keystone-user root --keystone-group root >>"$LOGDIR/keystone-manage.log" 2>&1
  [ -d "$TB_DIR/state/keystone/credential-keys" ] ||
    "${KM[@]}" credential_setup --keystone-user root --keystone-group root >>"$LOGDIR/keystone-manage.log" 2>&1
  # bootstrap reads the admin password from OS_BOOTSTRAP_PASSWORD (kept off the command line)
  OS_BOOTSTRAP_PASSWORD=$TB_ADMIN_PASS "${KM[@]}" bootstrap --bootstrap-username admin \
    --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-region-id "$TB_REGION" \
    --bootstrap-admin-url "$KS/v3/" --bootstrap-internal-url "$KS/v3/" --bootstrap-public-url "$KS/v3/" \
    >>"$LOGDIR/keystone-manage.log" 2>&1
  stamp keystone "$(pkgver python3-keystone)"
fi
OS_KEYSTONE_CONFIG_FILES=$KCONF start_bg keystone \
  "$TB_PY" "$TB_DIR/bin/wsgi_serve.py" "$TB_HOST" 5000 keystone.server.wsgi:initialize_public_application
wait_http "$KS/v3" keystone
step_done "keystone"

PROJECTS=$TB_DIR/state/projects.json
if ! stamp_ok keystone-content "$(pkgver python3-keystone)" || [ ! -s "$PROJECTS" ]; then
  TB_ADMIN_PASS=$TB_ADMIN_PASS TB_DEMO_PASS=$TB_DEMO_PASS TB_SERVICE_PASS=$TB_SERVICE_PASS \
    "$TB_PY" "$HERE/lib/keystone_init.py" "$TB_KEYSTONE_URL" "$TB_REGION" >"$PROJECTS.tmp" 2>>"$LOGDIR/keystone-init.log"
  mv "$PROJECTS.tmp" "$PROJECTS"
  stamp keystone-content "$(pkgver python3-keystone)"
fi
ADMIN_PROJECT_ID=$(jq -r .admin "$PROJECTS"); DEMO_PROJECT_ID=$(jq -r .demo "$PROJECTS")
step_done "keystone users/projects/catalog"

# ------------------------------------------------------------------------------- 5. Placement
write_if_changed "$TB_DIR/etc/placement/placement.conf" <<EOF || true
[DEFAULT]
debug = $DEBUG
log_file = $LOGDIR/placement.log
[api]
auth_strategy = keystone
[placement_database]
connection = mysql+pymysql://placement:$TB_DB_PASS@$TB_HOST/placement
# oslo.db's pool (5 + 10 overflow, 30 s wait) ran dry when 30 evacuations claimed at once: placement
# answered 500 "QueuePool limit of size 5 overflow 10 reached" and nova-compute failed the claims
# (ConsumerAllocationRetrievalFailed). MariaDB allows 1000 connections here.
max_pool_size = 20
max_overflow = 40
pool_timeout = 60
$(keystone_authtoken placement)
EOF
if ! stamp_ok placement "$(pkgver python3-placement)"; then
  placement-manage --config-file "$TB_DIR/etc/placement/placement.conf" db sync >>"$LOGDIR/placement-manage.log" 2>&1
  stamp placement "$(pkgver python3-placement)"
fi
OS_PLACEMENT_CONFIG_DIR=$TB_DIR/etc/placement start_bg placement \
  "$TB_PY" "$TB_DIR/bin/wsgi_serve.py" "$TB_HOST" 8778 placement.wsgi:init_application
wait_http "$TB_PLACEMENT_URL/" placement
step_done "placement"

# ------------------------------------------------------------------------------- 6. Glance
mkdir -p "$TB_DIR/state/glance/images" "$TB_DIR/state/glance/staging" "$TB_DIR/state/glance/tasks"
write_if_changed "$TB_DIR/etc/glance/glance-api-paste.ini" <"$PASTE/usr/share/glance-common/glance-api-paste.ini" || true
write_if_changed "$TB_DIR/etc/glance/glance-api.conf" <<EOF || true
[DEFAULT]
debug = $DEBUG
bind_host = $TB_HOST
bind_port = 9292
workers = 1
enabled_backends = fs:file
[database]
connection = mysql+pymysql://glance:$TB_DB_PASS@$TB_HOST/glance
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $TB_DIR/state/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $TB_DIR/state/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $TB_DIR/state/glance/tasks/
[paste_deploy]
flavor = keystone
config_file = $TB_DIR/etc/glance/glance-api-paste.ini
$(keystone_authtoken glance)
EOF
if ! stamp_ok glance "$(pkgver python3-glance)"; then
  "$TB_DIR/bin/glance-manage" --config-file "$TB_DIR/etc/glance/glance-api.conf" db_sync >>"$LOGDIR/glance-manage.log" 2>&1
  stamp glance "$(pkgver python3-glance)"
fi
start_bg glance-api "$TB_DIR/bin/glance-api" --config-file "$TB_DIR/etc/glance/glance-api.conf" \
  --log-file "$LOGDIR/glance-api.log"
wait_http "$TB_GLANCE_URL/" glance-api
step_done "glance"

# ------------------------------------------------------------------------------- 7. stub Neutron
start_bg fake-neutron "$TB_PY" "$TB_DIR/bin/fake_neutron.py"
wait_http "$TB_NEUTRON_URL/" fake-neutron

# ------------------------------------------------------------------------------- 8. Nova control plane
NCONF=$TB_DIR/etc/nova/nova.conf; NDB=$TB_DIR/etc/nova/nova-db.conf
write_if_changed "$TB_DIR/etc/nova/api-paste.ini" <"$PASTE/usr/share/nova-common/api-paste.ini" || true
nova_conf_changed=0
write_if_changed "$NCONF" <<EOF && nova_conf_changed=1
[DEFAULT]
debug = $DEBUG
transport_url = rabbit://guest:guest@$TB_HOST:5672/
my_ip = $TB_HOST
state_path = $TB_DIR/state/nova
compute_driver = fake.FakeDriver
enabled_apis = osapi_compute
osapi_compute_listen = $TB_HOST
osapi_compute_listen_port = 8774
osapi_compute_workers = 1
use_rootwrap_daemon = False
report_interval = $TB_REPORT_INTERVAL
service_down_time = $TB_SERVICE_DOWN_TIME
[api]
auth_strategy = keystone
[conductor]
workers = 1
[scheduler]
workers = 1
[wsgi]
api_paste_config = $TB_DIR/etc/nova/api-paste.ini
[oslo_concurrency]
lock_path = $TB_DIR/state/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = False
[glance]
region_name = $TB_REGION
[placement]
$(service_auth nova)
[neutron]
$(service_auth nova)
[service_user]
send_service_user_token = True
$(service_auth nova)
$(keystone_authtoken nova)
EOF
# Database credentials only for api/conductor/scheduler/nova-manage: a nova-compute that has them
# logs "ERROR nova.db.main.api ... No DB access allowed in nova-compute".
write_if_changed "$NDB" <<EOF || true
[api_database]
connection = mysql+pymysql://nova:$TB_DB_PASS@$TB_HOST/nova_api
[database]
connection = mysql+pymysql://nova:$TB_DB_PASS@$TB_HOST/nova
EOF
NM=("$TB_DIR/bin/nova-manage" --config-file "$NCONF" --config-file "$NDB")
if ! stamp_ok nova "$(pkgver python3-nova)"; then
  "${NM[@]}" api_db sync >>"$LOGDIR/nova-manage.log" 2>&1
  # map_cell0 derives cell0's connection from [database] (database "nova" -> "nova_cell0"), so no
  # password on its command line. On a re-run it says "Cell0 is already setup" and exits 1: fine.
  "${NM[@]}" cell_v2 map_cell0 >>"$LOGDIR/nova-manage.log" 2>&1 || true
  cells=$("${NM[@]}" cell_v2 list_cells 2>/dev/null || true)   # no `| grep -q` under pipefail (SIGPIPE)
  if ! grep -q "| cell1 " <<<"$cells"; then
    "${NM[@]}" cell_v2 create_cell --name cell1 >>"$LOGDIR/nova-manage.log" 2>&1
  fi
  "${NM[@]}" db sync >>"$LOGDIR/nova-manage.log" 2>&1
  stamp nova "$(pkgver python3-nova)"
fi
step_done "nova db sync + cells"

if ((nova_conf_changed)) && { alive nova-api || alive nova-conductor || alive nova-scheduler; }; then
  log "WARNING: nova.conf changed while Nova is running; run down.sh && up.sh to apply it"
fi
start_bg nova-conductor "$TB_DIR/bin/nova-conductor" --config-file "$NCONF" --config-file "$NDB" \
  --log-file "$LOGDIR/nova-conductor.log"
# Computes started before the conductor consumes its queue lose ~10 s on their first RPC
# ("Timed out waiting for nova-conductor. Is it running?").
for ((i = 0; i < 240; i++)); do
  q=$(rmqctl -q list_queues name consumers 2>/dev/null || true)
  grep -qE '^conductor[[:space:]]+[1-9]' <<<"$q" && break
  alive nova-conductor || { echo "ERROR: nova-conductor died; see $LOGDIR/nova-conductor.log" >&2; exit 1; }
  sleep 0.5
done
start_bg nova-scheduler "$TB_DIR/bin/nova-scheduler" --config-file "$NCONF" --config-file "$NDB" \
  --log-file "$LOGDIR/nova-scheduler.log"
start_bg nova-api "$TB_DIR/bin/nova-api" --config-file "$NCONF" --config-file "$NDB" \
  --log-file "$LOGDIR/nova-api.log"
step_done "nova control plane started"

# ------------------------------------------------------------------------------- 9. BMCs + computes
# One ipmi_sim per host. Its chassis_control program is bin/bmc-power, which owns the host's
# nova-compute process: "power on" == that process is alive. The computes are started through
# the very same program (set power 1), so the two can never disagree.
gen_password() { "$TB_PY" -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(16)))'; }
i=0
for host in $(tb_hosts); do
  i=$((i + 1)); port=$((TB_BMC_BASE_PORT + i - 1))
  pwfile=$TB_DIR/bmc-passwords/$host
  [ -s "$pwfile" ] || gen_password >"$pwfile"
  pw=$(<"$pwfile")
  printf '%s' "$pw" >"$pwfile"      # no trailing newline: the file is exactly the password
  chmod 600 "$pwfile"
  bdir=$TB_DIR/etc/bmc/$host
  mkdir -p "$bdir" "$TB_DIR/state/bmc/$host"
  bmc_changed=0
  write_if_changed "$bdir/lan.conf" <<EOF && bmc_changed=1
# ipmi_sim LAN config for $host (generated by up.sh; holds the BMC password: mode 0600)
name "$host"
set_working_mc 0x20
  startlan 1
    addr $TB_HOST $port
    priv_limit admin
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid $(md5sum <<<"$host" | cut -c1-32)
  endlan
  chassis_control "$TB_DIR/bin/bmc-power $host"
  user 2 true "$TB_BMC_USER" "$pw" admin 10 md5
EOF
  chmod 600 "$bdir/lan.conf"
  write_if_changed "$bdir/bmc.emu" <<EOF || true
# ipmi_sim commands: a single BMC at IPMB address 0x20
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
mc_enable 0x20
EOF
  if ((bmc_changed)) && alive "ipmi_sim-$host"; then   # ipmi_sim does not re-read its config
    kill -TERM "$(pid_of "ipmi_sim-$host")"
    for ((j = 0; j < 50; j++)); do alive "ipmi_sim-$host" || break; sleep 0.1; done
  fi
  # -n: no console on stdin (with stdin on /dev/null ipmi_sim would abort in epoll)
  start_bg "ipmi_sim-$host" /usr/bin/ipmi_sim -n -c "$bdir/lan.conf" -f "$bdir/bmc.emu" -s "$TB_DIR/state/bmc/$host"

  mkdir -p "$TB_DIR/state/compute-$host"
  write_if_changed "$TB_DIR/etc/nova/compute-$host.conf" <<EOF || true
[DEFAULT]
host = $host
state_path = $TB_DIR/state/compute-$host
[oslo_concurrency]
lock_path = $TB_DIR/state/compute-$host/lock
EOF
  printf '%s\n' "$TB_DIR/bin/nova-compute" --config-file "$NCONF" --config-file "$TB_DIR/etc/nova/compute-$host.conf" \
    --log-file "$LOGDIR/nova-compute-$host.log" >"$RUN/nova-compute-$host.argv"
  "$TB_DIR/bin/bmc-power" "$host" set power 1          # power on == start nova-compute
  log "$host: BMC 127.0.0.1:$port, nova-compute pid $(<"$RUN/nova-compute-$host.pid")"
done
unset pw

ipmi() {  # ipmi HOST ARGS...: ipmitool against HOST's BMC, password via IPMI_PASSWORD (-E)
  local host=$1 n=${1#fake}; shift
  IPMI_PASSWORD=$(<"$TB_DIR/bmc-passwords/$host") ipmitool -I lanplus -C "$TB_CIPHER_SUITE" -H "$TB_HOST" \
    -p $((TB_BMC_BASE_PORT + n - 1)) -U "$TB_BMC_USER" -E "$@"
}
for host in $(tb_hosts); do
  for ((j = 0; ; j++)); do
    out=$(ipmi "$host" chassis power status 2>&1 || true)
    [ "$out" = "Chassis Power is on" ] && break
    ((j < 20)) || { echo "ERROR: BMC of $host answers '$out'; see $LOGDIR/ipmi_sim-$host.log" >&2; exit 1; }
    sleep 0.25
  done
done
step_done "BMCs up, computes powered on"

# ------------------------------------------------------------------------------- 10. readiness
token() {  # token USER PASSWORD PROJECT -> X-Subject-Token (request body on stdin, not argv)
  jq -n --arg u "$1" --arg p "$2" --arg pr "$3" '{auth: {identity: {methods: ["password"],
      password: {user: {name: $u, domain: {id: "default"}, password: $p}}},
      scope: {project: {name: $pr, domain: {id: "default"}}}}}' |
    curl -s -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$TB_KEYSTONE_URL/auth/tokens" |
    awk 'tolower($1) == "x-subject-token:" { sub(/\r$/, "", $2); print $2 }'
}
ADMIN_TOKEN=$(token admin "$TB_ADMIN_PASS" admin)
[ -n "$ADMIN_TOKEN" ] || { echo "ERROR: no keystone token for admin" >&2; exit 1; }
nova() {  # nova [curl args...] URL  (admin token via a header file, not argv)
  curl -s -H @"$RUN/admin.headers" -H 'Content-Type: application/json' "$@"
}
printf 'X-Auth-Token: %s\nOpenStack-API-Version: compute 2.53\n' "$ADMIN_TOKEN" >"$RUN/admin.headers"
wait_http "$TB_NOVA_URL/" nova-api 240
hosts_json=$(tb_hosts | jq -R . | jq -sc .)
deadline=$((SECONDS + 240))
while :; do
  ready=$(nova "$TB_NOVA_URL/os-services?binary=nova-compute" | jq --argjson h "$hosts_json" \
    '[.services[]? | select(.host as $x | $h | index($x)) | select(.state == "up" or .forced_down)] | length' 2>/dev/null || echo 0)
  [ "$ready" = "$TB_COMPUTES" ] && break
  ((SECONDS < deadline)) || { echo "ERROR: only $ready/$TB_COMPUTES computes up; see $LOGDIR/nova-compute-*.log" >&2; exit 1; }
  sleep 1
done
mapped() {
  nova "$TB_NOVA_URL/os-hypervisors" | jq --argjson h "$hosts_json" \
    '[.hypervisors[]? | select(.hypervisor_hostname as $x | $h | index($x))] | length' 2>/dev/null || echo 0
}
if [ "$(mapped)" != "$TB_COMPUTES" ]; then
  "${NM[@]}" cell_v2 discover_hosts >>"$LOGDIR/nova-manage.log" 2>&1
  deadline=$((SECONDS + 120))
  until [ "$(mapped)" = "$TB_COMPUTES" ]; do
    ((SECONDS < deadline)) || { echo "ERROR: computes not mapped to cell1 (nova-manage cell_v2 discover_hosts)" >&2; exit 1; }
    sleep 1
  done
fi
MAX_MV=$(curl -s "$TB_NOVA_URL/" | jq -r .version.version)
step_done "computes up and mapped"

# ------------------------------------------------------------------------------- 11. flavor, image, quotas
code=$(nova -o /dev/null -w '%{http_code}' "$TB_NOVA_URL/flavors/1")
[ "$code" = 200 ] ||
  nova -X POST "$TB_NOVA_URL/flavors" -d '{"flavor":{"name":"m1.tiny","id":"1","ram":512,"vcpus":1,"disk":1}}' >/dev/null
IMAGE_ID=$(nova "$TB_GLANCE_URL/v2/images?name=fake-image" | jq -r '.images[0].id // empty')
if [ -z "$IMAGE_ID" ]; then
  IMAGE_ID=$(nova -X POST "$TB_GLANCE_URL/v2/images" \
    -d '{"name":"fake-image","disk_format":"raw","container_format":"bare","visibility":"public"}' | jq -r .id)
fi
if [ "$(nova "$TB_GLANCE_URL/v2/images/$IMAGE_ID" | jq -r .status)" = queued ]; then   # no data yet
  head -c 1048576 /dev/zero >"$TB_DIR/state/fake-image.raw"
  curl -s -H @"$RUN/admin.headers" -H 'Content-Type: application/octet-stream' -X PUT \
    --data-binary @"$TB_DIR/state/fake-image.raw" "$TB_GLANCE_URL/v2/images/$IMAGE_ID/file"
fi
[ "$(nova "$TB_GLANCE_URL/v2/images/$IMAGE_ID" | jq -r .status)" = active ] ||
  { echo "ERROR: image fake-image ($IMAGE_ID) is not active" >&2; exit 1; }
for pid in "$ADMIN_PROJECT_ID" "$DEMO_PROJECT_ID"; do
  nova -X PUT "$TB_NOVA_URL/os-quota-sets/$pid" -d '{"quota_set":{"instances":-1,"cores":-1,"ram":-1}}' |
    jq -e '.quota_set.instances == -1' >/dev/null || { echo "ERROR: could not raise quota of $pid" >&2; exit 1; }
done
rm -f "$RUN/admin.headers"
step_done "flavor, image, quotas"

# ------------------------------------------------------------------------------- 12. description files
TB_ADMIN_PASS=$TB_ADMIN_PASS TB_DEMO_PASS=$TB_DEMO_PASS "$TB_PY" "$HERE/lib/write_files.py" \
  dir="$TB_DIR" computes="$TB_COMPUTES" bmcBasePort="$TB_BMC_BASE_PORT" bmcAddress="$TB_HOST" \
  bmcUser="$TB_BMC_USER" cipherSuite="$TB_CIPHER_SUITE" keystoneUrl="$TB_KEYSTONE_URL" novaUrl="$TB_NOVA_URL" \
  glanceUrl="$TB_GLANCE_URL" placementUrl="$TB_PLACEMENT_URL" region="$TB_REGION" imageId="$IMAGE_ID" flavorId=1 \
  adminProjectId="$ADMIN_PROJECT_ID" demoProjectId="$DEMO_PROJECT_ID" reportInterval="$TB_REPORT_INTERVAL" \
  serviceDownTime="$TB_SERVICE_DOWN_TIME" maxMicroversion="$MAX_MV" restartCompute="$HERE/restart-compute.sh" \
  etcdEndpoints="$(etcd_endpoints)" etcdMember="$HERE/etcd-member.sh"
step_done "clouds.yaml, secure.yaml, inventory.json, testbed.json"

log "testbed up: Nova $TB_NOVA_URL (microversions up to $MAX_MV), image $IMAGE_ID, flavor 1,"
log "computes $(tb_hosts | paste -sd, -), BMCs 127.0.0.1:$TB_BMC_BASE_PORT..$((TB_BMC_BASE_PORT + TB_COMPUTES - 1))/udp"
log "etcd $(etcd_endpoints) (data $TB_ETCD_DIR)"
log "description: $TB_DIR/testbed.json   logs: $LOGDIR/"
