import { startS3Server, testS3Storage, type TestS3Server } from '../test/s3-server';
import { objectKind, S3TrafficCounter } from './s3-traffic';

describe('S3 traffic by object kind', () => {
  let server: TestS3Server | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('names the work area by what follows the analysis, everything else by its top-level prefix', () => {
    expect(objectKind('work/ab12/0f-uuid/crops/256px-m200.webp')).toBe('work/…/crops/');
    expect(objectKind('work/ab12/0f-uuid/aggregator/scores/meso4-df.json')).toBe('work/…/aggregator/');
    expect(objectKind('work/ab12/0f-uuid/faces.published')).toBe('work/…/faces.published');
    expect(objectKind('incoming/clip.mp4')).toBe('incoming/');
    expect(objectKind('')).toBe('(bucket: listings)');
  });

  it('counts the requests the real S3 server answered while counting is on, with their body bytes', async () => {
    const counter = new S3TrafficCounter();
    server = await startS3Server(undefined, counter.onRequest);
    const bucket = testS3Storage(server);
    await bucket.put('incoming/before.mp4', Buffer.alloc(10));
    counter.counting = true;
    const pack = Buffer.alloc(300_000, 7);
    await bucket.put('work/v1/a1/crops/256px-m200.webp', pack);
    expect((await bucket.get('work/v1/a1/crops/256px-m200.webp')).equals(pack)).toBe(true);
    const listed: string[] = [];
    for await (const object of bucket.list('work/')) listed.push(object.key);
    await bucket.delete('work/v1/a1/crops/256px-m200.webp');
    // The server reports a request once it has answered it: wait for the last one to come through.
    for (let i = 0; i < 100 && !counter.result().some((l) => l.requests.DELETE); i += 1) await new Promise((r) => setTimeout(r, 20));
    counter.counting = false;

    const lines = counter.result();
    expect(listed).toEqual(['work/v1/a1/crops/256px-m200.webp']);
    expect(lines.map((l) => l.kind)).toEqual(['work/…/crops/', '(bucket: listings)']);
    expect(lines[0]).toEqual({ kind: 'work/…/crops/', requests: { PUT: 1, GET: 1, DELETE: 1 }, bytesIn: pack.length, bytesOut: pack.length });
    expect(lines[1]!.requests).toEqual({ LIST: 1 });
    expect(lines[1]!.bytesOut).toBeGreaterThan(0);
  });
});
