/** Jest global set-up: names this run, and removes namespaces that crashed runs left on the broker. */
import { deleteTestNamespaces } from './test-namespaces';

export default function globalSetup(): void {
  process.env.DEEPSIFT_TEST_RUN = `r${process.pid}`;
  try {
    const deleted = deleteTestNamespaces();
    if (deleted > 0) console.log(`Removed ${deleted} queue(s) left on the broker by earlier test runs.`);
  } catch (error) {
    console.warn(`Could not look for leftover test queues: ${(error as Error).message}`);
  }
}
