/**
 * Checks of a schema-valid inventory for what would otherwise fail or leak only at run time
 * (URLs with credentials are found by the caller, in every string): a Redfish BMC over plain http without an explicit `insecure: true`, and
 * IPMI cipher suite 0 (no authentication, no integrity: anyone who can reach the BMC can power
 * the host off or on).
 */
import type { Inventory } from '../generated/inventory.types.js';
import { escapePointerSegment, type JsonDocument, type Problem } from '../validation/index.js';

/** Every problem of the inventory's BMC entries, at once. */
export function checkInventorySemantics(inventory: Inventory, document: JsonDocument, file: string): Problem[] {
  const problems: Problem[] = [];
  const at = (pointer: string, message: string): void => {
    problems.push({ file, pointer, position: document.positions.get(pointer), message });
  };
  for (const [host, entry] of Object.entries(inventory.hosts)) {
    const base = `/hosts/${escapePointerSegment(host)}/bmc`;
    const bmc = entry.bmc;
    if (bmc.driver === 'redfish' && bmc.url.toLowerCase().startsWith('http://') && bmc.insecure !== true) {
      at(
        `${base}/url`,
        `the Redfish BMC of ${host} is reached over plain http: its password would cross the network unencrypted; use https://, or set "insecure": true to accept that explicitly`,
      );
    }
    if (bmc.driver === 'ipmi' && bmc.cipherSuite === 0 && (bmc.interface ?? 'lanplus') === 'lanplus') {
      at(
        `${base}/cipherSuite`,
        `cipher suite 0 has no authentication: anyone who can reach the BMC of ${host} could power it off or on; use 3 or 17 (what the BMC supports)`,
      );
    }
  }
  return problems;
}
