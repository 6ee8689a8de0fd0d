/**
 * Nova-side rules the watcher shares with runs, imported in one place so they can be repointed
 * when they move (the marker helpers are moving from src/steps/support to src/hostops).
 */
export { markerHolder } from '../steps/support/nova-lock.js';
