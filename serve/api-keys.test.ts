import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from './api-keys';
import { MediaLinks } from './media-links';

describe('ApiKeyStore', () => {
  it('knows its keys by a digest and tells which key matched, never the key itself', () => {
    const store = ApiKeyStore.fromKeys(['first-key-0123456789', 'second-key-0123456789']);
    const first = store.verify('first-key-0123456789');
    const second = store.verify('second-key-0123456789');
    expect(first?.keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(second?.keyId).not.toBe(first?.keyId);
    expect(JSON.stringify(store)).not.toContain('first-key');
    expect(store.verify('first-key-012345678')).toBeUndefined();
    expect(store.verify('')).toBeUndefined();
  });

  it('reads a keys file, skipping comments and blank lines, and refuses short keys', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deepsift-keys-'));
    try {
      const file = path.join(dir, 'keys');
      await writeFile(file, '# analysts\n\nfile-key-0123456789abc\n');
      const store = await ApiKeyStore.load({ file, keys: ['env-key-0123456789abc'] });
      expect(store.size).toBe(2);
      expect(store.verify('file-key-0123456789abc')).toBeDefined();
      await expect(ApiKeyStore.load({ file: path.join(dir, 'missing') })).rejects.toThrow(/cannot read the API keys file/);
      expect(() => ApiKeyStore.fromKeys(['short'])).toThrow(/shorter than 16/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('MediaLinks', () => {
  it('accepts its own token for that video until it expires, nothing else', () => {
    let now = 1_700_000_000_000;
    const links = new MediaLinks(Buffer.alloc(32, 7), 60_000, () => now);
    const video = 'a'.repeat(64);
    const { token } = links.sign(video);
    expect(links.verify(video, token)).toBe(true);
    expect(links.verify('b'.repeat(64), token)).toBe(false);
    expect(links.verify(video, token.replace(/^\d+/, String(now + 10 * 60_000)))).toBe(false);
    expect(new MediaLinks(Buffer.alloc(32, 8), 60_000, () => now).verify(video, token)).toBe(false);
    now += 60_001;
    expect(links.verify(video, token)).toBe(false);
  });
});
