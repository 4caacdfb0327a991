import { createSilentLogger, type S3Storage } from '../common';
import { startS3Server, testS3Storage, type TestS3Server } from '../test/s3-server';
import { S3Poller, type PolledObject } from './s3-poller';

describe('S3Poller against s3rver', () => {
  let server: TestS3Server;
  let storage: S3Storage;
  const logger = createSilentLogger();

  beforeEach(async () => {
    server = await startS3Server();
    storage = testS3Storage(server);
  });

  afterEach(async () => {
    storage.close();
    await server.close();
  });

  function poller(seen: PolledObject[], onObject?: (object: PolledObject) => Promise<void>): S3Poller {
    return new S3Poller({ storage, logger }, {
      onObject: onObject ?? (async (object) => void seen.push(object)),
    });
  }

  it('hands each new object on once, across polls and restarts', async () => {
    await storage.put('incoming/a b+c%d é.mp4', Buffer.from('first video'));
    await storage.put('incoming/two.mp4', Buffer.from('second video'));
    await storage.put('elsewhere/ignored.mp4', Buffer.from('not watched'));
    const seen: PolledObject[] = [];

    const first = poller(seen);
    expect(await first.pollOnce()).toBe(2);
    expect(seen.map((o) => o.key)).toEqual(['incoming/a b+c%d é.mp4', 'incoming/two.mp4']);
    expect(seen[0]).toMatchObject({ bucket: server.bucket, sizeBytes: 11, eTag: expect.stringMatching(/^[0-9a-f]{32}$/) });

    expect(await first.pollOnce()).toBe(0);
    // A restarted poller finds the markers in the bucket.
    expect(await poller(seen).pollOnce()).toBe(0);

    await storage.put('incoming/three.mp4', Buffer.from('third video'));
    expect(await poller(seen).pollOnce()).toBe(1);
    expect(seen.map((o) => o.key)).toEqual(['incoming/a b+c%d é.mp4', 'incoming/two.mp4', 'incoming/three.mp4']);

    const markers: string[] = [];
    for await (const marker of storage.list('state/queued/')) markers.push(marker.key);
    expect(markers.sort()).toEqual(seen.map((o) => `state/queued/${o.dedupeKey}`).sort());
  });

  it('queues an object again when its bytes change', async () => {
    await storage.put('incoming/v.mp4', Buffer.from('version 1'));
    const seen: PolledObject[] = [];
    expect(await poller(seen).pollOnce()).toBe(1);

    await storage.put('incoming/v.mp4', Buffer.from('version 2'));
    expect(await poller(seen).pollOnce()).toBe(1);
    expect(seen[0]!.eTag).not.toBe(seen[1]!.eTag);
  });

  it('retries an object whose hand-off failed on the next poll', async () => {
    await storage.put('incoming/flaky.mp4', Buffer.from('video'));
    const seen: PolledObject[] = [];
    const failing = poller(seen, async () => {
      throw new Error('broker unavailable');
    });
    expect(await failing.pollOnce()).toBe(0);

    expect(await poller(seen).pollOnce()).toBe(1);
    expect(seen.map((o) => o.key)).toEqual(['incoming/flaky.mp4']);
  });

  it('polls on an interval until stopped', async () => {
    const seen: PolledObject[] = [];
    const running = poller(seen);
    running.start(20);
    await storage.put('incoming/late.mp4', Buffer.from('late video'));
    for (let i = 0; i < 200 && seen.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await running.stop();
    await running.stop();
    expect(seen.map((o) => o.key)).toEqual(['incoming/late.mp4']);
  });
});
