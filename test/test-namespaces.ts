/**
 * Broker namespaces of test runs. Every namespace a test makes is `test-r<pid>-<id>`,
 * where <pid> is the jest run's (set by the global set-up), so that the global teardown
 * removes whatever a run left behind, even after failures, and a later run removes what a
 * crashed run (its process gone) left. RabbitMQ with Debian's 1,024 file handles stops
 * accepting connections at about 330 quorum queues: leftovers must not pile up.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/** The id of this jest run; the process id when run outside jest's global set-up. */
export function testRunId(): string {
  return process.env.DEEPSIFT_TEST_RUN ?? `r${process.pid}`;
}

/** A fresh namespace for one test's queues and exchanges. */
export function testNamespace(): string {
  return `test-${testRunId()}-${randomUUID().slice(0, 8)}`;
}

/** Names of the broker's queues or exchanges (`rabbitmqctl`, which answers even when AMQP does not). */
function listNames(what: 'list_queues' | 'list_exchanges'): string[] {
  const out = execFileSync('rabbitmqctl', ['-q', '--no-table-headers', what, 'name'], { encoding: 'utf8', timeout: 60_000 });
  return out.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** Whether a process is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the queues and exchanges of test namespaces: those of run `runId`, or with no
 * run given, those of runs whose process is gone. Returns how many queues it deleted.
 */
export function deleteTestNamespaces(runId?: string): number {
  const pattern = /^test-r(\d+)-[0-9a-f]{8}\./;
  const doomed = (name: string) => {
    const match = pattern.exec(name);
    if (!match) return false;
    return runId !== undefined ? name.startsWith(`test-${runId}-`) : !alive(Number(match[1]));
  };
  let deleted = 0;
  for (const queue of listNames('list_queues').filter(doomed)) {
    execFileSync('rabbitmqctl', ['-q', 'delete_queue', queue], { timeout: 60_000 });
    deleted++;
  }
  for (const exchange of listNames('list_exchanges').filter(doomed)) {
    execFileSync('rabbitmqctl', ['-q', 'eval', `rabbit_exchange:delete(rabbit_misc:r(<<"/">>, exchange, <<"${exchange}">>), false, <<"test-teardown">>).`], { timeout: 60_000 });
  }
  return deleted;
}
