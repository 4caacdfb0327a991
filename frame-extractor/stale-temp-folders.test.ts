/**
 * A frame extractor killed mid-video leaves its copy of the video in a temporary folder
 * named after its process; the next frame extractor removes such folders when it starts,
 * and leaves those of running processes and of anything else alone.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  createSilentLogger,
  MemoryStorage,
  MemoryTransport,
  ownedTempPrefix,
  PipelineMetrics,
  pipelineQueues,
  writePrivateTempFile,
} from '../common';
import { FrameExtractorStage } from './frame-extractor-stage';
import { DEFAULT_VIDEO_LIMITS } from './video-limits';

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('FrameExtractorStage start', () => {
  let tmp: string;
  let transport: MemoryTransport;
  let sleeper: ReturnType<typeof spawn>;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'deepsift-stale-test-'));
    transport = new MemoryTransport();
    for (const spec of pipelineQueues(['meso4-df'])) await transport.declareQueue(spec);
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  });
  afterEach(async () => {
    sleeper.kill();
    await transport.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('removes the temporary folders of frame extractors that are gone, and only those', async () => {
    const gone = await deadPid();
    const folders = {
      killed: `deepsift-frame-extractor-${gone}-lq3b2c1a-Ab12Cd`,
      // This pid, in a restarted container: same pid, another start.
      earlierLife: `deepsift-frame-extractor-${process.pid}-0-Xy98Zw`,
      running: `deepsift-frame-extractor-${sleeper.pid}-lq3b2c1a-Qw34Er`,
      mine: path.basename(await mkdtemp(path.join(tmp, ownedTempPrefix('frame-extractor')))),
      otherKind: `deepsift-ingest-${gone}-lq3b2c1a-Ty56Ui`,
      unrelated: 'deepsift-AbCdEf',
    };
    for (const name of Object.values(folders)) {
      await mkdir(path.join(tmp, name), { recursive: true });
      await writeFile(path.join(tmp, name, 'copy.video'), 'bytes of a video');
    }

    const stage = new FrameExtractorStage(
      { transport, logger: createSilentLogger(), metrics: new PipelineMetrics(), work: new MemoryStorage() },
      { framesPerVideo: 4, allowFileSources: true, limits: DEFAULT_VIDEO_LIMITS, concurrency: 1, decoderThreads: 0, tempDir: tmp },
    );
    await stage.start();
    await stage.close();

    expect((await readdir(tmp)).sort()).toEqual([folders.running, folders.mine, folders.otherKind, folders.unrelated].sort());
  });

  it('names the folders of its copies after its own process', async () => {
    const file = await writePrivateTempFile(Readable.from([Buffer.from('video bytes')]), 1024, '.video', { dir: tmp, owner: 'frame-extractor' });
    try {
      expect(path.basename(path.dirname(file.path))).toMatch(new RegExp(`^deepsift-frame-extractor-${process.pid}-[0-9a-z]+-[A-Za-z0-9]{6}$`));
    } finally {
      await file.remove();
    }
  });
});
