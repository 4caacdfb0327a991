/**
 * Temporary folders named after the process that owns them, so that a process killed
 * before it could clean up (SIGKILL, out of memory) leaves folders the next one removes:
 * `deepsift-<owner>-<pid>-<start>-XXXXXX`, where `<start>` tells a restarted process
 * that got the same pid (pid 1 in a restarted container) from the one that made them.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** This process's start, in base 36: with the pid it names one process, not one pid. */
const PROCESS_START = Math.floor(performance.timeOrigin).toString(36);

/** The name prefix (for `fs.mkdtemp`) of this process's temporary folders of kind `owner`. */
export function ownedTempPrefix(owner: string): string {
  assertOwner(owner);
  return `deepsift-${owner}-${process.pid}-${PROCESS_START}-`;
}

/**
 * Removes the folders of kind `owner` under `dir` whose process is gone: another pid
 * that no longer runs, or this pid in an earlier life. Folders of live processes, of
 * other kinds and anything else are left alone. Returns the paths removed.
 */
export async function removeStaleTempFolders(owner: string, dir: string): Promise<string[]> {
  assertOwner(owner);
  const pattern = new RegExp(`^deepsift-${owner}-(\\d+)-([0-9a-z]+)-[A-Za-z0-9]{6}$`);
  const removed: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const match = entry.isDirectory() ? pattern.exec(entry.name) : null;
    if (!match || isAlive(Number(match[1]), match[2]!)) continue;
    const folder = path.join(dir, entry.name);
    await rm(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

function isAlive(pid: number, start: string): boolean {
  if (pid === process.pid) return start === PROCESS_START;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function assertOwner(owner: string): void {
  if (!/^[a-z][a-z-]*[a-z]$/.test(owner)) throw new Error(`temporary folder owner "${owner}" must be lower-case words joined by dashes`);
}
