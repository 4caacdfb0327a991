/**
 * Local files and folders as a source of work: folders are walked recursively for
 * video files; a file named explicitly is always analysed, whatever its extension.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';

/** Extensions picked up when walking a folder. */
export const VIDEO_EXTENSIONS = new Set([
  '.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.wmv', '.flv', '.mpg', '.mpeg', '.ts', '.mts', '.m2ts', '.3gp', '.ogv',
]);

/** One local input to analyse. */
export interface LocalInput {
  /** As the user named it (or as found under a folder they named). */
  uri: string;
  /** Absolute path. */
  path: string;
}

/** A folder entry that the walk passed over, with the reason a user can act on. */
export interface SkippedEntry {
  /** As the user would name it (the folder they named joined with the entry's path). */
  uri: string;
  reason: string;
}

/** Options of `expandLocalInputs`. */
export interface ExpandOptions {
  /** Told of every entry under a folder that cannot be read or is not a regular file. */
  onSkipped?: (entry: SkippedEntry) => void;
}

/**
 * Expands files and folders into the list of files to analyse, in a stable order. An
 * entry under a folder that cannot be read (a locked subfolder, a broken link) or that is
 * not a regular file (a named pipe, a socket, a device) is skipped and reported through
 * `onSkipped`: it never stops the walk and is never opened. A name given explicitly is
 * always an input, so that it gets a (possibly failed) report.
 */
export async function expandLocalInputs(names: string[], options: ExpandOptions = {}): Promise<LocalInput[]> {
  const inputs: LocalInput[] = [];
  const skip = options.onSkipped ?? (() => undefined);
  for (const name of names) {
    const absolute = path.resolve(name);
    let isDirectory = false;
    try {
      isDirectory = (await stat(absolute)).isDirectory();
    } catch {
      // Unreadable or missing: still an input, so that it gets a failed report.
    }
    if (!isDirectory) {
      inputs.push({ uri: name, path: absolute });
      continue;
    }
    for (const file of await walk(absolute, (full, reason) => skip({ uri: path.join(name, path.relative(absolute, full)), reason }))) {
      inputs.push({ uri: path.join(name, path.relative(absolute, file)), path: file });
    }
  }
  return inputs;
}

async function walk(dir: string, skip: (full: string, reason: string) => void): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    skip(dir, `folder cannot be read (${errorCode(error)})`);
    return [];
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await walk(full, skip)));
      continue;
    }
    if (!VIDEO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
    const kind = entry.isSymbolicLink() ? await linkTargetKind(full) : entryKind(entry);
    if (kind === 'file') files.push(full);
    else skip(full, kind);
  }
  return files;
}

/** What a link to a video-named entry leads to: 'file', or why it is skipped. Links to folders are not followed (no cycles). */
async function linkTargetKind(full: string): Promise<string> {
  try {
    const target = await stat(full);
    return target.isFile() ? 'file' : `link to ${entryKind(target)}`;
  } catch (error) {
    return `link cannot be followed (${errorCode(error)})`;
  }
}

/** 'file' for a regular file, else a short name of what the entry is. */
export function entryKind(entry: Dirent | Stats): string {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'a folder';
  if (entry.isFIFO()) return 'not a regular file (named pipe)';
  if (entry.isSocket()) return 'not a regular file (socket)';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'not a regular file (device)';
  return 'not a regular file';
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** SHA-256 and size of a stream. */
export async function hashStream(stream: AsyncIterable<Buffer | string>): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash.update(bytes);
    sizeBytes += bytes.length;
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** Thrown by `hashFile` for anything but a regular file; it is never read. */
export class NotARegularFileError extends Error {
  override readonly name = 'NotARegularFileError';
  readonly code = 'NOT_A_REGULAR_FILE';
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    super(`${file} is ${kind}; only regular files are analysed`);
  }
}

/**
 * SHA-256 and size of a file, streamed. The file is opened without blocking and checked
 * to be a regular file through the open handle, so a named pipe (or anything swapped in
 * after a `stat`) is never read and can never block.
 */
export async function hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NotARegularFileError(file, entryKind(info));
    return await hashStream(handle.createReadStream({ autoClose: false }));
  } finally {
    await handle.close();
  }
}

/** The stand-in id of an input whose bytes cannot be read: SHA-256 of its absolute path. */
export function pathVideoId(absolutePath: string): string {
  return createHash('sha256').update(`path:${absolutePath}`).digest('hex');
}
