/**
 * Downloading a submitted video URL into a private temporary file, safely: http(s) only,
 * a size cap, timeouts, bounded redirects, and no connections to this host's private
 * networks (SSRF). The host name is resolved by us and every resolved address checked;
 * the socket then connects to a checked address (a custom `lookup`), so a DNS answer
 * that changes between check and connect (rebinding) cannot slip through. The address
 * actually connected to is checked once more.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { TooLargeError, VideoRejectedError, writePrivateTempFile, type PrivateTempFile } from '../common';
import { isPublicAddress } from './address-policy';

export const DEFAULT_URL_MAX_REDIRECTS = 5;
export const DEFAULT_URL_CONNECT_TIMEOUT_MS = 10_000;
/** Longest silence from the server, before or during the body. */
export const DEFAULT_URL_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_URL_TOTAL_TIMEOUT_MS = 15 * 60_000;

export interface UrlFetchOptions {
  /** Larger videos are refused (VIDEO_TOO_LARGE), by Content-Length or while reading. */
  maxBytes: number;
  /** Allow loopback, private, link-local, CGNAT and unique-local addresses (config `allowPrivateUrls`); default false. */
  allowPrivateNetworks?: boolean;
  /** Which resolved addresses may be connected to; default `isPublicAddress` (ignored with allowPrivateNetworks). */
  allowAddress?: (address: string) => boolean;
  maxRedirects?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** The whole fetch, redirects and body included. */
  totalTimeoutMs?: number;
  /** Resolves a host name to its addresses; `dns.lookup` by default. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

/** A fetched video in a private temporary file; `remove` deletes it. */
export interface FetchedVideo extends PrivateTempFile {
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
  contentType?: string;
}

/** A transient failure (network error, timeout, HTTP 5xx/408/429): retried with backoff. */
export class UrlUnavailableError extends Error {
  override readonly name = 'UrlUnavailableError';
  constructor(
    readonly code: 'URL_FETCH_FAILED' | 'URL_TIMEOUT',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * Downloads `url` into a new private temporary file. Refusals are `VideoRejectedError`s
 * (URL_NOT_ALLOWED, VIDEO_TOO_LARGE, URL_FETCH_FAILED for 4xx and redirect loops);
 * transient failures are `UrlUnavailableError`s. Nothing is left on disk on failure.
 */
export async function fetchUrlToTempFile(url: string, options: UrlFetchOptions): Promise<FetchedVideo> {
  const attempt = new FetchAttempt(options);
  const totalTimer = setTimeout(
    () => attempt.fail(new UrlUnavailableError('URL_TIMEOUT', `fetch took longer than ${attempt.totalTimeoutMs} ms`)),
    attempt.totalTimeoutMs,
  );
  try {
    let current = parseAllowedUrl(url);
    for (let redirects = 0; ; redirects += 1) {
      const response = await attempt.request(current);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (status >= 300 && status < 400 && location !== undefined) {
        response.destroy();
        if (redirects >= attempt.maxRedirects) {
          throw rejected('URL_FETCH_FAILED', `more than ${attempt.maxRedirects} redirects from ${describeUrl(parseAllowedUrl(url))}`);
        }
        current = parseAllowedUrl(location, current);
        continue;
      }
      if (status < 200 || status >= 300) {
        response.destroy();
        const message = `${describeUrl(current)} answered HTTP ${status}`;
        if (status >= 500 || status === 408 || status === 429) throw new UrlUnavailableError('URL_FETCH_FAILED', message);
        throw rejected('URL_FETCH_FAILED', message);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        response.destroy();
        throw rejected('VIDEO_TOO_LARGE', `${describeUrl(current)} is ${declared} bytes, over the ${options.maxBytes}-byte limit`);
      }
      const file = await writePrivateTempFile(response, options.maxBytes, '.video');
      return { ...file, finalUrl: current.href, contentType: response.headers['content-type'] };
    }
  } catch (error) {
    throw attempt.failure ?? translate(error, options.maxBytes);
  } finally {
    clearTimeout(totalTimer);
    attempt.fail(undefined);
  }
}

/** One fetch's state: its current request and the first failure that ended it. */
class FetchAttempt {
  readonly maxRedirects: number;
  readonly totalTimeoutMs: number;
  failure: Error | undefined;
  private active: { request: http.ClientRequest; response?: IncomingMessage } | undefined;

  constructor(private readonly options: UrlFetchOptions) {
    this.maxRedirects = options.maxRedirects ?? DEFAULT_URL_MAX_REDIRECTS;
    this.totalTimeoutMs = options.totalTimeoutMs ?? DEFAULT_URL_TOTAL_TIMEOUT_MS;
  }

  /** Ends the fetch with `error` (or just tears down its sockets when undefined). */
  fail(error: Error | undefined): void {
    if (error && !this.failure) this.failure = error;
    this.active?.response?.destroy(error);
    this.active?.request.destroy(error);
  }

  /** Sends a GET to `url` and resolves with the response head. */
  request(url: URL): Promise<IncomingMessage> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    // Node connects to IP literals without calling `lookup`: check them here.
    if (isIP(hostname) && !this.allowed(hostname)) return Promise.reject(notAllowed(url, hostname));
    const connectTimeoutMs = this.options.connectTimeoutMs ?? DEFAULT_URL_CONNECT_TIMEOUT_MS;
    const idleTimeoutMs = this.options.idleTimeoutMs ?? DEFAULT_URL_IDLE_TIMEOUT_MS;

    return new Promise((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https : http).request(url, {
        method: 'GET',
        agent: false, // a fresh, checked connection for every hop; nothing pooled
        lookup: this.guardedLookup(url),
        headers: { 'user-agent': 'deepsift', accept: 'video/*, application/octet-stream;q=0.9, */*;q=0.5' },
      });
      this.active = { request };
      const connectTimer = setTimeout(
        () => this.fail(new UrlUnavailableError('URL_TIMEOUT', `no connection to ${url.host} within ${connectTimeoutMs} ms`)),
        connectTimeoutMs,
      );
      request.on('socket', (socket) => {
        socket.once('connect', () => {
          clearTimeout(connectTimer);
          const remote = socket.remoteAddress ?? '';
          if (!this.allowed(remote)) this.fail(notAllowed(url, remote));
        });
        socket.setTimeout(idleTimeoutMs, () =>
          this.fail(new UrlUnavailableError('URL_TIMEOUT', `${url.host} sent nothing for ${idleTimeoutMs} ms`)),
        );
      });
      request.on('response', (response) => {
        this.active = { request, response };
        resolve(response);
      });
      request.on('error', (error) => {
        clearTimeout(connectTimer);
        reject(this.failure ?? error);
      });
      request.on('close', () => clearTimeout(connectTimer));
      request.end();
    });
  }

