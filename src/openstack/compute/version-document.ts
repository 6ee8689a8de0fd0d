/** Reading the compute endpoint's version document (`GET /v2.1/`) for the microversion range. */
import { operationFailed } from '../../errors/index.js';
import { parseJson, type OpenStackHttp } from '../http/http-client.js';
import type { MicroversionRange } from './microversion.js';

interface VersionEntry {
  id?: string;
  status?: string;
  version?: string;
  min_version?: string;
}

/**
 * The URL of the version document of a compute endpoint: the endpoint's path up to its version
 * segment (`…/v2.1/` of `…/v2.1/{project_id}`), or the endpoint itself when it has none.
 */
export function versionDocumentUrl(endpoint: string): string {
  const url = new URL(endpoint);
  const match = /^(.*?\/v2(?:\.\d+)?)(?:\/|$)/.exec(url.pathname);
  url.pathname = match ? `${match[1]}/` : url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  url.search = '';
  return url.toString();
}

function rangeOf(entry: VersionEntry): MicroversionRange {
  const max = entry.version ?? '';
  const min = entry.min_version ?? '';
  // an empty version means the legacy v2.0 API without microversions
  return { min: min === '' ? '2.0' : min, max: max === '' ? '2.0' : max };
}

/** The microversion range the compute endpoint supports. */
export async function discoverComputeVersions(
  http: OpenStackHttp,
  endpoint: string,
  signal?: AbortSignal,
): Promise<MicroversionRange> {
  const response = await http.request({
    service: 'nova',
    method: 'GET',
    url: versionDocumentUrl(endpoint),
    ...(signal === undefined ? {} : { signal }),
  });
  const body = parseJson<{ version?: VersionEntry; versions?: VersionEntry[] }>(response, 'compute version document');
  if (body.version !== undefined) return rangeOf(body.version);
  const entries = body.versions ?? [];
  const v21 = entries.find((e) => e.id === 'v2.1') ?? entries.find((e) => e.status === 'CURRENT');
  if (v21 !== undefined) return rangeOf(v21);
  throw operationFailed(
    'NOVA_NO_VERSION_DOCUMENT',
    `the compute endpoint ${new URL(endpoint).origin} did not answer with a version document`,
    'check the compute endpoint in the service catalog (it should end in /v2.1)',
    {},
  );
}
