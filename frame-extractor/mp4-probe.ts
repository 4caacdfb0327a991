/**
 * Probing the common MP4 in-process: an MP4 or MOV file with one H.264 video track (8-bit
 * 4:2:0, progressive, constant frame rate) and any number of sound tracks is described
 * from its `moov` box and its sequence parameter set exactly as ffprobe describes it, without
 * starting ffprobe: starting it costs ~0.13 CPU-s (215 shared libraries), three quarters of
 * what a probe costs, ~4 % of a scan's CPU per video.
 *
 * Every value must be the one libavformat and the H.264 decoder derive (ffmpeg 5.1's
 * mov.c, h264_ps.c and ffprobe.c), because the sampled frames depend on the frame count,
 * duration and frame rate. So the reader answers only where that derivation is simple and
 * declines everything else, which then goes to ffprobe: fragmented files, cover art, tracks
 * other than video and sound, more than one video track or sample description, codecs other
 * than H.264, more than one SPS, bit depths above 8, other chroma formats, interlacing,
 * left or top cropping, a sample description whose size is not the SPS's, a variable frame
 * rate (more than one `stts` entry, but for a last single sample), negative composition
 * offsets, edit lists other than one plain edit, display matrices other than quarter turns,
 * and colour code points ffmpeg would not name. `mp4-probe.test.ts` holds it to ffprobe.
 */
import { promises as fs } from 'node:fs';
import { readH264Sps, type H264Sps } from './h264-sps';
import type { FfprobeOutput, FfprobeStream } from './probe-video';

/** The file described as ffprobe would describe it, or why it is left to ffprobe. */
export type Mp4ProbeResult = { output: FfprobeOutput } | { declined: string };

/** libavformat's name of its MP4/MOV demuxer, as ffprobe prints it. */
const MOV_FORMAT_NAME = 'mov,mp4,m4a,3gp,3g2,mj2';
/** Larger `moov` boxes are left to ffprobe (a 10-minute 60 fps video's is ~1 MB). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
/** H.273 matrix coefficients as libavutil names them (`av_color_space_name`); 2 is unspecified. */
const COLOR_SPACE_NAMES: Record<number, string | undefined> = {
  0: 'gbr', 1: 'bt709', 4: 'fcc', 5: 'bt470bg', 6: 'smpte170m', 7: 'smpte240m', 8: 'ycgco', 9: 'bt2020nc', 10: 'bt2020c',
};
const UNSPECIFIED_MATRIX = 2;
/** Display matrices (a, b, c, d in 16.16) of the quarter turns, and the rotation ffprobe prints for each. */
const QUARTER_TURNS: Array<{ abcd: [number, number, number, number]; rotation?: number }> = [
  { abcd: [0x10000, 0, 0, 0x10000] },
  { abcd: [0, 0x10000, -0x10000, 0], rotation: -90 },
  { abcd: [-0x10000, 0, 0, -0x10000], rotation: -180 },
  { abcd: [0, -0x10000, 0x10000, 0], rotation: 90 },
];

class Declined extends Error {}

function decline(reason: string): never {
  throw new Declined(reason);
}

interface Box {
  type: string;
  /** Offset of the payload (after the header) and of the box's end, in the buffer. */
  start: number;
  end: number;
}

