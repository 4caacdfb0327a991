/**
 * The data the tests read — face crops, the sample video, the labelled evaluation videos
 * and the model weights — laid out as `../shared` is (see its README), so that a fresh
 * clone anywhere passes its tests. Each file is fetched by the weights fetcher
 * (`ensureVerifiedFile`) from its upstream URL, verified against its SHA-256 and cached;
 * `DEEPSIFT_TEST_DATA_MIRROR` (default `../shared` when it exists) is the offline path, and
 * `DEEPSIFT_TEST_DATA_BASE_URL` an HTTP server with the same layout.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureVerifiedFile, defaultCacheDir, type ManifestFile, type ModelManifest, type WeightsProgressEvent } from '../weights';

/** One file of the test data: where it lies under the shared layout, where it comes from. */
export interface TestDataFile {
  /** Path under the shared folder, e.g. `faces/df/df00204.jpg`. */
  path: string;
  url: string;
  sha256: string;
}

const MESONET_TEST_IMAGES = 'https://github.com/DariusAf/MesoNet/raw/2144d56a30e48cdcac1976ff13a1c5cdc86376c6/test_images';
const FAKEFINDER = 'https://github.com/IQTLabs/FakeFinder/raw/780839f2a4b4b6663637e67608eac34663eb1954';
const LRNET = 'https://github.com/frederickszk/LRNet/raw/9a172a0ccebea85556ca2b385645342806e24bc8';
const DEFAKEHOP = 'https://github.com/hongshuochen/DefakeHop/raw/941efb6a3d11b59bf0c4d56c95f75612a9f4da4e';

/** The labelled evaluation videos (`eval/labels.csv`): label and subset come from the datasets' folders. */
export const EVAL_VIDEOS: ReadonlyArray<TestDataFile & { label: 'REAL' | 'FAKE'; subset: string }> = [
  { path: 'eval/real/lrnet_dfo_real.mp4', url: `${LRNET}/demo/input/dfo_real.mp4`, sha256: 'd9bb8cf9c530e1eb4dd682f8adec9414aa80c98a0c27aafa5aa8f7f5917f52a4', label: 'REAL', subset: 'deeperforensics' },
  { path: 'eval/real/lrnet_ff_real.mp4', url: `${LRNET}/demo/input/ff_real.mp4`, sha256: 'ce727ee08155b6e84796675f7d7eb6e38807c7bdaa62adcdcabf87225283af16', label: 'REAL', subset: 'ffpp' },
  { path: 'eval/real/uadfv_0000.mp4', url: `${DEFAKEHOP}/train/real/0000.mp4`, sha256: '591126359f6a53d50778ebe84ea8a74af2ff29bf52456f7ea214125dd46f9c67', label: 'REAL', subset: 'uadfv' },
  { path: 'eval/real/uadfv_0001.mp4', url: `${DEFAKEHOP}/train/real/0001.mp4`, sha256: 'b7af2d5c4f7a335df17149a62984905b6cf39638bc8e8ee36092114f5c26102a', label: 'REAL', subset: 'uadfv' },
  { path: 'eval/real/uadfv_0039.mp4', url: `${DEFAKEHOP}/test/real/0039.mp4`, sha256: 'e344be2c84e2721777898dc75e0fda6be088697afe009f68116fdbdbefb0ff05', label: 'REAL', subset: 'uadfv' },
  { path: 'eval/fake/lrnet_000_003.mp4', url: `${LRNET}/calibrator/example/000_003.mp4`, sha256: '6e83d0e0c51a0f7cdf2db48f796617db43148b3390011555dfa758f2b7ab811b', label: 'FAKE', subset: 'ffpp' },
  { path: 'eval/fake/lrnet_dfo_fake.mp4', url: `${LRNET}/demo/input/dfo_fake.mp4`, sha256: '03655257daf171f0d8aecbef3de12bbc362b536db713cdc51704c7fd692ccc15', label: 'FAKE', subset: 'deeperforensics' },
  { path: 'eval/fake/lrnet_ff_fake.mp4', url: `${LRNET}/demo/input/ff_fake.mp4`, sha256: 'e1f439175a8c8874f94ddd077e2d833c7bbf720b443f690986fee4cc5ceea815', label: 'FAKE', subset: 'ffpp' },
  { path: 'eval/fake/uadfv_0000_fake.mp4', url: `${DEFAKEHOP}/train/fake/0000_fake.mp4`, sha256: 'fb54990be5ca920f9d5b1eba542849eeea3c8f6ad7806071900d6f75386e3f73', label: 'FAKE', subset: 'uadfv' },
  { path: 'eval/fake/uadfv_0001_fake.mp4', url: `${DEFAKEHOP}/train/fake/0001_fake.mp4`, sha256: 'dbe1c28fafe22a1c660ba796907cbd4efb75fa480aa930b02c83321b3e0f9c72', label: 'FAKE', subset: 'uadfv' },
  { path: 'eval/fake/uadfv_0039_fake.mp4', url: `${DEFAKEHOP}/test/fake/0039_fake.mp4`, sha256: '038e42b1dad5e7760c5d32af2e99591dbe05337a0be28cb5c7666a9acbad19e5', label: 'FAKE', subset: 'uadfv' },
];

