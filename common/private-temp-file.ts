/**
 * Private temporary files for untrusted bytes: a fresh folder (mode 0700) from
 * `fs.mkdtemp` and a generated name (mode 0600), never a name taken from a key or URL.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ownedTempPrefix } from './stale-temp-folders';

/** A file that only this process can read; `remove` deletes it and its folder. */
export interface PrivateTempFile {
  path: string;
  sizeBytes: number;
  remove(): Promise<void>;
}

/** Thrown when the stream holds more than the allowed bytes; the partial file is removed. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
  constructor(readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
  }
}

/** Where a temporary file goes and whose it is. */
export interface PrivateTempFileOptions {
  /** The folder to create the file's folder in; the system's temporary folder by default. */
  dir?: string;
  /**
   * The kind of process that owns it (e.g. `frame-extractor`): its folder is then named
   * after this process, and `removeStaleTempFolders` removes it once the process is gone.
   */
  owner?: string;
}

/** Writes `body` to a new private temporary file, stopping past `maxBytes`. */
export async function writePrivateTempFile(body: Readable, maxBytes: number, suffix = '.bin', options: PrivateTempFileOptions = {}): Promise<PrivateTempFile> {
  const prefix = options.owner === undefined ? 'deepsift-' : ownedTempPrefix(options.owner);
  const dir = await mkdtemp(path.join(options.dir ?? os.tmpdir(), prefix));
  const file = path.join(dir, `${randomBytes(12).toString('hex')}${suffix}`);
  const remove = () => rm(dir, { recursive: true, force: true });
  let sizeBytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sizeBytes += chunk.length;
      callback(sizeBytes > maxBytes ? new TooLargeError(maxBytes) : null, chunk);
    },
  });
  try {
    await pipeline(body, cap, createWriteStream(file, { mode: 0o600, flags: 'wx' }));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path: file, sizeBytes, remove };
}
