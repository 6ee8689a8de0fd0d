/** The services bag steps use: part of the step contract (src/steps/services.interface.ts). */
export type { AnyWaitNotice, Confirm, RunServices } from '../steps/services.interface.js';
