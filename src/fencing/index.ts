export { createPowerController } from './create.js';
export { CommandPowerController } from './command.js';
export { IPMI_DEFAULTS, IpmiPowerController, classifyIpmitoolFailure } from './ipmi.js';
export { REDFISH_DEFAULTS, RedfishPowerController, redfishErrorMessages } from './redfish.js';
export {
  FencingError,
  isFencingError,
  type FencingErrorFacts,
  type FencingFailure,
  type FencingOperation,
} from './fencing-error.js';
export {
  fence,
  powerOn,
  type FenceEvidence,
  type FenceOptions,
  type PowerDryRun,
  type PowerOnEvidence,
  type PowerOnOptions,
  type PowerPrimitiveOptions,
  type PowerProgress,
} from './fence.js';
export type {
  PowerAction,
  PowerCallOptions,
  PowerController,
  PowerControllerOptions,
  PowerDriver,
  PowerRequestResult,
  PowerState,
  PowerWaitNotice,
} from './power.interface.js';
