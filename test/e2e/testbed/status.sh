#!/bin/bash
# Is the testbed up and answering? Prints one line per component; exit 0 if everything is, else 1
# (2 if up.sh never ran). `-q`: print only what is missing.
# Checks: MariaDB, RabbitMQ, Keystone, Placement, Glance, stub Neutron, nova-api (HTTP), the
# saved PIDs of every process up.sh started, the etcd members (PID + /health), each BMC through ipmitool (power must be on), and
# each nova-compute service in Nova (state up, or forced down on purpose: reported, not a failure).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
quiet=0; [ "${1:-}" = -q ] && quiet=1

TB_JSON=$TB_DIR/testbed.json
if [ ! -f "$TB_JSON" ]; then echo "MISSING testbed: $TB_JSON not found (run up.sh)"; exit 2; fi
bad=0
ok() { ((quiet)) || printf 'ok       %-26s %s\n' "$1" "${2:-}"; }
missing() { printf 'MISSING  %-26s %s\n' "$1" "$2"; bad=1; }
note() { printf 'note     %-26s %s\n' "$1" "$2"; }
http() {  # http NAME URL: any HTTP answer counts
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$2" || true)
  if [ -n "$code" ] && [ "$code" != 000 ]; then ok "$1" "$2 -> $code"; else missing "$1" "no answer on $2"; fi
}
proc() {  # proc NAME: the PID saved by up.sh is alive
  local pid
  if pid=$(pid_of "$1"); then ok "$1" "pid $pid"; else missing "$1" "not running (no live pid in $RUN/$1.pid)"; fi
}

if mysqladmin ping >/dev/null 2>&1; then ok mariadb "answers"; else missing mariadb "mysqladmin ping fails"; fi
if (exec 3<>"/dev/tcp/$TB_HOST/5672") 2>/dev/null; then ok rabbitmq "$TB_HOST:5672"; else missing rabbitmq "nothing on $TB_HOST:5672"; fi
http keystone "$TB_KEYSTONE_URL"
http placement "$TB_PLACEMENT_URL/"
http glance-api "$TB_GLANCE_URL/"
http fake-neutron "$TB_NEUTRON_URL/"
http nova-api "$TB_NOVA_URL/"
for s in keystone placement glance-api fake-neutron nova-api nova-conductor nova-scheduler; do proc "$s"; done
# etcd: every member's PID and its /health (true only while the cluster has quorum)
for ((i = 1; i <= TB_ETCD_MEMBERS; i++)); do
  if ! pid=$(pid_of "etcd$i"); then missing "etcd$i" "not running (no live pid in $RUN/etcd$i.pid; etcd-member.sh start $i, or up.sh)"
  elif etcd_healthy "$i"; then ok "etcd$i" "pid $pid, $TB_HOST:$(etcd_client_port "$i") healthy"
  else missing "etcd$i" "pid $pid, $TB_HOST:$(etcd_client_port "$i") unhealthy (no quorum? see $LOGDIR/etcd$i.log)"; fi
done

# Nova's view of the computes (admin token; password from testbed.json, request body on stdin)
services='{}'
token=$(jq '{auth: {identity: {methods: ["password"], password: {user: {name: .admin.username,
          domain: {id: "default"}, password: .admin.password}}},
          scope: {project: {name: .admin.project, domain: {id: "default"}}}}}' "$TB_JSON" |
  curl -s --max-time 10 -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @- \
    "$TB_KEYSTONE_URL/auth/tokens" | awk 'tolower($1) == "x-subject-token:" { sub(/\r$/, "", $2); print $2 }' || true)
if [ -n "$token" ]; then
  services=$(printf 'X-Auth-Token: %s\nOpenStack-API-Version: compute 2.53\n' "$token" |
    curl -s --max-time 10 -H @- "$TB_NOVA_URL/os-services?binary=nova-compute" |
    jq -c '[.services[]? | {(.host): {state, forced_down, status}}] | add // {}' 2>/dev/null || echo '{}')
else
  missing keystone-token "cannot get an admin token"
fi

ncomp=$(jq '.computes | length' "$TB_JSON")
for ((i = 0; i < ncomp; i++)); do
  host=$(jq -r ".computes[$i].host" "$TB_JSON")
  port=$(jq -r ".computes[$i].bmc.port" "$TB_JSON")
  pwfile=$(jq -r ".computes[$i].bmc.passwordFile" "$TB_JSON")
  proc "ipmi_sim-$host"
  power=$(IPMI_PASSWORD=$(<"$pwfile") ipmitool -I lanplus -C "$TB_CIPHER_SUITE" -H "$TB_HOST" -p "$port" \
    -U "$TB_BMC_USER" -E chassis power status 2>&1 || true)
  case $power in
    "Chassis Power is on") ok "bmc $host" "udp $port: power on" ;;
    "Chassis Power is off") missing "bmc $host" "udp $port: power off (ipmitool ... chassis power on, or up.sh)" ;;
    *) missing "bmc $host" "udp $port: $power" ;;
  esac
  proc "nova-compute-$host"
  svc=$(jq -c --arg h "$host" '.[$h] // empty' <<<"$services")
  if [ -z "$svc" ]; then
    [ -z "$token" ] || missing "service $host" "no nova-compute service record"
  elif [ "$(jq -r .forced_down <<<"$svc")" = true ]; then
    note "service $host" "forced down ($(jq -r .status <<<"$svc")); clear it with PUT /os-services/{id} {\"forced_down\":false}"
  elif [ "$(jq -r .state <<<"$svc")" = up ]; then
    ok "service $host" "up ($(jq -r .status <<<"$svc"))"
  else
    missing "service $host" "state down (no heartbeat for service_down_time)"
  fi
done
exit $bad
