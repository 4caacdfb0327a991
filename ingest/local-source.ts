/**
 * Local files and folders as a source of work: folders are walked recursively for
 * video files; a file named explicitly is always analysed, whatever its extension.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
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

/** Expands files and folders into the list of files to analyse, in a stable order. */
export async function expandLocalInputs(names: string[]): Promise<LocalInput[]> {
  const inputs: LocalInput[] = [];
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
    for (const file of await walk(absolute)) {
      inputs.push({ uri: path.join(name, path.relative(absolute, file)), path: file });
    }
  }
  return inputs;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (entry.isFile() && VIDEO_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.push(full);
  }
  return files;
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

/** SHA-256 and size of a file, streamed. */
export function hashFile(file: string): Promise<{ sha256: string; sizeBytes: number }> {
  return hashStream(createReadStream(file));
}

/** The stand-in id of an input whose bytes cannot be read: SHA-256 of its absolute path. */
export function pathVideoId(absolutePath: string): string {
  return createHash('sha256').update(`path:${absolutePath}`).digest('hex');
}