  private allowed(address: string): boolean {
    if (this.options.allowPrivateNetworks) return true;
    return (this.options.allowAddress ?? isPublicAddress)(address);
  }

  /** A `lookup` for `http.request` that only ever answers with allowed addresses. */
  private guardedLookup(url: URL): LookupFunction {
    const resolve = this.options.resolve ?? defaultResolve;
    return (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          const family = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : undefined;
          const usable = addresses.filter((a) => family === undefined || a.family === family);
          // One refused address refuses the host: a name that also points inward is suspect.
          const refused = usable.find((a) => !this.allowed(a.address));
          if (refused) {
            this.failure ??= notAllowed(url, refused.address);
            return callback(this.failure, '', 0);
          }
          if (usable.length === 0) {
            return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          }
          if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
          callback(null, usable[0]!.address, usable[0]!.family);
        },
        (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
      );
    };
  }
}

function defaultResolve(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/** Parses a URL (relative to `base` for redirects) and refuses schemes other than http(s). */
function parseAllowedUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (error) {
    throw rejected('URL_NOT_ALLOWED', `not a valid URL: ${raw.slice(0, 200)}`, error);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw rejected('URL_NOT_ALLOWED', `only http and https URLs are fetched, not ${url.protocol}`);
  }
  return url;
}

/** The URL without credentials or query string (which may hold signed tokens), for messages. */
function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function notAllowed(url: URL, address: string): VideoRejectedError {
  return rejected('URL_NOT_ALLOWED', `${describeUrl(url)} resolves to ${address}, a private or reserved address`);
}

function rejected(code: 'URL_NOT_ALLOWED' | 'URL_FETCH_FAILED' | 'VIDEO_TOO_LARGE', message: string, cause?: unknown): VideoRejectedError {
  return new VideoRejectedError(code, message, { stage: 'ingest', cause });
}

function translate(error: unknown, maxBytes: number): unknown {
  if (error instanceof VideoRejectedError || error instanceof UrlUnavailableError) return error;
  if (error instanceof TooLargeError) return rejected('VIDEO_TOO_LARGE', `the video is over the ${maxBytes}-byte limit`, error);
  return new UrlUnavailableError('URL_FETCH_FAILED', `fetch failed: ${(error as Error).message}`, { cause: error });
}
