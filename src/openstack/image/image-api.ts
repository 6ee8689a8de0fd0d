/** Glance v2 image lookups: tags and properties (evacuable image tags). */
import { parseJson, type OpenStackHttp } from '../http/http-client.js';
import type { CallOptions, ImageApi, ImageInfo } from '../openstack.interface.js';

/** Fields of a Glance image that are not custom properties. */
const CORE_FIELDS = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'created_at',
  'updated_at',
  'tags',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
  'os_hidden',
  'stores',
]);

/** The image API of one cloud. */
export class GlanceImageApi implements ImageApi {
  readonly #http: OpenStackHttp;
  readonly #endpoint: string;

  constructor(http: OpenStackHttp, endpoint: string) {
    this.#http = http;
    // the catalog URL of Glance is versionless (http://host:9292) or ends in /v2
    this.#endpoint = endpoint.replace(/\/+$/, '').replace(/\/v2$/, '');
  }

  async getImage(id: string, options?: CallOptions): Promise<ImageInfo> {
    const response = await this.#http.request({
      service: 'glance',
      method: 'GET',
      url: `${this.#endpoint}/v2/images/${encodeURIComponent(id)}`,
      ...(options?.signal === undefined ? {} : { signal: options.signal }),
    });
    const image = parseJson<Record<string, unknown>>(response, 'image');
    const properties: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(image)) {
      if (!CORE_FIELDS.has(key)) properties[key] = value;
    }
    return {
      id: typeof image.id === 'string' ? image.id : id,
      tags: Array.isArray(image.tags) ? image.tags.filter((t): t is string => typeof t === 'string') : [],
      properties,
    };
  }
}
