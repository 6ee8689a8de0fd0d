/** Host operations: what Nova service state means, shared by steps, the provider and (later) watch. */
export {
  DISABLED_REASON_MAX,
  assertNotHeldByOther,
  isHeldBy,
  markerHolder,
  reasonWithMarker,
  reasonWithoutRun,
  stripMarkers,
} from './marker.js';
export {
  HOST_NAME,
  convergeService,
  describeService,
  isDoneEvacuationsRemain,
  isHostName,
  type BeforeWrite,
  type DesiredService,
} from './service-rules.js';
export { HostHold, type HoldLoss } from './host-hold.js';
