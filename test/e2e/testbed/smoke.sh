#!/bin/bash
# smoke.sh: prove the running testbed does what forcedown needs, with curl and ipmitool only.
#   1. boot SMOKE_SERVERS servers (default 3) on SMOKE_HOST (default fake1): 2.74 "host", networks none
#   2. evacuate while the host is up  -> 400 "Compute service of HOST is still in use."
#   3. fence: `ipmitool chassis power off` on its BMC; power status reads back "off"; process gone
#   4. force-down (2.53, by service UUID) -> state down at once
#   5. evacuate every server (2.29 {}) and confirm through os-migrations + the servers' host
#   6. clear force-down -> 400 while `done` evacuation migrations remain on the host
#   7. `ipmitool chassis power on` -> nova-compute restarts, migrations go `completed`, clear -> 200
#   8. delete the servers
# SMOKE_HEARTBEAT=1 also powers off a second host (SMOKE_HEARTBEAT_HOST, default the first other
# host) without force-down, times how long Nova takes to report it down (report_interval and
# service_down_time), then powers it back on.
# Leaves the testbed as it found it (all hosts on, none forced down). Exit 0 on success.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
SRC=${SMOKE_HOST:-fake1}
NSERVERS=${SMOKE_SERVERS:-3}
TB_JSON=$TB_DIR/testbed.json
"$HERE/status.sh" -q >/dev/null || { "$HERE/status.sh" -q; echo "testbed not ready: run up.sh" >&2; exit 1; }

T0=${EPOCHREALTIME/./}
since() { printf '%.1f' "$(((${EPOCHREALTIME/./} - $1) / 100000))e-1"; }   # seconds since a ${EPOCHREALTIME/./}
say() { printf '[%6ss] %s\n' "$(since "$T0")" "$*"; }
die() { say "FAIL: $*"; exit 1; }
HDR=$(mktemp); trap 'rm -f "$HDR"' EXIT
printf 'X-Auth-Token: %s\nContent-Type: application/json\n' "$("$HERE/token.sh" admin)" >"$HDR"
# api MICROVERSION METHOD PATH [BODY] -> body on stdout, HTTP code in $CODE_FILE
CODE_FILE=$(mktemp); trap 'rm -f "$HDR" "$CODE_FILE"' EXIT
api() {
  local args=(-s -H @"$HDR" -H "OpenStack-API-Version: compute $1" -X "$2" -o /dev/stdout -w '\n%{http_code}')
  [ $# -ge 4 ] && args+=(--data-binary "$4")
  local out; out=$(curl "${args[@]}" "$TB_NOVA_URL$3")
  echo "${out##*$'\n'}" >"$CODE_FILE"
  printf '%s' "${out%$'\n'*}"
}
code() { cat "$CODE_FILE"; }
ipmi() {  # ipmi HOST ARGS...
  local port pwfile
  port=$(jq -r --arg h "$1" '.computes[] | select(.host == $h) | .bmc.port' "$TB_JSON")
  pwfile=$(jq -r --arg h "$1" '.computes[] | select(.host == $h) | .bmc.passwordFile' "$TB_JSON")
  shift
  IPMI_PASSWORD=$(<"$pwfile") ipmitool -I lanplus -C "$TB_CIPHER_SUITE" -H "$TB_HOST" -p "$port" -U "$TB_BMC_USER" -E "$@"
}
svc() { api 2.53 GET "/os-services?binary=nova-compute&host=$1" | jq -r ".services[0].$2"; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do ((SECONDS < deadline)) || die "timeout waiting for $what"; sleep 0.5; done
}
IMG=$(jq -r .imageId "$TB_JSON"); FLAVOR=$(jq -r .flavorId "$TB_JSON")

# 1. boot
say "booting $NSERVERS servers on $SRC"
IDS=()
for ((i = 1; i <= NSERVERS; i++)); do
  id=$(api 2.74 POST /servers "{\"server\":{\"name\":\"smoke-$i\",\"imageRef\":\"$IMG\",\"flavorRef\":\"$FLAVOR\",\"networks\":\"none\",\"host\":\"$SRC\"}}" | jq -r '.server.id // empty')
  if [ "$(code)" != 202 ] || [ -z "$id" ]; then die "boot smoke-$i: HTTP $(code)"; fi
  IDS+=("$id")
done
cleanup_servers() {
  for id in "${IDS[@]}"; do api 2.1 DELETE "/servers/$id" >/dev/null || true; done
}
trap 'cleanup_servers; rm -f "$HDR" "$CODE_FILE"' EXIT
all_on() {  # all_on HOST|other STATUS: every smoke server has STATUS, on HOST (or not on $SRC)
  api 2.53 GET "/servers/detail?all_tenants=1&name=^smoke-" | jq -e --arg h "$1" --arg s "$2" --arg src "$SRC" --argjson n "$NSERVERS" \
    '[.servers[] | select(.status == $s and .["OS-EXT-STS:task_state"] == null
       and (if $h == "other" then .["OS-EXT-SRV-ATTR:host"] != $src else .["OS-EXT-SRV-ATTR:host"] == $h end))] | length == $n' >/dev/null
}
wait_for 300 "$NSERVERS servers ACTIVE on $SRC" all_on "$SRC" ACTIVE
say "all $NSERVERS ACTIVE on $SRC"

