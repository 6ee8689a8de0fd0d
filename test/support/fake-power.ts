import type { PowerController, PowerRequestResult, PowerState } from '../../src/fencing/power.interface.js';
import { FencingError } from '../../src/fencing/index.js';
import type { OpenStackDouble } from './openstack-double/index.js';

/**
 * An in-memory BMC wired to the OpenStack double, the way the real testbed wires ipmi_sim to
 * nova-compute processes: powering a host off kills its compute (its heartbeat stops), powering
 * it on starts it again (which completes its `done` evacuation records, as a restart does).
 */
export class FakePowerController implements PowerController {
  readonly driver = 'ipmi' as const;
  readonly target: string;
  readonly credentialSource = 'file /dev/null (test)';
  state: PowerState = 'on';
  /** Make every call fail as a BMC would refuse bad credentials. */
  wrongPassword = false;
  readonly calls: string[] = [];

  constructor(
    readonly host: string,
    private readonly double?: OpenStackDouble,
  ) {
    this.target = `ipmi test@${host}-bmc`;
  }

  #auth(operation: 'status' | 'off' | 'on'): void {
    if (this.wrongPassword) {
      throw new FencingError({
        host: this.host,
        driver: 'ipmi',
        target: this.target,
        operation,
        failure: 'auth',
        reason: 'RAKP 2 HMAC is invalid (wrong password)',
        credentialSource: this.credentialSource,
      });
    }
  }

  async status(): Promise<PowerState> {
    this.calls.push('status');
    this.#auth('status');
    return this.state;
  }

  async off(options?: { dryRun?: boolean }): Promise<PowerRequestResult> {
    this.calls.push('off');
    this.#auth('off');
    if (!options?.dryRun) {
      this.state = 'off';
      this.double?.killCompute(this.host);
    }
    return { action: 'off', dryRun: options?.dryRun === true, request: `chassis power off (${this.target})` };
  }

  async on(options?: { dryRun?: boolean }): Promise<PowerRequestResult> {
    this.calls.push('on');
    this.#auth('on');
    if (!options?.dryRun) {
      this.state = 'on';
      this.double?.restartCompute(this.host);
    }
    return { action: 'on', dryRun: options?.dryRun === true, request: `chassis power on (${this.target})` };
  }
}
