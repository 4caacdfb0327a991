/** deepsift's version, from package.json, as written into reports. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

function readVersion(): string {
  // Works from source (cli/) and from the build (dist/cli/).
  for (const up of ['..', path.join('..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(__dirname, up, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'deepsift' && pkg.version) return pkg.version;
    } catch {
      // Try the next candidate.
    }
  }
  return '0.0.0';
}

export const DEEPSIFT_VERSION = readVersion();