# 2. evacuate while up
msg=$(api 2.29 POST "/servers/${IDS[0]}/action" '{"evacuate":{}}' | jq -r '.badRequest.message // empty')
[ "$(code)" = 400 ] || die "evacuate while $SRC is up: expected 400, got $(code)"
say "evacuate while up -> 400 \"$msg\""

# 3. fence through the BMC
pid_before=$(<"$RUN/nova-compute-$SRC.pid")
say "ipmitool power off $SRC: $(ipmi "$SRC" chassis power off)"
st=$(ipmi "$SRC" chassis power status)
[ "$st" = "Chassis Power is off" ] || die "power status after off: $st"
! alive "nova-compute-$SRC" || die "nova-compute-$SRC (pid $pid_before) still alive"
say "read back: $st; nova-compute pid $pid_before is gone"

# 4. force down
uuid=$(svc "$SRC" id)
out=$(api 2.53 PUT "/os-services/$uuid" '{"forced_down":true}')
if [ "$(code)" != 200 ] || [ "$(jq -r .service.state <<<"$out")" != down ]; then die "force-down: HTTP $(code) $out"; fi
say "force-down $SRC (2.53) -> 200, state $(jq -r .service.state <<<"$out")"

# 5. evacuate all, confirm
t_evac=${EPOCHREALTIME/./}
for id in "${IDS[@]}"; do
  api 2.29 POST "/servers/$id/action" '{"evacuate":{}}' >/dev/null
  [ "$(code)" = 200 ] || die "evacuate $id: HTTP $(code)"
done
evac_done() {
  api 2.59 GET "/os-migrations?migration_type=evacuation&source_compute=$SRC&limit=1000" |
    jq -e --argjson ids "$(printf '%s\n' "${IDS[@]}" | jq -R . | jq -sc .)" \
      '[.migrations[] | select(.instance_uuid as $u | $ids | index($u)) | select(.status == "done")] | length == ($ids | length)' >/dev/null
}
wait_for 300 "evacuations done" evac_done
wait_for 120 "servers ACTIVE elsewhere" all_on other ACTIVE
say "evacuated $NSERVERS servers in $(since "$t_evac") s: $(api 2.53 GET "/servers/detail?all_tenants=1&name=^smoke-" |
  jq -r '[.servers[] | .["OS-EXT-SRV-ATTR:host"]] | group_by(.) | map("\(.[0])=\(length)") | join(" ")')"

# 6. clear force-down is refused while `done` evacuations remain
out=$(api 2.53 PUT "/os-services/$uuid" '{"forced_down":false}')
[ "$(code)" = 400 ] || die "clear force-down before restart: expected 400, got $(code) $out"
say "clear force-down before power on -> 400 ($(jq -r .badRequest.message <<<"$out" | cut -c1-80)...)"

# 7. power on, wait for cleanup, clear
say "ipmitool power on $SRC: $(ipmi "$SRC" chassis power on) (nova-compute pid $(<"$RUN/nova-compute-$SRC.pid"))"
completed() {
  api 2.59 GET "/os-migrations?migration_type=evacuation&source_compute=$SRC&limit=1000" |
    jq -e '[.migrations[] | select(.status == "done")] | length == 0' >/dev/null
}
wait_for 180 "evacuation migrations completed" completed
out=$(api 2.53 PUT "/os-services/$uuid" '{"forced_down":false}')
[ "$(code)" = 200 ] || die "clear force-down: HTTP $(code) $out"
say "migrations completed; clear force-down -> 200, state $(jq -r .service.state <<<"$out")"
wait_for 120 "$SRC up" test "$(svc "$SRC" state)" = up

# SMOKE_HEARTBEAT=1: a host lost without force-down goes down after the heartbeat timeout
if [ "${SMOKE_HEARTBEAT:-0}" = 1 ]; then
  other=${SMOKE_HEARTBEAT_HOST:-$(jq -r --arg s "$SRC" '[.computes[].host | select(. != $s)][0]' "$TB_JSON")}
  say "ipmitool power off $other (no force-down): $(ipmi "$other" chassis power off)"
  t_off=$SECONDS
  wait_for 200 "$other down" test "$(svc "$other" state)" = down
  say "Nova reports $other down after $((SECONDS - t_off)) s (service_down_time $TB_SERVICE_DOWN_TIME)"
  say "ipmitool power on $other: $(ipmi "$other" chassis power on)"
  t_on=$SECONDS
  wait_for 120 "$other up" test "$(svc "$other" state)" = up
  say "$other up again after $((SECONDS - t_on)) s"
fi

# 8. delete
cleanup_servers
gone() { [ "$(api 2.53 GET "/servers?all_tenants=1&name=^smoke-" | jq '.servers | length')" = 0 ]; }
wait_for 300 "servers deleted" gone
trap 'rm -f "$HDR" "$CODE_FILE"' EXIT
say "deleted $NSERVERS servers; smoke test passed"
