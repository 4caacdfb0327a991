/**
 * Runs the built `deepsift` command (bin/deepsift.js → dist/) as a user would, with the
 * weights read from the shared mirror and a cache shared by the test run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, sharedDir } from './video-fixtures';

export const REPO_ROOT = repoRoot();

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for the command: the mirror in ../shared/weights and a reusable cache. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DEEPSIFT_WEIGHTS_MIRROR: process.env.DEEPSIFT_WEIGHTS_MIRROR ?? path.join(sharedDir(), 'weights'),
    DEEPSIFT_CACHE_DIR: process.env.DEEPSIFT_CACHE_DIR ?? path.join(os.tmpdir(), 'deepsift-test-cache'),
    ...extra,
  };
}

/** Runs `deepsift ...args`; resolves when it exits. */
export function runCli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const bin = path.join(REPO_ROOT, 'bin', 'deepsift.js');
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before the CLI tests');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: cliEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
