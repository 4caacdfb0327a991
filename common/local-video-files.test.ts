import { LocalVideoFiles } from './local-video-files';

describe('LocalVideoFiles', () => {
  it('gives the held file of an analysis until it is released', () => {
    const files = new LocalVideoFiles();
    const release = files.hold('v1', 'c1', '/tmp/a.video');
    expect(files.pathOf('v1', 'c1')).toBe('/tmp/a.video');
    expect(files.pathOf('v1', 'c2')).toBeUndefined();
    expect(files.pathOf('v2', 'c1')).toBeUndefined();
    release();
    expect(files.pathOf('v1', 'c1')).toBeUndefined();
    expect(files.size).toBe(0);
  });

  it('keeps the other delivery\'s file when one delivery of the same job releases its own', () => {
    const files = new LocalVideoFiles();
    const releaseFirst = files.hold('v1', 'c1', '/tmp/a.video');
    const releaseSecond = files.hold('v1', 'c1', '/tmp/b.video');
    releaseFirst();
    expect(files.pathOf('v1', 'c1')).toBe('/tmp/b.video');
    releaseSecond();
    releaseSecond();
    expect(files.size).toBe(0);
  });
});
