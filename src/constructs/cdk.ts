/**
 * The CDK library the constructs and the desired-state app build on, chosen when they load:
 * `cdktf` (HashiCorp's CDKTF 0.21, archived upstream on 2025-12-10) or `cdktn` (CDK Terrain, its
 * maintained drop-in fork: same classes, package renamed). One set of constructs serves both.
 *
 * Both are optional peer dependencies of forcedown: the app that uses the constructs installs one.
 * `FORCEDOWN_CDK=cdktf|cdktn` chooses; without it, cdktf when it is installed, else cdktn (a
 * project that has only cdktn gets cdktn). An app must use the same library as the constructs (a
 * cdktn App with cdktf constructs is two different construct trees): where both are installed,
 * as in this repository, a cdktn app runs with `FORCEDOWN_CDK=cdktn` (cdktn-cli passes its
 * environment on to the app; it sets only the same CDKTF_* variables as cdktf-cli).
 */
import type * as Cdktf from 'cdktf';

/** The API both libraries share (typed from cdktf's declarations). */
export type CdkLibrary = typeof Cdktf;
export type CdkLibraryName = 'cdktf' | 'cdktn';

function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Which library to load, from the environment and what is installed. */
export function chooseCdkLibrary(
  env: Readonly<Record<string, string | undefined>>,
  isInstalled: (name: string) => boolean = installed,
): CdkLibraryName {
  const wanted = env.FORCEDOWN_CDK;
  if (wanted === 'cdktf' || wanted === 'cdktn') return wanted;
  if (wanted !== undefined && wanted !== '') throw new Error(`FORCEDOWN_CDK must be cdktf or cdktn, not "${wanted}"`);
  if (isInstalled('cdktf')) return 'cdktf';
  if (isInstalled('cdktn')) return 'cdktn';
  throw new Error(
    'the forcedown constructs need a CDK library beside them: npm install cdktf@0.21 (or cdktn@0.24, CDK Terrain) and constructs@10.7',
  );
}

/** The library's name, as chosen at load time. */
export const cdkLibraryName: CdkLibraryName = chooseCdkLibrary(process.env);
/** The library itself. */
export const cdk: CdkLibrary = (await import(cdkLibraryName)) as CdkLibrary;
