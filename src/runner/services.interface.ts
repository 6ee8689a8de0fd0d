/** The services bag steps use: part of the step contract (src/steps/services.interface.ts). */
export type { Confirm, RunServices } from '../steps/services.interface.js';
