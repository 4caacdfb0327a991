/**
 * HTTP(S) download of one file with Node's `fetch`: redirects followed (GitHub `raw`
 * URLs redirect), an idle timeout, a size cap, and retries with backoff on dropped
 * connections, timeouts and 5xx / 408 / 429 responses. It writes only the file it is
 * given; checking the bytes and moving them into the cache is the caller's job.
 */
import * as fs from 'node:fs';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { DownloadError } from './weights-errors';
import { nextRetryDelayMs, type RetryPolicy } from '../common/retry-policy';

/** One download. */
export interface DownloadRequest {
  url: string;
  /** File to create or overwrite. */
  destination: string;
  /** More body bytes than this fail the download (not retried). */
  maxBytes: number;
  /** Abandon an attempt when no response or no body bytes arrive for this long. */
  idleTimeoutMs: number;
  retryPolicy: RetryPolicy;
  onAttempt?: (attempt: number) => void;
  onBytes?: (receivedBytes: number, totalBytes: number | undefined) => void;
  onRetry?: (attempt: number, delayMs: number, error: DownloadError) => void;
  /** Waits between attempts; tests may pass a fake. */
  sleep?: (ms: number) => Promise<void>;
}

/** Downloads `request.url` to `request.destination`, retrying as the policy allows. */
export async function downloadFile(request: DownloadRequest): Promise<{ bytes: number; attempts: number }> {
  const sleep = request.sleep ?? ((ms: number) => sleepMs(ms));
  for (let attempt = 1; ; attempt += 1) {
    request.onAttempt?.(attempt);
    try {
      const bytes = await downloadOnce(request);
      return { bytes, attempts: attempt };
    } catch (err) {
      const error = err instanceof DownloadError ? err : networkError(request.url, err, false);
      const delayMs = error.retryable ? nextRetryDelayMs(request.retryPolicy, attempt) : undefined;
      if (delayMs === undefined) throw finalError(error, attempt);
      request.onRetry?.(attempt, delayMs, error);
      await sleep(delayMs);
    }
  }
}

/** True for HTTP statuses worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

async function downloadOnce(request: DownloadRequest): Promise<number> {
  const { url, maxBytes } = request;
  const controller = new AbortController();
  let timedOut = false;
  const idleTimer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, request.idleTimeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(url, { redirect: 'follow', signal: controller.signal });
    } catch (err) {
      throw networkError(url, err, timedOut);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new DownloadError(
        { url, reason: 'http-status', status: response.status, retryable: isRetryableStatus(response.status) },
        `HTTP ${response.status} ${response.statusText}`.trim(),
      );
    }
    const header = response.headers.get('content-length');
    const totalBytes = header === null ? undefined : Number(header);
    if (totalBytes !== undefined && totalBytes > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes, `announces ${totalBytes} bytes`);
    }
    idleTimer.refresh();
    return await writeBody(response.body, request, totalBytes, controller, () => timedOut, idleTimer);
  } finally {
    clearTimeout(idleTimer);
  }
}

async function writeBody(
  body: ReadableStream<Uint8Array>,
  request: DownloadRequest,
  totalBytes: number | undefined,
  controller: AbortController,
  timedOut: () => boolean,
  idleTimer: NodeJS.Timeout,
): Promise<number> {
  const file = await fs.promises.open(request.destination, 'w');
  let received = 0;
  try {
    for await (const chunk of body) {
      received += chunk.byteLength;
      if (received > request.maxBytes) {
        controller.abort();
        throw tooLarge(request.url, request.maxBytes, `sent more than ${request.maxBytes} bytes`);
      }
      await file.write(chunk);
      idleTimer.refresh();
      request.onBytes?.(received, totalBytes);
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    throw networkError(request.url, err, timedOut());
  } finally {
    await file.close();
  }
  return received;
}

function networkError(url: string, err: unknown, timedOut: boolean): DownloadError {
  if (timedOut) {
    return new DownloadError({ url, reason: 'timeout', retryable: true }, 'no data within the fetch timeout', { cause: err });
  }
  return new DownloadError({ url, reason: 'network', retryable: true }, `connection failed (${describe(err)})`, { cause: err });
}

function tooLarge(url: string, maxBytes: number, detail: string): DownloadError {
  return new DownloadError({ url, reason: 'too-large', retryable: false }, `the server ${detail}; the limit is ${maxBytes} bytes`);
}

function finalError(error: DownloadError, attempts: number): DownloadError {
  if (attempts === 1) return error;
  return new DownloadError(
    { url: error.url, reason: error.reason, status: error.status, retryable: error.retryable, attempts },
    `${error.detail} (gave up after ${attempts} attempts)`,
    { cause: error },
  );
}

function describe(err: unknown): string {
  // Duck-typed rather than `instanceof Error`: fetch's errors may come from another realm (jest's sandbox).
  const parts: string[] = [];
  for (let current: unknown = err, depth = 0; isErrorLike(current) && depth < 3; current = current.cause, depth += 1) {
    parts.push(current.code !== undefined ? `${current.message} [${current.code}]` : current.message);
  }
  return parts.length > 0 ? parts.join(': ') : String(err);
}

function isErrorLike(value: unknown): value is { message: string; code?: string; cause?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}
