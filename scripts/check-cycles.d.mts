/** The import graph of a folder's .ts files: file -> files it imports. */
export function importGraph(dir: string): Map<string, string[]>;
/** Every file-level import cycle in a folder (its files, relative to the working directory). */
export function findCycles(dir: string): string[][];
