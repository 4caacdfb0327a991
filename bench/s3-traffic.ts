/**
 * The S3 requests of a distributed run by object kind: how many of each method, and how many
 * body bytes went in and out, so that the benchmark can say which objects make up the
 * intermediate data (the work area's crop packs and frames, the aggregator's state, ...).
 */
import type { S3Request } from '../test/s3-server';

/** Requests and body bytes for one kind of object. */
export interface S3TrafficLine {
  kind: string;
  /** Requests by method (LIST is a GET on the bucket itself). */
  requests: Record<string, number>;
  /** Body bytes sent to the server (PUT) and received from it (GET). */
  bytesIn: number;
  bytesOut: number;
}

/**
 * The kind of object `key` names: its top-level prefix, and within the work area the part
 * after the analysis (`work/<videoId>/<analysis>/crops/...` is `work/…/crops`).
 */
export function objectKind(key: string): string {
  if (key === '') return '(bucket: listings)';
  const parts = key.split('/');
  if (parts[0] === 'work' && parts.length > 3) return parts.length > 4 ? `work/…/${parts[3]}/` : `work/…/${parts[3]}`;
  return `${parts[0]}/`;
}

/** Counts requests while `counting` is on. */
export class S3TrafficCounter {
  counting = false;
  private readonly lines = new Map<string, S3TrafficLine>();

  /** For `Deployment.start`'s `onS3Request`. */
  readonly onRequest = (request: S3Request): void => {
    if (!this.counting) return;
    const kind = objectKind(request.key);
    const line = this.lines.get(kind) ?? { kind, requests: {}, bytesIn: 0, bytesOut: 0 };
    const method = request.key === '' && request.method === 'GET' ? 'LIST' : request.method;
    line.requests[method] = (line.requests[method] ?? 0) + 1;
    line.bytesIn += request.requestBytes;
    line.bytesOut += request.responseBytes;
    this.lines.set(kind, line);
  };

  /** The lines counted, largest first. */
  result(): S3TrafficLine[] {
    return [...this.lines.values()].sort((a, b) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut));
  }
}
