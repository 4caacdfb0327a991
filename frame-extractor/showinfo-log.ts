import { StderrTail } from './ffmpeg-command';

/**
 * Reads ffmpeg's stderr when it runs with `-loglevel level+info` and a
 * `showinfo` filter: collects the presentation time of each frame the filter
 * saw, and keeps warnings and errors for error messages.
 *
 * showinfo logs a frame before ffmpeg writes it to stdout, but the two pipes
 * are read independently, so a frame can arrive before its line:
 * {@link ShowinfoLog.timestampOf} waits for the line or for stderr to close.
 */
export class ShowinfoLog {
  /** Warnings and errors only; info lines (stream dumps, showinfo) are not kept. */
  readonly problems = new StderrTail();
  private readonly ptsSeconds = new Map<number, number | undefined>();
  private closed = false;
  private wakeUps: (() => void)[] = [];

  /** Takes one stderr line. */
  accept(line: string): void {
    // e.g. "[Parsed_showinfo_1 @ 0x55e6fa171100] [info] n:   0 pts:   1536 pts_time:0.12    pos: ..."
    const frame = /^\[Parsed_showinfo_\d+ @ [^\]]+\] \[info\] n:\s*(\d+)\s+pts:\s*\S+\s+pts_time:(\S+)/.exec(line);
    if (frame !== null) {
      const seconds = Number(frame[2]);
      this.ptsSeconds.set(Number(frame[1]), Number.isFinite(seconds) ? seconds : undefined);
      this.wake();
    } else if (!/(^|\] )\[info\] /.test(line)) {
      this.problems.push(line);
    }
  }

  /** Marks stderr as closed: no more timestamps will come. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /**
   * The presentation time in seconds of the `ordinal`-th frame showinfo saw
   * (0-based), or undefined when ffmpeg did not log one (no pts in the stream).
   */
  async timestampOf(ordinal: number): Promise<number | undefined> {
    while (!this.ptsSeconds.has(ordinal) && !this.closed) {
      await new Promise<void>((resolve) => this.wakeUps.push(resolve));
    }
    return this.ptsSeconds.get(ordinal);
  }

  private wake(): void {
    const wakeUps = this.wakeUps;
    this.wakeUps = [];
    for (const wakeUp of wakeUps) wakeUp();
  }
}
