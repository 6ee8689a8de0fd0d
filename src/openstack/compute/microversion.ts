/**
 * Compute microversions: parsing, comparing, and choosing what forcedown sends for each call.
 *
 * - os-services: 2.53 (service UUIDs, `PUT /os-services/{uuid}`) when the cloud has it, else 2.11
 *   (`PUT /os-services/force-down`); below 2.11 there is no force-down API and forcedown refuses.
 * - evacuate: the highest microversion <= 2.94, because from 2.95 Nova leaves every evacuated
 *   server STOPPED; at <= 2.94 ACTIVE servers stay ACTIVE and SHUTOFF stay SHUTOFF.
 * - A pinned version (`OS_COMPUTE_API_VERSION`) is used for os-services and evacuate as given; it
 *   must be inside the cloud's range.
 */
import { invalidInput } from '../../errors/index.js';

/** A microversion as [major, minor]. */
export type Microversion = readonly [number, number];

/** Parses `2.53`; throws on anything else. */
export function parseMicroversion(text: string): Microversion {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new Error(`not a microversion: ${text}`);
  return [Number(match[1]), Number(match[2])];
}

/** Negative, zero or positive as `a` is lower than, equal to or higher than `b`. */
export function compareMicroversions(a: string, b: string): number {
  const [am, an] = parseMicroversion(a);
  const [bm, bn] = parseMicroversion(b);
  return am === bm ? an - bn : am - bm;
}

/** The lower of two microversions. */
export function minMicroversion(a: string, b: string): string {
  return compareMicroversions(a, b) <= 0 ? a : b;
}

/** The range a cloud supports, from its version document. */
export interface MicroversionRange {
  readonly min: string;
  readonly max: string;
}

/** True when `version` is inside `range`. */
export function inRange(version: string, range: MicroversionRange): boolean {
  return compareMicroversions(version, range.min) >= 0 && compareMicroversions(version, range.max) <= 0;
}

/** What forcedown sends for each kind of call. */
export interface NegotiatedMicroversions {
  readonly services: string;
  readonly evacuate: string;
  readonly servers: string;
  readonly migrations: string;
  readonly flavors: string;
}

/** Services at 2.53+ (UUIDs). */
export const SERVICES_UUID_MICROVERSION = '2.53';
/** forced_down first appeared in 2.11. */
export const SERVICES_FORCE_DOWN_MICROVERSION = '2.11';
/** Highest evacuate microversion that keeps the servers' power state. */
export const EVACUATE_MAX_MICROVERSION = '2.94';
/** Servers: embedded flavor with extra specs (2.47), tags (2.26); 2.73 adds locked_reason; below 2.75 unknown filters are ignored. */
export const SERVERS_MICROVERSION = '2.73';
/** Migrations: migration_type (2.23), uuid + paging (2.59), user/project ids (2.80). */
export const MIGRATIONS_MICROVERSION = '2.80';
/** Flavors: extra_specs embedded in GET /flavors/{id} from 2.61. */
export const FLAVORS_MICROVERSION = '2.61';

/**
 * Chooses the microversions for a cloud.
 * @throws ForcedownError (exit 2) when the cloud (or the pin) is below 2.11, or the pin is outside the cloud's range.
 */
export function negotiateMicroversions(range: MicroversionRange, pinned?: string): NegotiatedMicroversions {
  const capped = (wanted: string): string => minMicroversion(wanted, range.max);
  const common = {
    servers: capped(SERVERS_MICROVERSION),
    migrations: capped(MIGRATIONS_MICROVERSION),
    flavors: capped(FLAVORS_MICROVERSION),
  };
  if (pinned !== undefined) {
    if (!inRange(pinned, range)) {
      throw invalidInput(
        'NOVA_MICROVERSION_PIN_UNSUPPORTED',
        `the pinned compute API version ${pinned} (OS_COMPUTE_API_VERSION) is outside what this cloud supports (${range.min} to ${range.max})`,
        `pin a version from ${range.min} to ${range.max}, or unset OS_COMPUTE_API_VERSION to let forcedown negotiate`,
        { pinned, min: range.min, max: range.max },
      );
    }
    if (compareMicroversions(pinned, SERVICES_FORCE_DOWN_MICROVERSION) < 0) {
      throw invalidInput(
        'NOVA_MICROVERSION_TOO_OLD',
        `the pinned compute API version ${pinned} is below 2.11, which has no forced_down; this cloud supports ${range.min} to ${range.max}`,
        `pin 2.11 or later (2.53+ preferred), or unset OS_COMPUTE_API_VERSION`,
        { pinned, min: range.min, max: range.max },
      );
    }
    return { services: pinned, evacuate: pinned, ...common };
  }
  if (compareMicroversions(range.max, SERVICES_FORCE_DOWN_MICROVERSION) < 0) {
    throw invalidInput(
      'NOVA_MICROVERSION_TOO_OLD',
      `this cloud's compute API supports microversions ${range.min} to ${range.max}; forcedown needs at least 2.11 (forced_down, Nova 12.0.0 Liberty)`,
      'upgrade Nova, or force the service down by other means (this cloud cannot mark a host down through the API)',
      { min: range.min, max: range.max },
    );
  }
  const services =
    compareMicroversions(range.max, SERVICES_UUID_MICROVERSION) >= 0
      ? SERVICES_UUID_MICROVERSION
      : compareMicroversions(range.min, SERVICES_FORCE_DOWN_MICROVERSION) > 0
        ? range.min
        : SERVICES_FORCE_DOWN_MICROVERSION;
  // a cloud whose minimum is already >= 2.95 cannot keep the power state: use its minimum
  const evacuate =
    compareMicroversions(range.min, EVACUATE_MAX_MICROVERSION) > 0 ? range.min : capped(EVACUATE_MAX_MICROVERSION);
  return { services, evacuate, ...common };
}

/** The evacuate body for a microversion (see nova-anchors A.2.1). */
export function evacuateBody(
  microversion: string,
  targetHost: string | undefined,
  onSharedStorage: boolean,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (targetHost !== undefined) body.host = targetHost;
  // below 2.14 onSharedStorage is required; from 2.14 Nova detects shared storage itself
  if (compareMicroversions(microversion, '2.14') < 0) body.onSharedStorage = onSharedStorage;
  // 2.29-2.67 accept `force`; forcedown never bypasses the scheduler's checks, so it never sends it
  return { evacuate: body };
}
