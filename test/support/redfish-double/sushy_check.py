#!/usr/bin/python3
"""Drive a Redfish BMC with OpenStack's own Redfish client library (sushy, Debian: python3-sushy)
and print what it saw as one JSON object. Used by test/e2e/fencing/sushy-compat.test.ts to prove that forcedown's
Redfish double speaks Redfish the way real OpenStack tooling (Ironic's driver) expects.

    sushy_check.py URL CA_FILE USERNAME        (password on stdin, first line)
"""
import json
import sys

import sushy
from sushy import auth


def main():
    url, ca_file, username = sys.argv[1:4]
    password = sys.stdin.readline().rstrip('\n')
    out = {}
    conn = sushy.Sushy(url + '/redfish/v1', verify=ca_file,
                       auth=auth.BasicAuth(username=username, password=password))
    out['systems'] = sorted(conn.get_system_collection().members_identities)
    system = conn.get_system(out['systems'][0])
    out['power_state'] = str(system.power_state)
    out['allowed'] = sorted(str(v) for v in system.get_allowed_reset_system_values())
    system.reset_system(sushy.RESET_FORCE_OFF)
    system.refresh()
    out['after_force_off'] = str(system.power_state)
    bad = sushy.Sushy(url + '/redfish/v1', verify=ca_file,
                      auth=auth.BasicAuth(username=username, password=password + '-wrong'))
    try:
        bad.get_system(out['systems'][0])
        out['bad_password'] = None
    except sushy.exceptions.AccessError as e:
        out['bad_password'] = {'type': type(e).__name__, 'status': e.status_code, 'message': str(e)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