/** The boxes between `start` and `end` of `buffer`. */
function childBoxes(buffer: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = buffer.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) decline('a box header is cut short');
      size = Number(buffer.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) decline('a box overruns its parent');
    boxes.push({ type: buffer.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

/** The boxes inside `box`. */
function childrenOf(buffer: Buffer, box: Box): Box[] {
  return childBoxes(buffer, box.start, box.end);
}

function only(boxes: Box[], type: string): Box | undefined {
  const found = boxes.filter((box) => box.type === type);
  if (found.length > 1) decline(`more than one ${type} box`);
  return found[0];
}

function required(boxes: Box[], type: string): Box {
  return only(boxes, type) ?? decline(`no ${type} box`);
}

/** Reads a full box's version and returns where its fields start. */
function versionOf(buffer: Buffer, box: Box): { version: number; at: number } {
  if (box.end - box.start < 4) decline(`${box.type} is empty`);
  return { version: buffer.readUInt8(box.start), at: box.start + 4 };
}

/** The top-level boxes' positions; the `moov` box read whole. */
async function readMoov(filePath: string, sizeBytes: number): Promise<Buffer> {
  const handle = await fs.open(filePath, 'r');
  try {
    const header = Buffer.alloc(16);
    let moov: { at: number; size: number } | undefined;
    for (let at = 0; at + 8 <= sizeBytes; ) {
      const { bytesRead } = await handle.read(header, 0, 16, at);
      if (bytesRead < 8) decline('a top-level box header is cut short');
      let size = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (size === 1) size = bytesRead === 16 ? Number(header.readBigUInt64BE(8)) : decline('a top-level box header is cut short');
      else if (size === 0) size = sizeBytes - at;
      if (size < 8) decline(`top-level box ${JSON.stringify(type)} has size ${size}`);
      if (type === 'moof') decline('a fragmented MP4');
      if (type === 'moov') {
        if (moov) decline('more than one moov box');
        moov = { at, size };
      }
      at += size;
    }
    if (!moov) decline('no moov box');
    if (moov.size > MAX_MOOV_BYTES) decline(`a moov box of ${moov.size} bytes`);
    if (moov.at + moov.size > sizeBytes) decline('the moov box is cut short');
    const buffer = Buffer.alloc(moov.size);
    const { bytesRead } = await handle.read(buffer, 0, moov.size, moov.at);
    if (bytesRead < moov.size) decline('the moov box is cut short');
    return buffer;
  } finally {
    await handle.close();
  }
}

/** The `mvhd` box: the movie time scale (edit lists count in it); its display matrix must be the identity. */
function readMovieHeader(buffer: Buffer, mvhd: Box): number {
  const { version, at } = versionOf(buffer, mvhd);
  const timescaleAt = at + (version === 1 ? 16 : 8);
  const matrixAt = timescaleAt + (version === 1 ? 12 : 8) + 16;
  if (matrixAt + 36 > mvhd.end) decline('mvhd is cut short');
  const matrix = Array.from({ length: 9 }, (_, i) => buffer.readInt32BE(matrixAt + 4 * i));
  if (matrix.join() !== [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].join()) decline('a movie display matrix');
  return buffer.readUInt32BE(timescaleAt);
}

/** The rotation ffprobe reports for a track's display matrix; undefined for the identity. */
function readTrackRotation(buffer: Buffer, tkhd: Box): number | undefined {
  const { version, at } = versionOf(buffer, tkhd);
  const matrixAt = at + (version === 1 ? 32 : 20) + 16;
  if (matrixAt + 36 > tkhd.end) decline('tkhd is cut short');
  const abcd = [0, 1, 3, 4].map((i) => buffer.readInt32BE(matrixAt + 4 * i));
  const [u, v, w] = [2, 5, 8].map((i) => buffer.readInt32BE(matrixAt + 4 * i));
  if (u !== 0 || v !== 0 || w !== 0x40000000) decline('a projective display matrix');
  const turn = QUARTER_TURNS.find((candidate) => candidate.abcd.every((value, i) => value === abcd[i]));
  return turn ? turn.rotation : decline('a display matrix that is not a quarter turn');
}

/** The media time scale and duration (`mdhd`). */
function readMediaHeader(buffer: Buffer, mdhd: Box): { timescale: number; duration: bigint } {
  const { version, at } = versionOf(buffer, mdhd);
  const timescaleAt = at + (version === 1 ? 16 : 8);
  if (timescaleAt + (version === 1 ? 12 : 8) > mdhd.end) decline('mdhd is cut short');
  const timescale = buffer.readUInt32BE(timescaleAt);
  const duration = version === 1 ? buffer.readBigUInt64BE(timescaleAt + 4) : BigInt(buffer.readUInt32BE(timescaleAt + 4));
  return { timescale, duration };
}

/** The one edit of an edit list (`elst`), in the movie time scale; declines anything else. */
function readSingleEdit(buffer: Buffer, elst: Box): { segmentDuration: bigint; mediaTime: bigint } {
  const { version, at } = versionOf(buffer, elst);
  if (buffer.readUInt32BE(at) !== 1) decline('an edit list of several edits');
  const entryAt = at + 4;
  if (entryAt + (version === 1 ? 20 : 12) > elst.end) decline('elst is cut short');
  const segmentDuration = version === 1 ? buffer.readBigUInt64BE(entryAt) : BigInt(buffer.readUInt32BE(entryAt));
  const mediaTime = version === 1 ? buffer.readBigInt64BE(entryAt + 8) : BigInt(buffer.readInt32BE(entryAt + 4));
  const rate = buffer.readInt32BE(entryAt + (version === 1 ? 16 : 8));
  if (rate !== 0x10000 || mediaTime < 0n || segmentDuration === 0n) decline('an edit that is empty, not at rate 1, or of no length');
  return { segmentDuration, mediaTime };
}

/** `stts` entries: [sample count, sample delta]. */
function readTimeToSample(buffer: Buffer, stts: Box): Array<[number, number]> {
  const { at } = versionOf(buffer, stts);
  const count = buffer.readUInt32BE(at);
  if (at + 4 + 8 * count > stts.end) decline('stts is cut short');
  return Array.from({ length: count }, (_, i): [number, number] => [buffer.readUInt32BE(at + 4 + 8 * i), buffer.readUInt32BE(at + 8 + 8 * i)]);
}

/** True when some composition offset (`ctts`) is negative: libavformat then shifts the timestamps. */
function hasNegativeCompositionOffset(buffer: Buffer, ctts: Box | undefined): boolean {
  if (!ctts) return false;
  const { at } = versionOf(buffer, ctts);
  const count = buffer.readUInt32BE(at);
  if (at + 4 + 8 * count > ctts.end) decline('ctts is cut short');
  for (let i = 0; i < count; i++) if (buffer.readInt32BE(at + 8 + 8 * i) < 0) return true;
  return false;
}

/** The visual sample entry's size, its SPS and its `colr` box (`stsd` with one `avc1`/`avc3` entry). */
function readAvcSampleEntry(buffer: Buffer, stsd: Box): { width: number; height: number; sps: H264Sps; colr?: { matrix: number; fullRange?: boolean } } {
  const { at } = versionOf(buffer, stsd);
  if (buffer.readUInt32BE(at) !== 1) decline('several sample descriptions');
  const [entry] = childBoxes(buffer, at + 4, stsd.end);
  if (!entry || (entry.type !== 'avc1' && entry.type !== 'avc3')) decline(`a ${entry?.type ?? 'missing'} video sample entry, not H.264`);
  // SampleEntry (8 bytes) then VisualSampleEntry: width and height at 24 and 26, child boxes from 78.
  if (entry.start + 78 > entry.end) decline('the sample entry is cut short');
  const width = buffer.readUInt16BE(entry.start + 24);
  const height = buffer.readUInt16BE(entry.start + 26);
  const children = childBoxes(buffer, entry.start + 78, entry.end);
  const avcC = required(children, 'avcC');
  if (avcC.start + 8 > avcC.end) decline('avcC is cut short');
  if ((buffer.readUInt8(avcC.start + 5) & 0x1f) !== 1) decline('not exactly one SPS');
  const spsLength = buffer.readUInt16BE(avcC.start + 6);
  if (avcC.start + 8 + spsLength > avcC.end) decline('avcC is cut short');
  let sps: H264Sps;
  try {
    sps = readH264Sps(buffer.subarray(avcC.start + 8, avcC.start + 8 + spsLength));
  } catch (error) {
    decline(`an SPS that cannot be read (${(error as Error).message})`);
  }
  const colrBox = only(children, 'colr');
  if (!colrBox || colrBox.start + 10 > colrBox.end) return { width, height, sps };
  const kind = buffer.toString('latin1', colrBox.start, colrBox.start + 4);
  if (kind !== 'nclx' && kind !== 'nclc') return { width, height, sps };
  const matrix = buffer.readUInt16BE(colrBox.start + 8);
  if (kind === 'nclc') return { width, height, sps, colr: { matrix } };
  if (colrBox.start + 11 > colrBox.end) decline('colr is cut short');
  return { width, height, sps, colr: { matrix, fullRange: (buffer.readUInt8(colrBox.start + 10) & 0x80) !== 0 } };
}

/** `num/den` in lowest terms, as libavutil's av_reduce writes a fraction that fits in an int. */
function reducedRate(num: bigint, den: bigint): string {
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  const divisor = gcd(num, den);
  const [n, d] = [num / divisor, den / divisor];
  if (n > 0x7fffffffn || d > 0x7fffffffn) decline('a frame rate that does not fit av_reduce exactly');
  return `${n}/${d}`;
}

/** av_rescale(a, b, c): a × b / c rounded to the nearest, halves away from zero (non-negative operands). */
function rescale(a: bigint, b: bigint, c: bigint): bigint {
  return (a * b + c / 2n) / c;
}

/** ffprobe's `%f` of a stream time: the tick count times the double 1/timescale. */
function ffprobeSeconds(ticks: bigint, timescale: number): string {
  return (Number(ticks) * (1 / timescale)).toFixed(6);
}

/** The video stream as ffprobe reports it, from its track's boxes. */
function describeVideoTrack(buffer: Buffer, trak: Box, index: number, movieTimescale: number): FfprobeStream {
  const boxes = childrenOf(buffer, trak);
  const rotation = readTrackRotation(buffer, required(boxes, 'tkhd'));
  const mdia = childrenOf(buffer, required(boxes, 'mdia'));
  const { timescale, duration: mediaDuration } = readMediaHeader(buffer, required(mdia, 'mdhd'));
  if (timescale === 0 || mediaDuration === 0n || mediaDuration === 0xffffffffn) decline('no media time scale or duration');
  const stbl = childrenOf(buffer, required(childrenOf(buffer, required(mdia, 'minf')), 'stbl'));
  if (only(stbl, 'stz2')) decline('compact sample sizes (stz2)');
  const stsz = required(stbl, 'stsz');
  const sampleCount = buffer.readUInt32BE(versionOf(buffer, stsz).at + 4);
  const stts = readTimeToSample(buffer, required(stbl, 'stts'));
  const sttsSamples = stts.reduce((sum, [count]) => sum + count, 0);
  const sttsTicks = stts.reduce((sum, [count, delta]) => sum + BigInt(count) * BigInt(delta), 0n);
  const constantRate = stts.length === 1 || (stts.length === 2 && stts[1]![0] === 1);
  if (!constantRate || sttsSamples !== sampleCount || sttsTicks === 0n || stts[0]![1] === 0) decline('a variable frame rate or inconsistent sample tables');
  if (hasNegativeCompositionOffset(buffer, only(stbl, 'ctts'))) decline('negative composition offsets');

  // libavformat takes the shorter of the media's and the samples' durations (mov_read_stts),
  // and with an edit list cuts it to the edit (mov_fix_index).
  let duration = mediaDuration < sttsTicks ? mediaDuration : sttsTicks;
  const edts = only(boxes, 'edts');
  const elst = edts && only(childrenOf(buffer, edts), 'elst');
  if (elst) {
    if (movieTimescale === 0) decline('no movie time scale');
    const edit = readSingleEdit(buffer, elst);
    const editTicks = rescale(edit.segmentDuration, BigInt(timescale), BigInt(movieTimescale));
    if (editTicks < duration) duration = editTicks;
  }

  const { width, height, sps, colr } = readAvcSampleEntry(buffer, required(stbl, 'stsd'));
  if (sps.chromaFormatIdc !== 1 || sps.bitDepthLuma !== 8 || sps.bitDepthChroma !== 8) decline('not 8-bit 4:2:0');
  if (!sps.frameMbsOnly) decline('interlaced');
  if (sps.crop.left !== 0 || sps.crop.top !== 0) decline('left or top cropping');
  const codedWidth = 16 * sps.widthInMbs - 2 * sps.crop.right;
  const codedHeight = 16 * sps.heightInMbs - 2 * sps.crop.bottom;
  if (codedWidth !== width || codedHeight !== height) decline(`a sample entry of ${width}×${height} for an SPS of ${codedWidth}×${codedHeight}`);
  // The decoder starts from the container's colour tags and lets the SPS's VUI override them.
  const fullRange = sps.fullRange ?? colr?.fullRange;
  const matrix = sps.matrixCoefficients ?? colr?.matrix ?? UNSPECIFIED_MATRIX;
  if (matrix !== UNSPECIFIED_MATRIX && COLOR_SPACE_NAMES[matrix] === undefined) decline(`matrix coefficients ${matrix}`);

  return {
    index,
    codec_type: 'video',
    codec_name: 'h264',
    width,
    height,
    avg_frame_rate: reducedRate(BigInt(timescale) * BigInt(sampleCount), sttsTicks),
    r_frame_rate: reducedRate(BigInt(timescale), BigInt(stts[0]![1])),
    duration: ffprobeSeconds(duration, timescale),
    nb_frames: String(sampleCount),
    pix_fmt: fullRange ? 'yuvj420p' : 'yuv420p',
    ...(matrix !== UNSPECIFIED_MATRIX ? { color_space: COLOR_SPACE_NAMES[matrix] } : {}),
    ...(fullRange !== undefined ? { color_range: fullRange ? 'pc' : 'tv' } : {}),
    ...(rotation !== undefined ? { side_data_list: [{ rotation }] } : {}),
  };
}

/** The handler type (`hdlr`) of a track: `vide`, `soun`, … */
function handlerOf(buffer: Buffer, trak: Box): string {
  const hdlr = required(childrenOf(buffer, required(childrenOf(buffer, trak), 'mdia')), 'hdlr');
  const { at } = versionOf(buffer, hdlr);
  if (at + 8 > hdlr.end) decline('hdlr is cut short');
  return buffer.toString('latin1', at + 4, at + 8);
}

/**
 * Describes `filePath` (`sizeBytes` long) as ffprobe's JSON would for the fields
 * `probeVideo` reads, or says why it leaves the file to ffprobe (a file it cannot read
 * included: ffprobe then words the error).
 */
export async function probeMp4(filePath: string, sizeBytes: number): Promise<Mp4ProbeResult> {
  try {
    const moov = await readMoov(filePath, sizeBytes);
    if (moov.includes('covr', 0, 'latin1')) decline('cover art');
    const boxes = childBoxes(moov, moov.readUInt32BE(0) === 1 ? 16 : 8, moov.length);
    if (only(boxes, 'mvex')) decline('a fragmented MP4');
    const movieTimescale = readMovieHeader(moov, required(boxes, 'mvhd'));
    const traks = boxes.filter((box) => box.type === 'trak');
    const handlers = traks.map((trak) => handlerOf(moov, trak));
    const other = handlers.find((handler) => handler !== 'vide' && handler !== 'soun');
    if (other !== undefined) decline(`a ${JSON.stringify(other)} track`);
    if (handlers.filter((handler) => handler === 'vide').length !== 1) decline('not exactly one video track');
    const streams = traks.map((trak, index) =>
      handlers[index] === 'vide' ? describeVideoTrack(moov, trak, index, movieTimescale) : { index, codec_type: 'audio' },
    );
    return { output: { streams, format: { format_name: MOV_FORMAT_NAME } } };
  } catch (error) {
    if (error instanceof Declined) return { declined: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) return { declined: `the file cannot be read (${code})` };
    throw error;
  }
}
