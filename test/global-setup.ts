/**
 * Jest global set-up: names this test run (its broker namespaces are `test-r<pid>-…`, see
 * test/test-namespaces.ts) and removes namespaces that crashed runs left on the broker;
 * makes sure the test data is there before any test runs, and points `DEEPSIFT_SHARED_DIR`
 * at it for every test worker (see test/test-data.ts). A weights mirror that does not exist
 * (the README's `../shared/weights` in a clone without `../shared`) is replaced by the
 * verified weight files of the test data.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { prepareSharedDir } from './test-data';
import { deleteTestNamespaces } from './test-namespaces';
import { repoRoot } from './video-fixtures';

export default async function globalSetup(): Promise<void> {
  process.env.DEEPSIFT_TEST_RUN = `r${process.pid}`;
  try {
    const deleted = deleteTestNamespaces();
    if (deleted > 0) console.log(`Removed ${deleted} queue(s) left on the broker by earlier test runs.`);
  } catch (error) {
    console.warn(`Could not look for leftover test queues: ${(error as Error).message}`);
  }
  const shared = await prepareSharedDir(repoRoot());
  process.env.DEEPSIFT_SHARED_DIR = shared;
  const mirror = process.env.DEEPSIFT_WEIGHTS_MIRROR;
  if (mirror === undefined || mirror === '' || !existsSync(mirror)) {
    process.env.DEEPSIFT_WEIGHTS_MIRROR = path.join(shared, 'weights');
  }
}
