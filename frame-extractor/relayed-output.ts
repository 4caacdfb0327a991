/**
 * One output of a tool started by the tool launcher's helper, as a Readable: the bytes of the
 * connection this process made for it, which the helper handed to the tool. Reading pauses
 * the connection while the consumer is behind, so that the tool blocks instead of memory
 * growing. A direct output's bytes go to its {@link DirectReader} instead: its Readable
 * only ends.
 */
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';

export class RelayedOutput extends Readable {
  private socket: Socket | undefined;
  private direct = false;
  private ended = false;

  /** Feeds the output from `socket`, or only ends with it when its reads go to a direct reader. */
  attach(socket: Socket, direct: boolean): void {
    if (this.socket !== undefined || this.ended || this.destroyed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.direct = direct;
    if (!direct) {
      socket.on('data', (chunk: Buffer) => {
        if (!this.deliver(chunk)) socket.pause();
      });
    }
    // A connection that breaks only ends the output: the tool's exit status tells what went wrong.
    socket.once('end', () => this.end());
    socket.once('close', () => this.end());
  }

  /** Ends an output whose connection never came (the tool could not start, or the helper failed). */
  endWithoutSocket(): void {
    if (this.socket === undefined) this.end();
  }

  override _read(): void {
    // A direct reader pauses and resumes the connection itself.
    if (!this.direct) this.socket?.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.socket?.destroy();
    callback(error);
  }

  private deliver(chunk: Buffer): boolean {
    if (this.ended || this.destroyed) return true;
    return this.push(chunk);
  }

  private end(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.push(null);
  }
}
