/**
 * Frames cut from one of ffmpeg's rawvideo pipes, read as they come and handed out one at a
 * time. Reading pauses while `maxQueued` frames wait, so ffmpeg blocks on the pipe instead
 * of memory growing; reading several pipes of one ffmpeg at once (one per output) never
 * deadlocks on the order in which ffmpeg writes them.
 */
import type { Readable } from 'node:stream';

/** Frames a queue holds before it stops reading: one ahead of the consumer. */
export const DEFAULT_MAX_QUEUED_FRAMES = 2;

export class FrameQueue {
  private readonly frames: Buffer[] = [];
  private readonly assembler: FrameAssembler;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: Readable,
    frameBytes: number,
    allocate?: (sizeBytes: number) => Buffer,
    private readonly maxQueued = DEFAULT_MAX_QUEUED_FRAMES,
  ) {
    this.assembler = new FrameAssembler(frameBytes, allocate);
    stream.on('data', (chunk: Buffer) => {
      for (const frame of this.assembler.push(chunk)) this.frames.push(frame);
      if (this.frames.length >= this.maxQueued) stream.pause();
      this.notify();
    });
    const end = (): void => {
      this.ended = true;
      this.notify();
    };
    stream.once('end', end);
    stream.once('close', end);
    // The process's exit status tells what went wrong; a pipe error only ends the frames.
    stream.once('error', end);
  }

  /** The next complete frame, or undefined once the pipe ended without one. */
  async next(): Promise<Buffer | undefined> {
    while (this.frames.length === 0 && !this.ended) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const frame = this.frames.shift();
    if (this.frames.length < this.maxQueued && !this.ended) this.stream.resume();
    return frame;
  }

  /** Bytes of an incomplete frame waiting for more data. */
  get pendingBytes(): number {
    return this.assembler.pendingBytes;
  }

  /** Stops reading and lets go of queued frames. */
  close(): void {
    this.frames.length = 0;
    this.stream.removeAllListeners('data');
    this.stream.resume();
    this.ended = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Cuts a byte stream into frames of exactly `frameBytes`, copying each into its own buffer. */
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

  *push(chunk: Buffer): Generator<Buffer> {
    let offset = 0;
    while (offset < chunk.length) {
      this.frame ??= this.allocate(this.frameBytes);
      const copied = chunk.copy(this.frame, this.filled, offset, offset + Math.min(chunk.length - offset, this.frameBytes - this.filled));
      this.filled += copied;
      offset += copied;
      if (this.filled === this.frameBytes) {
        const complete = this.frame;
        this.frame = undefined;
        this.filled = 0;
        yield complete;
      }
    }
  }
}
