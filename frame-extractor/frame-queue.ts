/**
 * Frames cut from one of ffmpeg's rawvideo outputs, read as they come and handed out one at
 * a time. Reading pauses while `maxQueued` frames wait, so ffmpeg blocks on its output
 * instead of memory growing; reading several outputs of one ffmpeg at once (one queue each)
 * never deadlocks on the order in which ffmpeg writes them.
 *
 * The bytes come either as a stream's chunks, copied into frames, or, where the tool
 * launcher can do it, straight into the frame being filled through {@link directReader}.
 */
import type { Readable } from 'node:stream';

import type { DirectReader } from './tool-process';

/** Frames a queue holds before it stops reading: one ahead of the consumer. */
export const DEFAULT_MAX_QUEUED_FRAMES = 2;

/** Where the bytes of a closed queue go: they are read and dropped, so that the output ends. */
const DISCARDED = Buffer.allocUnsafeSlow(64 * 1024);

export class FrameQueue {
  /** Fills frames in place; give it to the launcher before calling `readFrom`. */
  readonly directReader: DirectReader;
  private readonly frames: Buffer[] = [];
  private readonly assembler: FrameAssembler;
  private stream: Readable | undefined;
  private resumeDirect: (() => void) | undefined;
  private pausedDirect = false;
  private ended = false;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    frameBytes: number,
    allocate?: (sizeBytes: number) => Buffer,
    private readonly maxQueued = DEFAULT_MAX_QUEUED_FRAMES,
  ) {
    this.assembler = new FrameAssembler(frameBytes, allocate);
    this.directReader = {
      buffer: () => (this.closed ? DISCARDED : this.assembler.target()),
      received: (bytes) => {
        if (this.closed) return true;
        const frame = this.assembler.advance(bytes);
        if (frame !== undefined) this.add(frame);
        this.pausedDirect = this.frames.length >= this.maxQueued;
        return !this.pausedDirect;
      },
      connected: (resume) => (this.resumeDirect = resume),
    };
  }

  /**
   * Takes frames from `stream`'s data, or only its end when `direct` (the output goes to
   * {@link directReader}). Its end, close or error ends the frames: the tool's exit status
   * tells what went wrong.
   */
  readFrom(stream: Readable, direct: boolean): void {
    this.stream = stream;
    if (!direct) {
      stream.on('data', (chunk: Buffer) => {
        for (const frame of this.assembler.push(chunk)) this.add(frame);
        if (this.frames.length >= this.maxQueued) stream.pause();
      });
    }
    const end = (): void => {
      this.ended = true;
      this.notify();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
    // Without data listeners, the end is seen only while the stream flows.
    if (direct) stream.resume();
  }

  /** The next complete frame, or undefined once the output ended without one. */
  async next(): Promise<Buffer | undefined> {
    while (this.frames.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const frame = this.frames.shift();
    if (this.frames.length < this.maxQueued && !this.ended) this.resume();
    return frame;
  }

  /** Bytes of an incomplete frame waiting for more data. */
  get pendingBytes(): number {
    return this.assembler.pendingBytes;
  }

  /** Stops keeping frames and lets go of queued ones; what still comes is read and dropped. */
  close(): void {
    this.closed = true;
    this.frames.length = 0;
    this.stream?.removeAllListeners('data');
    this.stream?.resume();
    this.resume();
    this.ended = true;
    this.notify();
  }

  private add(frame: Buffer): void {
    this.frames.push(frame);
    this.notify();
  }

  private resume(): void {
    if (this.pausedDirect) {
      this.pausedDirect = false;
      this.resumeDirect?.();
    } else {
      this.stream?.resume();
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Cuts a byte stream into frames of exactly `frameBytes`, each in a buffer of its own. */
class FrameAssembler {
  private frame: Buffer | undefined;
  private filled = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly allocate: (sizeBytes: number) => Buffer = (n) => Buffer.allocUnsafeSlow(n),
  ) {}

  /** Bytes of an incomplete frame waiting for more data. */
  get pendingBytes(): number {
    return this.filled;
  }

  /** The unfilled rest of the frame being built. */
  target(): Buffer {
    this.frame ??= this.allocate(this.frameBytes);
    return this.frame.subarray(this.filled);
  }

  /** `bytes` more were written at the start of `target()`; the frame, once it is complete. */
  advance(bytes: number): Buffer | undefined {
    this.filled += bytes;
    if (this.filled < this.frameBytes) return undefined;
    const complete = this.frame;
    this.frame = undefined;
    this.filled = 0;
    return complete;
  }

  *push(chunk: Buffer): Generator<Buffer> {
    let offset = 0;
    while (offset < chunk.length) {
      const target = this.target();
      const copied = chunk.copy(target, 0, offset, offset + Math.min(chunk.length - offset, target.length));
      offset += copied;
      const complete = this.advance(copied);
      if (complete !== undefined) yield complete;
    }
  }
}
