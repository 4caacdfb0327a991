/** Jest global teardown: removes every namespace this run made, whether its tests passed or not. */
import { deleteTestNamespaces, testRunId } from './test-namespaces';

export default function globalTeardown(): void {
  try {
    const deleted = deleteTestNamespaces(testRunId());
    if (deleted > 0) console.log(`Removed ${deleted} queue(s) this test run left on the broker.`);
  } catch (error) {
    console.warn(`Could not remove this run's test queues: ${(error as Error).message}`);
  }
}
