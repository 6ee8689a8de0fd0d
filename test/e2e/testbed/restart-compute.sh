#!/bin/bash
# restart-compute.sh HOST [TIMEOUT]: stop (SIGTERM, SIGKILL after TIMEOUT s, default 30) and start
# again the nova-compute of one fake host, through the same helper as its BMC (bin/bmc-power), so
# the PID file, the BMC's power state and the process always agree. A host that is powered off
# is simply started (= powered on).
# Why: Nova refuses to clear forced_down on a host while `done` evacuation migrations remain on it;
# a restarted nova-compute cleans up the evacuated instances and moves them to `completed`.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$HERE/lib/common.sh"
[ $# -ge 1 ] || { echo "usage: $0 HOST [TIMEOUT]" >&2; exit 2; }
host=$1
if [ ! -x "$TB_DIR/bin/bmc-power" ] || [ ! -f "$RUN/nova-compute-$host.argv" ]; then
  echo "unknown host '$host' (no $RUN/nova-compute-$host.argv; did up.sh run?)" >&2; exit 2
fi
exec "$TB_DIR/bin/bmc-power" "$host" restart "${2:-30}"
