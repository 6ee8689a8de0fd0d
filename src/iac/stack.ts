/**
 * The stack a desired-state file describes: the forcedown provider and one intent-level construct
 * per host (FailedHost, MaintenanceHost, HealthyHost), each resource named after its host so that
 * `terraform import forcedown_compute_service.<host> <host>` and state commands read naturally.
 */
import type { Construct } from 'constructs';
import { cdk } from '../constructs/cdk.js';
import { FailedHost, ForcedownProvider, HealthyHost, MaintenanceHost } from '../constructs/index.js';
import { resourceName, type DesiredHost, type DesiredState } from './desired-state.js';

/**
 * The construct id of a host's construct: its resource name, except names that every JavaScript
 * object has ("constructor", "toString", "valueOf"...): constructs 10 looks children up in a plain
 * object and takes those for an existing child ("There is already a Construct with name
 * 'constructor'"). Such ids get a suffix; a resource name has no spaces, so it cannot collide.
 * The Terraform address stays the resource name (overrideLogicalId).
 */
export function constructId(host: string): string {
  const name = resourceName(host);
  return name in Object.prototype ? `${name} (host)` : name;
}

function hostConstruct(
  scope: Construct,
  host: string,
  desired: DesiredHost,
): FailedHost | MaintenanceHost | HealthyHost {
  const id = constructId(host);
  switch (desired.state) {
    case 'failed':
      return new FailedHost(scope, id, {
        host,
        reason: desired.fencedReason,
        ...(desired.disable === undefined ? {} : { disable: desired.disable }),
        ...(desired.disabledReason === undefined ? {} : { disabledReason: desired.disabledReason }),
      });
    case 'maintenance':
      return new MaintenanceHost(scope, id, { host, reason: desired.reason });
    case 'healthy':
      return new HealthyHost(scope, id, { host });
  }
}

/** A stack with the desired state of every host in the file. */
export class DesiredStateStack extends cdk.TerraformStack {
  /** The host constructs, by host name. */
  public readonly hosts: ReadonlyMap<string, FailedHost | MaintenanceHost | HealthyHost>;

  constructor(scope: Construct, desired: DesiredState) {
    super(scope, desired.stack);
    if (desired.statePath !== undefined) new cdk.LocalBackend(this, { path: desired.statePath });
    new ForcedownProvider(this, 'forcedown', desired.provider);
    const hosts = new Map<string, FailedHost | MaintenanceHost | HealthyHost>();
    for (const [host, state] of Object.entries(desired.hosts).sort(([a], [b]) => a.localeCompare(b))) {
      const construct = hostConstruct(this, host, state);
      construct.service.overrideLogicalId(resourceName(host));
      hosts.set(host, construct);
    }
    this.hosts = hosts;
    new cdk.TerraformOutput(this, 'services', {
      description: 'Per host: the service UUID and its state (up/down) after apply.',
      // a token, not the object itself: cdktf's output code calls the deprecated util.isArray on
      // a plain object value, which prints a DEP0044 warning (a red [ERROR] line in cdktf synth)
      value: cdk.Token.asAny(
        Object.fromEntries(
          [...hosts].map(([host, construct]) => [host, { id: construct.serviceId, state: construct.state }]),
        ),
      ),
    });
  }
}
