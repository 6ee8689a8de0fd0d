#!/bin/bash
# token.sh [admin|demo]: print a fresh Keystone token for the testbed's admin (default) or demo user.
#   export TOKEN=$(test/e2e/testbed/token.sh)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
who=${1:-admin}
case $who in admin | demo) ;; *) echo "usage: $0 [admin|demo]" >&2; exit 2 ;; esac
jq --arg w "$who" '.[$w] | {auth: {identity: {methods: ["password"], password: {user: {name: .username,
    domain: {id: "default"}, password: .password}}}, scope: {project: {name: .project, domain: {id: "default"}}}}}' \
    "$TB_DIR/testbed.json" |
  curl -sf -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$TB_KEYSTONE_URL/auth/tokens" |
  awk 'tolower($1) == "x-subject-token:" { sub(/\r$/, "", $2); print $2; found = 1 } END { exit !found }'
