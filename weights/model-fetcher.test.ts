import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { sha256File } from './file-hash';
import { ensureModel, fetchModels, sourceUrl } from './model-fetcher';
import type { ConverterSet, ModelConverter } from './model-converters';
import type { RetryPolicy } from '../common/retry-policy';
import type { WeightsOptions, WeightsProgressEvent } from './weights-options';
import { ChecksumError, DownloadError, UnknownModelError } from './weights-errors';

const sharedDir = process.env.DEEPSIFT_SHARED_DIR ?? path.resolve(__dirname, '..', '..', 'shared');
const mirrorDir = path.join(sharedDir, 'weights');
const BLAZEFACE_SHA256 = 'd388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51';
const FAST_RETRIES: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1, backoffCoefficient: 1, maxDelayMs: 1, jitterRatio: 0 };

/** How the test server answers a request for a mirror file; `hit` counts requests per path from 1. */
type Behaviour = (res: http.ServerResponse, body: Buffer, hit: number) => void;

function serve(res: http.ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
  res.end(body);
}
function dropMidBody(res: http.ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-length': body.length });
  res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
}

interface MirrorServer {
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serves the shared mirror on 127.0.0.1; `/redirect/<path>` answers 302 to `/<path>`. */
async function startMirrorServer(behaviour: Behaviour = serve): Promise<MirrorServer> {
  const requests: string[] = [];
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    requests.push(url);
    if (url.startsWith('/redirect/')) {
      res.writeHead(302, { location: url.slice('/redirect'.length) }).end();
      return;
    }
    const file = path.join(mirrorDir, path.normalize(url));
    if (!file.startsWith(mirrorDir) || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const hit = (hits.get(url) ?? 0) + 1;
    hits.set(url, hit);
    behaviour(res, fs.readFileSync(file), hit);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let cacheDir: string;
let server: MirrorServer | undefined;

beforeEach(() => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepsift-cache-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

/** Options that ignore the developer's environment. */
function options(extra: WeightsOptions): WeightsOptions {
  return { env: {}, cacheDir, mirrorDir: null, retryPolicy: FAST_RETRIES, ...extra };
}

function modelFolder(model: string): string[] {
  const folder = path.join(cacheDir, model);
  return fs.existsSync(folder) ? fs.readdirSync(folder) : [];
}

describe('ensureModel over HTTP', () => {
  it('downloads into the cache, following a redirect, and verifies the file', async () => {
    server = await startMirrorServer();
    const events: WeightsProgressEvent[] = [];
    const ensured = await ensureModel('blazeface-front-128', options({ baseUrl: `${server.baseUrl}/redirect`, onProgress: (e) => events.push(e) }));

    expect(ensured.onnxPath).toBe(path.join(cacheDir, 'blazeface-front-128', 'face_detection_front_128x128_barracuda.onnx'));
    expect(ensured.sha256).toBe(BLAZEFACE_SHA256);
    expect(await sha256File(ensured.onnxPath)).toBe(BLAZEFACE_SHA256);
    expect(server.requests).toEqual(['/redirect/blazeface/face_detection_front_128x128_barracuda.onnx', '/blazeface/face_detection_front_128x128_barracuda.onnx']);
    expect(modelFolder('blazeface-front-128')).toEqual(['face_detection_front_128x128_barracuda.onnx']);
    expect(events.at(-1)).toMatchObject({ type: 'download-progress', receivedBytes: 442005, totalBytes: 442005 });

    // A second call finds the verified file and makes no request.
    await ensureModel('blazeface-front-128', options({ baseUrl: server.baseUrl }));
    expect(server.requests).toHaveLength(2);
  });

  it('refuses wrong bytes with a ChecksumError and leaves nothing in the cache', async () => {
    server = await startMirrorServer((res, body) => serve(res, Buffer.concat([body.subarray(0, -1), Buffer.from([body.at(-1)! ^ 0xff])])));
    const attempt = ensureModel('blazeface-front-128', options({ baseUrl: server.baseUrl }));

    await expect(attempt).rejects.toThrow(ChecksumError);
    const error = (await attempt.catch((err: unknown) => err)) as ChecksumError;
    expect(error.expected).toBe(BLAZEFACE_SHA256);
    expect(error.actual).toMatch(/^[0-9a-f]{64}$/);
    expect(error.actual).not.toBe(BLAZEFACE_SHA256);
    expect(error.source).toBe(`${server.baseUrl}/blazeface/face_detection_front_128x128_barracuda.onnx`);
    expect(modelFolder('blazeface-front-128')).toEqual([]);
  });

  it('retries a connection dropped mid-body and then succeeds', async () => {
    server = await startMirrorServer((res, body, hit) => (hit === 1 ? dropMidBody(res, body) : serve(res, body)));
    const retries: WeightsProgressEvent[] = [];
    const ensured = await ensureModel(
      'blazeface-front-128',
      options({ baseUrl: server.baseUrl, onProgress: (e) => e.type === 'download-retry' && retries.push(e) }),
    );

    expect(await sha256File(ensured.onnxPath)).toBe(BLAZEFACE_SHA256);
    expect(server.requests).toHaveLength(2);
    expect(retries).toEqual([expect.objectContaining({ type: 'download-retry', attempt: 1 })]);
    expect(modelFolder('blazeface-front-128')).toEqual(['face_detection_front_128x128_barracuda.onnx']);
  });

  it('gives up with a clear error when the connection always drops', async () => {
    server = await startMirrorServer(dropMidBody);
    const attempt = ensureModel('blazeface-front-128', options({ baseUrl: server.baseUrl }));

    await expect(attempt).rejects.toThrow(DownloadError);
    await expect(attempt).rejects.toThrow(/face_detection_front_128x128_barracuda\.onnx failed: connection failed \(terminated: other side closed.*\) \(gave up after 3 attempts\)/);
    expect(((await attempt.catch((err: unknown) => err)) as DownloadError).attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(modelFolder('blazeface-front-128')).toEqual([]);
  });

  it('abandons a stalled response after the fetch timeout', async () => {
    server = await startMirrorServer((res, body) => res.writeHead(200, { 'content-length': body.length }).flushHeaders());
    const attempt = ensureModel('blazeface-front-128', options({ baseUrl: server.baseUrl, fetchTimeoutMs: 100 }));

    await expect(attempt).rejects.toMatchObject({ name: 'DownloadError', reason: 'timeout', attempts: 3 });
  });

  it('does not retry a 404', async () => {
    server = await startMirrorServer();
    const attempt = ensureModel('blazeface-front-128', options({ baseUrl: `${server.baseUrl}/missing` }));

    await expect(attempt).rejects.toMatchObject({ name: 'DownloadError', reason: 'http-status', status: 404, attempts: 1 });
  });

  it('cuts off a body larger than the manifest size', async () => {
    server = await startMirrorServer((res, body) => {
      res.writeHead(200);
      res.end(Buffer.concat([body, Buffer.alloc(10)]));
    });
    const attempt = ensureModel('blazeface-front-128', options({ baseUrl: server.baseUrl }));

    await expect(attempt).rejects.toMatchObject({ name: 'DownloadError', reason: 'too-large', attempts: 1 });
    expect(modelFolder('blazeface-front-128')).toEqual([]);
  });
});

describe('ensureModel from the mirror', () => {
  it('copies from the mirror without touching the network', async () => {
    server = await startMirrorServer();
    const ensured = await ensureModel('blazeface-front-128', options({ mirrorDir, baseUrl: server.baseUrl }));

    expect(await sha256File(ensured.onnxPath)).toBe(ensured.manifest.files[0]?.sha256);
    expect(server.requests).toEqual([]);
  });

  it('refuses a corrupted mirror file with a ChecksumError naming it', async () => {
    const badMirror = fs.mkdtempSync(path.join(os.tmpdir(), 'deepsift-mirror-'));
    try {
      fs.mkdirSync(path.join(badMirror, 'blazeface'));
      fs.writeFileSync(path.join(badMirror, 'blazeface', 'face_detection_front_128x128_barracuda.onnx'), 'not a model');
      const attempt = ensureModel('blazeface-front-128', options({ mirrorDir: badMirror }));

      await expect(attempt).rejects.toMatchObject({
        name: 'ChecksumError',
        source: path.join(badMirror, 'blazeface', 'face_detection_front_128x128_barracuda.onnx'),
        expected: BLAZEFACE_SHA256,
      });
      expect(modelFolder('blazeface-front-128')).toEqual([]);
    } finally {
      fs.rmSync(badMirror, { recursive: true, force: true });
    }
  });

  it('replaces a corrupted cached file', async () => {
    const ensured = await ensureModel('blazeface-front-128', options({ mirrorDir }));
    fs.writeFileSync(ensured.onnxPath, 'not a model');
    const again = await ensureModel('blazeface-front-128', options({ mirrorDir }));
    expect(await sha256File(again.onnxPath)).toBe(again.sha256);
  });
});

describe('conversion', () => {
  function fakeConverter(version: string, calls: string[]): ConverterSet {
    const converter: ModelConverter = {
      version,
      async convert(sources, spec, model) {
        calls.push(model);
        return Buffer.from(`onnx of ${'architecture' in spec ? spec.architecture : spec.name} from ${sources[0]?.length} bytes, v${version}`);
      },
    };
    return { 'mesonet-keras-h5': converter, 'lrnet-pytorch': converter, 'faceapi-tfjs-landmarks': converter, 'onnx-initializers-as-constants': converter };
  }

  it('converts once, records the sources, and redoes a stale conversion', async () => {
    const calls: string[] = [];
    const first = await ensureModel('meso4-df', options({ mirrorDir, converters: fakeConverter('1', calls) }));
    expect(first.onnxPath).toBe(path.join(cacheDir, 'meso4-df', 'meso4-df.onnx'));
    expect(fs.readFileSync(first.onnxPath, 'utf8')).toBe('onnx of meso4 from 156128 bytes, v1');
    const record = JSON.parse(fs.readFileSync(`${first.onnxPath}.json`, 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({
      converter: 'mesonet-keras-h5',
      architecture: 'meso4',
      converterVersion: '1',
      sources: [{ name: 'Meso4_DF.h5', sha256: first.manifest.files[0]?.sha256 }],
      onnxSha256: first.sha256,
    });

    await ensureModel('meso4-df', options({ mirrorDir, converters: fakeConverter('1', calls) }));
    expect(calls).toEqual(['meso4-df']);

    const upgraded = await ensureModel('meso4-df', options({ mirrorDir, converters: fakeConverter('2', calls) }));
    expect(calls).toEqual(['meso4-df', 'meso4-df']);
    expect(fs.readFileSync(upgraded.onnxPath, 'utf8')).toMatch(/v2$/);
  });

  it('fetches several models and rejects unknown names before fetching anything', async () => {
    const calls: string[] = [];
    await expect(fetchModels(['meso4-f2f', 'meso9'], options({ mirrorDir, converters: fakeConverter('1', calls) }))).rejects.toThrow(
      UnknownModelError,
    );
    expect(fs.readdirSync(cacheDir)).toEqual([]);

    const ensured = await fetchModels('all', options({ mirrorDir, converters: fakeConverter('1', calls) }));
    expect(ensured.map((model) => model.manifest.name)).toHaveLength(12);
    expect(calls.sort()).toEqual(['faceapi-landmark68', 'lrnet-dfo', 'lrnet-ffpp', 'meso4-df', 'meso4-f2f', 'mesoinception-df', 'mesoinception-f2f', 'ultraface-rfb-320', 'ultraface-rfb-640']);
  });

  it('converts a real MesoNet file into a graph ONNX Runtime loads and that tells a deepfake face from a real one', async () => {
    const ensured = await ensureModel('mesoinception-df', options({ mirrorDir }));
    if (ensured.manifest.kind !== 'deepfake-detector') throw new Error('mesoinception-df must be a deepfake detector');
    const manifest = ensured.manifest;
    const session = await ort.InferenceSession.create(ensured.onnxPath);
    try {
      expect(session.inputNames).toEqual([manifest.input.name]);
      expect(session.outputNames).toEqual([manifest.output?.name]);
      const { width, height } = manifest.input;
      const face = async (file: string) => {
        const rgb = await sharp(path.join(sharedDir, 'faces', file)).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer();
        return Float32Array.from(rgb, (value) => value * manifest.input.scale);
      };
      const pReal = async (file: string) => {
        const outputs = await session.run({ [ensured.manifest.input.name]: new ort.Tensor('float32', await face(file), [1, height, width, 3]) });
        return (outputs[ensured.manifest.output!.name]!.data as Float32Array)[0]!;
      };
      expect(await pReal('df/df00204.jpg')).toBeLessThan(0.5);
      expect(await pReal('real/real00240.jpg')).toBeGreaterThan(0.5);
    } finally {
      await session.release();
    }
  });

  it('converts the two LRNet checkpoints into one graph that takes landmark blocks', async () => {
    const ensured = await ensureModel('lrnet-ffpp', options({ mirrorDir }));
    expect(ensured.onnxPath).toBe(path.join(cacheDir, 'lrnet-ffpp', 'lrnet-ffpp.onnx'));
    const session = await ort.InferenceSession.create(ensured.onnxPath);
    expect(session.inputNames).toEqual(['landmarks']);
    expect(session.outputNames).toEqual(['p_fake', 'p_fake_g1', 'p_fake_g2']);
    const record = JSON.parse(fs.readFileSync(`${ensured.onnxPath}.json`, 'utf8')) as { sources: Array<{ name: string }> };
    expect(record.sources.map((source) => source.name)).toEqual(['g1.pth', 'g2.pth']);
  });
});

describe('sourceUrl', () => {
  it('uses the upstream URL unless a base URL maps the mirror path', () => {
    const file = { name: 'a b.h5', url: 'https://example.test/a%20b.h5', sha256: '0'.repeat(64), mirrorPath: 'mesonet/a b.h5' };
    expect(sourceUrl(file, undefined)).toBe(file.url);
    expect(sourceUrl(file, 'http://127.0.0.1:8080/w/')).toBe('http://127.0.0.1:8080/w/mesonet/a%20b.h5');
  });
});
