/**
 * A minimal reader of ZIP archives held in memory, enough for PyTorch checkpoints
 * (`torch.save` writes a ZIP of stored, uncompressed entries since PyTorch 1.6).
 * Stored and deflated entries are read; ZIP64 and encryption are refused.
 * Layout from PKWARE's APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central
 * directory header) and 4.3.16 (end of central directory record).
 */
import { inflateRawSync } from 'node:zlib';
import { LrnetConversionError } from './checkpoint-error';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const END_RECORD_SIZE = 22;
const MAX_COMMENT_SIZE = 0xffff;
const STORED = 0;
const DEFLATED = 8;

/** One entry of the archive, its bytes read on demand. */
interface ZipEntry {
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** The entries of a ZIP archive by name. */
export class ZipArchive {
  private constructor(
    private readonly bytes: Uint8Array,
    private readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /** Reads the central directory of `bytes`; throws `LrnetConversionError` INVALID_ZIP. */
  static open(bytes: Uint8Array): ZipArchive {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const end = findEndRecord(view);
    const count = view.getUint16(end + 10, true);
    let offset = view.getUint32(end + 16, true);
    const entries = new Map<string, ZipEntry>();
    for (let index = 0; index < count; index += 1) {
      if (offset + 46 > view.byteLength || view.getUint32(offset, true) !== CENTRAL_DIRECTORY_HEADER) {
        throw invalid(`central directory entry ${index} is damaged`);
      }
      const nameLength = view.getUint16(offset + 28, true);
      const extraLength = view.getUint16(offset + 30, true);
      const commentLength = view.getUint16(offset + 32, true);
      const name = new TextDecoder().decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
      const entry = {
        method: view.getUint16(offset + 10, true),
        compressedSize: view.getUint32(offset + 20, true),
        size: view.getUint32(offset + 24, true),
        localHeaderOffset: view.getUint32(offset + 42, true),
      };
      if (entry.compressedSize === 0xffffffff || entry.size === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
        throw invalid(`entry ${name} needs ZIP64, which is not supported`);
      }
      entries.set(name, entry);
      offset += 46 + nameLength + extraLength + commentLength;
    }
    return new ZipArchive(bytes, entries);
  }

  /** Names of every entry, in directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** The uncompressed bytes of entry `name`; throws INVALID_ZIP when it is missing or damaged. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (entry === undefined) throw invalid(`entry ${name} is missing`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const header = entry.localHeaderOffset;
    if (header + 30 > view.byteLength || view.getUint32(header, true) !== LOCAL_FILE_HEADER) {
      throw invalid(`local header of ${name} is damaged`);
    }
    // The local header's name and extra field may differ in length from the central directory's.
    const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
    if (start + entry.compressedSize > view.byteLength) throw invalid(`entry ${name} runs past the end of the archive`);
    const data = this.bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === STORED) return data;
    if (entry.method === DEFLATED) return new Uint8Array(inflateRawSync(data));
    throw invalid(`entry ${name} uses compression method ${entry.method}`);
  }
}

function findEndRecord(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - END_RECORD_SIZE - MAX_COMMENT_SIZE);
  for (let offset = view.byteLength - END_RECORD_SIZE; offset >= lowest; offset -= 1) {
    if (view.getUint32(offset, true) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw invalid('no end of central directory record: not a ZIP archive');
}

function invalid(detail: string): LrnetConversionError {
  return new LrnetConversionError('INVALID_ZIP', `Not a readable PyTorch checkpoint: ${detail}.`);
}