/** Face crops and the sample video. */
export const MEDIA: readonly TestDataFile[] = [
  { path: 'faces/df/df00204.jpg', url: `${MESONET_TEST_IMAGES}/df/df00204.jpg`, sha256: 'ab1e881cd875b295e0c33e46ca464bd34ab5bf8e7629e0d0621a84159020832d' },
  { path: 'faces/df/df01254.jpg', url: `${MESONET_TEST_IMAGES}/df/df01254.jpg`, sha256: '825cfdefc02c917df65cae3b91883d3fa0eb080cedc87e9619866a603543ce17' },
  { path: 'faces/real/real00240.jpg', url: `${MESONET_TEST_IMAGES}/real/real00240.jpg`, sha256: 'cde8c693fbc0dd5366e64013c571cfd5da7a2927eab2b204b2fb0af18e122644' },
  { path: 'faces/real/real00772.jpg', url: `${MESONET_TEST_IMAGES}/real/real00772.jpg`, sha256: '05ec7cf7d3df30b1c21c30128bf73dd6236d176a04dbf77af7560c7fd9435641' },
  {
    path: 'videos/interview_1080p.mp4',
    url: `${FAKEFINDER}/api/tests/upload_file_before_inference/test_folder/folder_test_4002.mp4`,
    sha256: '3fc7f243f9138b0f0c425606ad4276902ed070a5c4f09fe13d04618e5030037c',
  },
];

/** The upstream weight files of every model manifest, under `weights/<mirrorPath>`. */
export function weightFiles(modelsDir: string): TestDataFile[] {
  return readdirSync(modelsDir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => (JSON.parse(readFileSync(path.join(modelsDir, f), 'utf8')) as ModelManifest).files)
    // Built-in manifests name upstream files by URL and mirror path (users' own may use a local path).
    .flatMap((file) => (file.url !== undefined && file.mirrorPath !== undefined ? [{ path: `weights/${file.mirrorPath}`, url: file.url, sha256: file.sha256 }] : []));
}

/** Where the test data comes from and goes to. */
export interface TestDataOptions {
  /** Folder the files are installed into, in the shared layout. */
  targetDir: string;
  /** A folder with the shared layout to copy from (offline). */
  mirrorDir?: string;
  /** An HTTP(S) server with the shared layout, used instead of the upstream URLs. */
  baseUrl?: string;
  /** Which files; default all. */
  files?: readonly TestDataFile[];
  onProgress?: (event: WeightsProgressEvent) => void;
}

