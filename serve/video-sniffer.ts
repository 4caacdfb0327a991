/**
 * Tells a video container from its first bytes, never from a file name. Signatures: ISO/IEC
 * 14496-12 (MP4, QuickTime `ftyp` and legacy top-level atoms), EBML (Matroska, WebM), RIFF AVI,
 * FLV, MPEG-TS/M2TS (sync byte 0x47 every 188/192 bytes), MPEG-PS, ASF and Ogg. Written here
 * rather than taken from `file-type`, which is ESM-only and this package is CommonJS.
 */

/** Bytes of the head that `sniffVideoType` looks at. */
export const SNIFF_BYTES = 4096;

/** A recognised container. */
export interface SniffedType {
  contentType: string;
  /** File extension with the dot, used for the stored file's name. */
  extension: string;
}

/** ISO BMFF brands that are still images or audio only, not video. */
const NON_VIDEO_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'mif1', 'msf1', 'M4A ', 'M4B ', 'M4P ', 'jpx ', 'jp2 ']);
const QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

/** The container `head` starts with, or undefined when it is not a video container. */
export function sniffVideoType(head: Buffer): SniffedType | undefined {
  const ascii = (start: number, end: number) => head.subarray(start, end).toString('latin1');
  if (head.length >= 12 && ascii(4, 8) === 'ftyp') {
    const brand = ascii(8, 12);
    if (NON_VIDEO_BRANDS.has(brand)) return undefined;
    if (brand === 'qt  ') return { contentType: 'video/quicktime', extension: '.mov' };
    if (brand.startsWith('3g')) return { contentType: 'video/3gpp', extension: '.3gp' };
    return { contentType: 'video/mp4', extension: '.mp4' };
  }
  if (head.length >= 8 && QUICKTIME_ATOMS.has(ascii(4, 8))) return { contentType: 'video/quicktime', extension: '.mov' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    return head.includes('webm', 0, 'latin1')
      ? { contentType: 'video/webm', extension: '.webm' }
      : { contentType: 'video/x-matroska', extension: '.mkv' };
  }
  if (head.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 11) === 'AVI') return { contentType: 'video/x-msvideo', extension: '.avi' };
  if (head.length >= 4 && ascii(0, 3) === 'FLV' && head[3] === 1) return { contentType: 'video/x-flv', extension: '.flv' };
  if (isTransportStream(head, 0, 188) || isTransportStream(head, 4, 192)) return { contentType: 'video/mp2t', extension: '.ts' };
  if (head.length >= 4 && head.readUInt32BE(0) === 0x000001ba) return { contentType: 'video/mpeg', extension: '.mpg' };
  if (head.length >= 16 && head.subarray(0, 16).equals(ASF_HEADER_GUID)) return { contentType: 'video/x-ms-asf', extension: '.wmv' };
  if (head.length >= 4 && ascii(0, 4) === 'OggS') return { contentType: 'video/ogg', extension: '.ogv' };
  return undefined;
}

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');

/** Three sync bytes at packet boundaries (one is too weak a signal). */
function isTransportStream(head: Buffer, offset: number, packetBytes: number): boolean {
  if (head.length < offset + 2 * packetBytes + 1) return false;
  return [0, 1, 2].every((i) => head[offset + i * packetBytes] === 0x47);
}
