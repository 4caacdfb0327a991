/**
 * The in-process MP4 probe against ffprobe: on the shared sample, the eval videos and MP4s
 * made here to cover what it reads (frame rates and time scales, audio, B-frames and their
 * edit list, a trimmed copy, cropping, rotation, range and colour tags, moov first or last,
 * MOV), `probeVideo` gives exactly the same answer with and without it. Files it must leave
 * to ffprobe are left to ffprobe, with the same answer.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, runFfmpeg, sharedDir } from '../test/video-fixtures';
import { probeMp4 } from './mp4-probe';
import { probeVideo } from './probe-video';
import { DEFAULT_VIDEO_LIMITS } from './video-limits';

const testSource = (rate: string, size = '320x240'): string[] => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}:duration=2`];
const x264 = (pixFmt = 'yuv420p'): string[] => ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', pixFmt];

/** Files the probe must describe itself: ffmpeg arguments that make each (the output path is appended). */
const DESCRIBED: Record<string, string[]> = {
  'moov-first.mp4': [...testSource('25'), ...x264(), '-movflags', '+faststart'],
  'ntsc-with-audio.mp4': [...testSource('30000/1001'), '-f', 'lavfi', '-i', 'sine=duration=2', ...x264(), '-preset', 'veryfast', '-c:a', 'aac'],
  'no-b-frames.mp4': [...testSource('24'), ...x264(), '-bf', '0', '-video_track_timescale', '24000'],
  'cropped.mp4': [...testSource('25', '322x242'), ...x264()],
  'full-range.mp4': [...testSource('25'), ...x264('yuvj420p')],
  'bt709.mp4': [...testSource('25'), ...x264(), '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
  'smpte170m.mp4': [...testSource('25'), ...x264(), '-x264-params', 'colormatrix=smpte170m'],
  'quicktime.mov': [...testSource('25'), ...x264()],
};

/** Stream copies of those files: [source, ffmpeg output options]. */
const REMUXED: Record<string, [string, string[]]> = {
  // Starting 0.5 s in: libavformat cuts the duration to the edit, not the frame count.
  'trimmed.mp4': ['ntsc-with-audio.mp4', ['-ss', '0.5']],
  // ffmpeg 5.1 writes a rotate tag as the track's display matrix when it copies the stream.
  'rotated-90.mp4': ['moov-first.mp4', ['-metadata:s:v:0', 'rotate=90']],
  'rotated-180.mp4': ['moov-first.mp4', ['-metadata:s:v:0', 'rotate=180']],
  'rotated-270.mp4': ['moov-first.mp4', ['-metadata:s:v:0', 'rotate=270']],
};

/** Files it must leave to ffprobe, and why. */
const DECLINED: Record<string, { args: string[]; reason: RegExp }> = {
  '444.mp4': { args: [...testSource('25'), ...x264('yuv444p')], reason: /not 8-bit 4:2:0/ },
  '10-bit.mp4': { args: [...testSource('25'), ...x264('yuv420p10le')], reason: /not 8-bit 4:2:0/ },
  'interlaced.mp4': { args: [...testSource('25'), ...x264(), '-flags', '+ildct+ilme'], reason: /interlaced/ },
  'mpeg4.mp4': { args: [...testSource('25'), '-c:v', 'mpeg4'], reason: /mp4v video sample entry, not H\.264/ },
  'variable-rate.mp4': {
    args: [...testSource('25'), ...x264(), '-vf', "setpts='if(lt(N,10),N/(25*TB),(N+10)/(25*TB))'", '-fps_mode', 'vfr'],
    reason: /variable frame rate/,
  },
};

/** The eval videos whose codec and format the probe reads (H.264 4:2:0); the others are MPEG-4 Part 2 or 4:4:4. */
const DESCRIBED_EVAL = ['real/lrnet_dfo_real.mp4', 'fake/lrnet_dfo_fake.mp4', 'real/uadfv_0000.mp4'];

/**
 * `file` with a `colr` box (nclx: BT.709 primaries, transfer and matrix; full range) added to its
 * video sample entry, every enclosing box grown to hold it. The file's moov must follow its mdat
 * (the chunk offsets stay valid) and hold one track.
 */
function withColrBox(file: Buffer): Buffer {
  const colr = Buffer.from('00000013636f6c726e636c7800010001000180', 'hex');
  const enclosing: number[] = [];
  let at = 0;
  let end = file.length;
  for (const [type, skip] of [['moov', 8], ['trak', 8], ['mdia', 8], ['minf', 8], ['stbl', 8], ['stsd', 16], ['avc1', 0]] as const) {
    while (file.toString('latin1', at + 4, at + 8) !== type) {
      if (at >= end) throw new Error(`no ${type} box`);
      at += file.readUInt32BE(at);
    }
    enclosing.push(at);
    end = at + file.readUInt32BE(at);
    at += skip;
  }
  const grown = Buffer.concat([file.subarray(0, end), colr, file.subarray(end)]);
  for (const box of enclosing) grown.writeUInt32BE(grown.readUInt32BE(box) + colr.length, box);
  return grown;
}

/** probeVideo with and without the in-process probe. */
async function bothWays(file: string) {
  return [await probeVideo(file, DEFAULT_VIDEO_LIMITS), await probeVideo(file, DEFAULT_VIDEO_LIMITS, { inProcessMp4: false })];
}

describe('probeMp4 against ffprobe', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    const made = [...Object.entries(DESCRIBED), ...Object.entries(DECLINED).map(([name, { args }]) => [name, args] as const)];
    for (const [name, args] of made) await runFfmpeg([...args, '-t', '2', path.join(dir, name)]);
    for (const [name, [source, args]] of Object.entries(REMUXED)) {
      const seek = args[0] === '-ss' ? args.slice(0, 2) : [];
      await runFfmpeg([...seek, '-i', path.join(dir, source), '-c', 'copy', ...args.slice(seek.length), path.join(dir, name)]);
    }
  }, 120_000);

  it.each([...Object.keys(DESCRIBED), ...Object.keys(REMUXED)])('describes %s as ffprobe does', async (name) => {
    const file = path.join(dir, name);
    expect(await probeMp4(file, (await readFile(file)).length)).toHaveProperty('output');
    const [inProcess, ffprobe] = await bothWays(file);
    expect(inProcess).toEqual(ffprobe);
  });

  it('reads rotation, cropping, range, colour tags and the trimmed duration (not only defaults)', async () => {
    const probe = async (name: string) => (await bothWays(path.join(dir, name)))[0]!;
    // A rotate tag of 90 is a display matrix of 90° counter-clockwise, which ffmpeg undoes by turning the picture 270° clockwise.
    expect((await probe('rotated-90.mp4')).rotationDegrees).toBe(270);
    expect((await probe('rotated-180.mp4')).rotationDegrees).toBe(180);
    expect(await probe('rotated-270.mp4')).toMatchObject({ rotationDegrees: 90, width: 240, height: 320 });
    expect(await probe('cropped.mp4')).toMatchObject({ width: 322, height: 242 });
    expect(await probe('full-range.mp4')).toMatchObject({ pixelFormat: 'yuvj420p', colorRange: 'pc' });
    expect(await probe('bt709.mp4')).toMatchObject({ colorSpace: 'bt709', colorRange: 'tv' });
    expect(await probe('trimmed.mp4')).toMatchObject({ frameCount: 60, durationSeconds: 1.502, fps: 30000 / 1001 });
  });

  it.each(Object.keys(DECLINED))('leaves %s to ffprobe', async (name) => {
    const file = path.join(dir, name);
    const result = await probeMp4(file, (await readFile(file)).length);
    expect(result).toEqual({ declined: expect.stringMatching(DECLINED[name]!.reason) });
    const [inProcess, ffprobe] = await bothWays(file);
    expect(inProcess).toEqual(ffprobe);
  });

  it("takes the container's colour tags where the SPS has none, and the SPS's where it has them", async () => {
    for (const [source, expected] of [
      ['no-b-frames.mp4', { colorSpace: 'bt709', colorRange: 'pc', pixelFormat: 'yuvj420p' }],
      ['bt709.mp4', { colorSpace: 'bt709', colorRange: 'tv', pixelFormat: 'yuv420p' }],
    ] as const) {
      const file = path.join(dir, `colr-${source}`);
      const original = await readFile(path.join(dir, source));
      // bt709.mp4 has a colr box of its own, from the encoder: set its range to full instead.
      const colr = original.indexOf('colrnclx', 0, 'latin1');
      const tagged = colr >= 0 ? Buffer.from(original) : withColrBox(original);
      if (colr >= 0) tagged.writeUInt8(0x80, colr + 14);
      await writeFile(file, tagged);
      expect(await probeMp4(file, tagged.length)).toHaveProperty('output');
      const [inProcess, ffprobe] = await bothWays(file);
      expect(inProcess).toEqual(ffprobe);
      expect(inProcess).toMatchObject(expected);
    }
  });

  it('describes an edit list shorter than the media by the edit, and a longer one by the media', async () => {
    // The sample with its edit (10.011 s from 2 frames in) rewritten: 5 s, then 20 s.
    const sample = await readFile(path.join(sharedDir(), 'videos', 'interview_1080p.mp4'));
    const elst = sample.indexOf('elst', 0, 'latin1');
    for (const [name, editMs, seconds] of [['short-edit.mp4', 5000, 5], ['long-edit.mp4', 20_000, 10.01001]] as const) {
      const copy = Buffer.from(sample);
      copy.writeUInt32BE(editMs, elst + 12);
      await writeFile(path.join(dir, name), copy);
      const [inProcess, ffprobe] = await bothWays(path.join(dir, name));
      expect(inProcess).toEqual(ffprobe);
      expect(inProcess!.durationSeconds).toBe(seconds);
    }
  });

  it('describes the shared sample and the H.264 eval videos as ffprobe does, and leaves the rest to it', async () => {
    const evalDir = path.join(sharedDir(), 'eval');
    const evalVideos = ['real', 'fake'].flatMap((label) => readdirSync(path.join(evalDir, label)).map((name) => `${label}/${name}`));
    expect(evalVideos).toHaveLength(11);
    for (const name of ['../videos/interview_1080p.mp4', ...evalVideos]) {
      const file = path.join(evalDir, name);
      const result = await probeMp4(file, (await readFile(file)).length);
      const described = name.startsWith('../') || DESCRIBED_EVAL.includes(name);
      expect([name, 'output' in result]).toEqual([name, described]);
      const [inProcess, ffprobe] = await bothWays(file);
      expect(inProcess).toEqual(ffprobe);
    }
  });
});
