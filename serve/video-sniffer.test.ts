import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sharedDir } from '../test/video-fixtures';
import { sniffVideoType, SNIFF_BYTES } from './video-sniffer';

/** The first bytes of a one-second clip in `format`, made by ffmpeg. */
function clipHead(extension: string, args: string[] = []): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deepsift-sniff-'));
  try {
    const file = path.join(dir, `clip${extension}`);
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=5:duration=1', ...args, file]);
    return readFileSync(file).subarray(0, SNIFF_BYTES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sniffVideoType', () => {
  it.each([
    ['.mp4', [], 'video/mp4'],
    ['.mov', [], 'video/quicktime'],
    ['.mkv', [], 'video/x-matroska'],
    ['.webm', ['-c:v', 'libvpx'], 'video/webm'],
    ['.avi', [], 'video/x-msvideo'],
    ['.ts', [], 'video/mp2t'],
    ['.flv', [], 'video/x-flv'],
  ])('recognises %s as ffmpeg writes it', (extension, args, contentType) => {
    expect(sniffVideoType(clipHead(extension, args))?.contentType).toBe(contentType);
  });

  it('refuses text, images and audio-only MP4 brands whatever they are named', () => {
    expect(sniffVideoType(Buffer.from('hello, this is not a video'))).toBeUndefined();
    expect(sniffVideoType(readFileSync(path.join(sharedDir(), 'faces', 'df', 'df00204.jpg')))).toBeUndefined();
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(16)]);
    expect(sniffVideoType(heic)).toBeUndefined();
    const m4a = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypM4A '), Buffer.alloc(16)]);
    expect(sniffVideoType(m4a)).toBeUndefined();
    expect(sniffVideoType(Buffer.alloc(0))).toBeUndefined();
  });
});
