/**
 * A pass-through for an upload on its way to storage: refuses it as soon as its first bytes
 * are not a video container (415) or it runs past the size cap (413), and hashes it, so
 * that the video's id (SHA-256 of its bytes) is known the moment the last byte is stored.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ApiError } from './api-error';
import { SNIFF_BYTES, sniffVideoType, type SniffedType } from './video-sniffer';

/** What is known of an upload once it has passed through. */
export interface InspectedVideo {
  videoId: string;
  sizeBytes: number;
  type: SniffedType;
}

/** Sniffs, caps and hashes an upload as it streams through. */
export class VideoInspector extends Transform {
  private readonly hash = createHash('sha256');
  private sizeBytes = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private type: SniffedType | undefined;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.maxBytes) {
      callback(new ApiError(413, 'UPLOAD_TOO_LARGE', `the upload is larger than the ${this.maxBytes}-byte limit`));
      return;
    }
    this.hash.update(chunk);
    if (this.type) {
      callback(null, chunk);
      return;
    }
    // Nothing goes on to storage until the head says it is a video.
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes < SNIFF_BYTES) {
      callback();
      return;
    }
    callback(this.release());
  }

  override _flush(callback: TransformCallback): void {
    if (this.sizeBytes === 0) {
      callback(new ApiError(400, 'EMPTY_UPLOAD', 'the uploaded file is empty'));
      return;
    }
    callback(this.type ? null : this.release());
  }

  /** The video's id, size and type; valid once the stream has ended. */
  result(): InspectedVideo {
    if (!this.type || !this.writableFinished) throw new Error('the upload has not been read to its end');
    return { videoId: this.hash.copy().digest('hex'), sizeBytes: this.sizeBytes, type: this.type };
  }

  private release(): Error | null {
    const head = Buffer.concat(this.held);
    this.type = sniffVideoType(head.subarray(0, SNIFF_BYTES));
    if (!this.type) return new ApiError(415, 'NOT_A_VIDEO', 'the upload is not a video container deepsift reads (MP4, MOV, MKV, WebM, AVI, FLV, MPEG-TS/PS, WMV, Ogg)');
    this.held = [];
    this.push(head);
    return null;
  }
}
