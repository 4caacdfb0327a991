/**
 * A submitted URI as a job source: `s3://bucket/key` or an http(s) URL. Checked here as far
 * as the text allows (scheme, a literal private address); the fetcher checks again on every
 * address it connects to, as it does for crawler jobs.
 */
import { isIP } from 'node:net';
import { isPublicAddress } from '../ingest';
import { ApiError } from './api-error';
import type { RemoteSource } from './analysis-backend';

/** Parses `uri`; throws a 400 `ApiError` saying why it cannot be analysed. */
export function checkRemoteUri(uri: string, rules: { acceptsS3: boolean; allowPrivateUrls: boolean }): RemoteSource {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.{1,1024})$/.exec(uri);
  if (s3) {
    if (!rules.acceptsS3) throw new ApiError(400, 'S3_NOT_AVAILABLE', 'this server reads uploads and http(s) URLs; s3:// sources need `deepsift serve --distributed`');
    return { s3: { bucket: s3[1]!, key: s3[2]! } };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ApiError(400, 'INVALID_URI', 'expected s3://bucket/key or an http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiError(400, 'INVALID_URI', `URLs must be http(s), not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') throw new ApiError(400, 'INVALID_URI', 'URLs with credentials are refused');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!rules.allowPrivateUrls && (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && !isPublicAddress(host)))) {
    throw new ApiError(400, 'URL_NOT_ALLOWED', 'URLs of loopback, private, link-local and CGNAT addresses are refused');
  }
  return { url: url.toString() };
}