/** Upstream LRNet's landmarks of its four demo videos (`lrnet-landmarks/`), the reference for the LRNet port. */
export const LRNET_LANDMARKS: readonly TestDataFile[] = [
  { path: 'lrnet-landmarks/lrnet_dfo_fake.txt', url: `${LRNET}/demo/landmarks/dfo_fake.txt`, sha256: '840057cc50881b76d93c52597010148bd74ef7c1a53ff0ab1a516305a4ed7750' },
  { path: 'lrnet-landmarks/lrnet_dfo_real.txt', url: `${LRNET}/demo/landmarks/dfo_real.txt`, sha256: '8836f4ef3151efb800bdb5c97951c3b1e2464a4d7e035d8dcd90e6fc52e420c9' },
  { path: 'lrnet-landmarks/lrnet_ff_fake.txt', url: `${LRNET}/demo/landmarks/ff_fake.txt`, sha256: 'f5a25392406b3b631a2e56ac4b6009ea208c09933129290c6994371a5bca0f59' },
  { path: 'lrnet-landmarks/lrnet_ff_real.txt', url: `${LRNET}/demo/landmarks/ff_real.txt`, sha256: '0c04347b70f445ce73971a48588ffa1cb8f19deb866d5a0f33075100e7e00f59' },
];

/** Every test-data file. */
export function allTestData(modelsDir: string): TestDataFile[] {
  return [...MEDIA, ...EVAL_VIDEOS, ...LRNET_LANDMARKS, ...weightFiles(modelsDir)];
}

/**
 * Installs every file (a cache hit when it is there and verifies) and writes
 * `eval/labels.csv`; rejects with the fetcher's error (ChecksumError, DownloadError).
 */
export async function ensureTestData(options: TestDataOptions & { files: readonly TestDataFile[] }): Promise<string> {
  // A few at a time: the files are small, and a cold cache should not wait for each in turn.
  const queue = [...options.files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const manifestFile: ManifestFile = { name: path.posix.basename(file.path), url: file.url, sha256: file.sha256, mirrorPath: file.path };
      await ensureVerifiedFile(path.posix.dirname(file.path), manifestFile, {
        cacheDir: options.targetDir,
        mirrorDir: options.mirrorDir ?? null,
        baseUrl: options.baseUrl ?? null,
        onProgress: options.onProgress,
      });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  if (options.files.some((f) => f.path.startsWith('eval/'))) {
    const rows = EVAL_VIDEOS.map((v) => `${v.path.slice('eval/'.length)},${v.label},${v.subset}`);
    await writeFile(path.join(options.targetDir, 'eval', 'labels.csv'), ['path,label,subset', ...rows, ''].join('\n'));
  }
  return options.targetDir;
}

/**
 * The shared folder the tests read: `DEEPSIFT_SHARED_DIR` in place when set; else the test
 * data fetched into `<cache>/test-data` from `DEEPSIFT_TEST_DATA_MIRROR` (default
 * `../shared` when it exists), `DEEPSIFT_TEST_DATA_BASE_URL`, or the upstream URLs.
 */
export async function prepareSharedDir(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.DEEPSIFT_SHARED_DIR) return path.resolve(env.DEEPSIFT_SHARED_DIR);
  const siblingShared = path.resolve(repoRoot, '..', 'shared');
  const mirrorDir = env.DEEPSIFT_TEST_DATA_MIRROR || (existsSync(siblingShared) ? siblingShared : undefined);
  const targetDir = path.join(defaultCacheDir(env), 'test-data');
  return ensureTestData({
    targetDir,
    mirrorDir,
    baseUrl: env.DEEPSIFT_TEST_DATA_BASE_URL || undefined,
    files: allTestData(path.join(repoRoot, 'weights', 'models')),
    onProgress: (event) => {
      if (event.type === 'download-start') process.stderr.write(`test data: downloading ${event.url}\n`);
    },
  });
}
