import { promises as fs } from 'node:fs';

import { VideoError } from './video-error';
import type { VideoLimits } from './video-limits';

/** What is known about an input file before any tool runs. */
export interface InputFile {
  sizeBytes: number;
  /** The first bytes of the file, for container sniffing. */
  header: Buffer;
}

const HEADER_BYTES = 512;

/**
 * Checks that `filePath` is a readable, non-empty regular file within the size
 * limit, so that ffprobe is never started on something we would reject anyway.
 */
export async function checkInputFile(filePath: string, limits: VideoLimits): Promise<InputFile> {
  let stat;
  try {
    stat = await fs.stat(filePath);
  } catch (error) {
    throw fileError(filePath, error);
  }
  if (!stat.isFile()) {
    throw new VideoError('FILE_UNREADABLE', `${filePath} is not a regular file.`, { path: filePath });
  }
  if (stat.size === 0) {
    throw new VideoError('EMPTY_FILE', `${filePath} is empty (0 bytes).`, { path: filePath });
  }
  if (stat.size > limits.maxVideoBytes) {
    throw new VideoError(
      'VIDEO_TOO_LARGE',
      `${filePath} is ${stat.size} bytes; the limit is ${limits.maxVideoBytes} bytes.`,
      { path: filePath },
    );
  }
  let header: Buffer;
  try {
    const handle = await fs.open(filePath, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEADER_BYTES), 0, HEADER_BYTES, 0);
      header = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw fileError(filePath, error);
  }
  return { sizeBytes: stat.size, header };
}

function fileError(filePath: string, error: unknown): VideoError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new VideoError('FILE_NOT_FOUND', `${filePath} does not exist.`, { path: filePath, cause: error });
  }
  return new VideoError('FILE_UNREADABLE', `${filePath} cannot be read (${code ?? 'unknown error'}).`, {
    path: filePath,
    cause: error,
  });
}

/**
 * True when the file starts like a common video container. ffprobe gives the
 * same error for a text file and for an MP4 cut short before its index, so this
 * is what tells NOT_A_VIDEO from CORRUPT_VIDEO when probing fails.
 */
export function looksLikeVideoContainer(header: Buffer): boolean {
  if (header.length < 12) return false;
  const ascii = (start: number, end: number): string => header.toString('latin1', start, end);
  // ISO BMFF / QuickTime: a box size then a known top-level box type.
  if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'pnot'].includes(ascii(4, 8))) return true;
  // Matroska / WebM: EBML magic.
  if (header.readUInt32BE(0) === 0x1a45dfa3) return true;
  if (ascii(0, 4) === 'RIFF' && ascii(8, 11) === 'AVI') return true;
  if (ascii(0, 3) === 'FLV' || ascii(0, 4) === 'OggS') return true;
  // MPEG program stream pack header, ASF header GUID.
  if (header.readUInt32BE(0) === 0x000001ba || header.readUInt32BE(0) === 0x3026b275) return true;
  // MPEG transport stream: a sync byte at the start of each 188-byte packet.
  return header.length > 376 && header[0] === 0x47 && header[188] === 0x47 && header[376] === 0x47;
}
