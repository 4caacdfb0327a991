/**
 * `deepsift serve` as a user starts it, for the browser and distributed tests: the built
 * command in a child process, its URL read from what it prints, stopped with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { REPO_ROOT } from './cli-runner';
import { eventually } from './distributed-harness';

/** A running `deepsift serve`. */
export interface ServeProcess {
  child: ChildProcess;
  url: string;
  log(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `deepsift serve ...args --port 0` in `cwd` with `env`; resolves once it listens. */
export async function startServeProcess(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'deepsift.js'), 'serve', ...args, '--port', '0'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit') as Promise<[number | null]>;
    child.kill('SIGTERM');
    return (await exited)[0];
  };
  try {
    const url = await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`deepsift serve exited with ${child.exitCode}: ${log}`);
      return /listening on (http:\/\/\S+)/.exec(log)?.[1];
    }, 90_000, 'deepsift serve to listen');
    return { child, url, log: () => log, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
