/**
 * Polling a bucket prefix for new videos, for object stores without notifications.
 * Each object version is handed on once: a marker object in the same bucket
 * (`state/queued/<dedupeKey>`) records that it was queued, so neither a second poll nor
 * a restarted or second poller queues it again.
 */
import type { Logger, S3Storage } from '../common';
import { dedupeKey } from './s3-event';

export const DEFAULT_POLL_PREFIX = 'incoming/';
export const DEFAULT_QUEUED_MARKER_PREFIX = 'state/queued/';

/** What the poller needs of its storage: listings with ETags and create-once writes. */
export type PollableStorage = Pick<S3Storage, 'bucket' | 'list' | 'putIfAbsent' | 'delete'>;

/** An object found by a poll and not queued before. */
export interface PolledObject {
  bucket: string;
  key: string;
  sizeBytes: number;
  /** The ETag without quotes. */
  eTag: string;
  lastModified?: Date;
  /** The object version's `dedupeKey`, also the name of its marker. */
  dedupeKey: string;
}

export interface S3PollerOptions {
  /** Hands an object on (e.g. publishes its job); a rejection un-marks it for the next poll. */
  onObject(object: PolledObject): Promise<void>;
  /** Key prefix to watch; default `incoming/`. */
  prefix?: string;
  /** Where the queued markers go; default `state/queued/`. Keys under it are never polled. */
  markerPrefix?: string;
}

export class S3Poller {
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<number> | undefined;
  private readonly prefix: string;
  private readonly markerPrefix: string;

  constructor(
    private readonly deps: { storage: PollableStorage; logger: Logger },
    private readonly options: S3PollerOptions,
  ) {
    this.prefix = options.prefix ?? DEFAULT_POLL_PREFIX;
    this.markerPrefix = options.markerPrefix ?? DEFAULT_QUEUED_MARKER_PREFIX;
  }

  /**
   * Lists the prefix once and hands on every object without a marker, one at a time.
   * Resolves with how many were handed on. The marker is written before `onObject`
   * (so concurrent pollers do not both claim an object) and removed again if it fails;
   * a crash between the two leaves the object marked but not queued.
   */
  async pollOnce(): Promise<number> {
    const { storage, logger } = this.deps;
    let queued = 0;
    for await (const object of storage.list(this.prefix)) {
      if (this.state === 'stopped') break;
      if (object.key.endsWith('/') || object.key.startsWith(this.markerPrefix)) continue;
      const polled: PolledObject = {
        bucket: storage.bucket,
        key: object.key,
        sizeBytes: object.sizeBytes,
        eTag: object.etag,
        lastModified: object.lastModified,
        dedupeKey: dedupeKey({ bucket: storage.bucket, key: object.key, eTag: object.etag }),
      };
      const marker = this.markerPrefix + polled.dedupeKey;
      const body = Buffer.from(JSON.stringify({ key: polled.key, eTag: polled.eTag, queuedAt: new Date().toISOString() }));
      if (!(await storage.putIfAbsent(marker, body))) continue;
      try {
        await this.options.onObject(polled);
        queued += 1;
      } catch (error) {
        logger.warn('Polled object not queued; retrying on the next poll.', { key: polled.key, error: String(error) });
        await storage.delete(marker).catch((cause) => {
          logger.error('Cannot remove the queued marker; the object will not be polled again.', {
            key: polled.key,
            marker,
            error: String(cause),
          });
        });
      }
    }
    return queued;
  }

  /**
   * Polls now, then `intervalMs` after each poll ends (config `s3PollIntervalMs`, which
   * is 0 when polling is off: do not start then). Errors are logged, not thrown.
   */
  start(intervalMs: number): void {
    if (!(intervalMs > 0)) throw new RangeError(`poll interval must be positive, got ${intervalMs}`);
    if (this.state !== 'idle') throw new Error(`poller cannot start: it is ${this.state}`);
    this.state = 'running';
    const tick = () => {
      this.polling = this.pollOnce()
        .catch((error) => {
          this.deps.logger.error('Poll failed.', { prefix: this.prefix, error: String(error) });
          return 0;
        })
        .finally(() => {
          if (this.state === 'running') this.timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  /** Stops polling and waits for a poll in progress to finish its current object; idempotent. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    await this.polling;
  }
}
