/**
 * The registry of model manifests: the JSON files in `weights/models/`, read from the
 * package's source tree so the same files serve ts-jest (`weights/`) and compiled code
 * (`dist/weights/`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelManifest } from './manifest';
import { validateManifest } from './manifest-validator';
import { ManifestError, UnknownModelError } from './weights-errors';

/** The nearest folder at or above `start` that holds a package.json. */
export function packageRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json found at or above ${start}.`);
    dir = parent;
  }
}

/** `<package root>/weights/models`. */
export function defaultModelsDir(): string {
  return path.join(packageRoot(), 'weights', 'models');
}

/**
 * Reads and validates every `<name>.json` in `dir`, keyed by model name.
 * Throws `ManifestError` for a file that is not JSON, invalid, or named unlike its model.
 */
export async function loadManifests(dir: string = defaultModelsDir()): Promise<Map<string, ModelManifest>> {
  const entries = (await fs.promises.readdir(dir)).filter((entry) => entry.endsWith('.json')).sort();
  const manifests = new Map<string, ModelManifest>();
  for (const entry of entries) {
    const file = path.join(dir, entry);
    const manifest = validateManifest(parseJson(await fs.promises.readFile(file, 'utf8'), file), file);
    if (manifest.name !== path.basename(entry, '.json')) {
      throw new ManifestError(file, '/name', `"${manifest.name}" must match the file name "${entry}".`);
    }
    manifests.set(manifest.name, manifest);
  }
  return manifests;
}

/** The manifest called `name` from `dir`; throws `UnknownModelError` listing the known names. */
export async function getManifest(name: string, dir: string = defaultModelsDir()): Promise<ModelManifest> {
  return pickManifest(await loadManifests(dir), name);
}

/** The manifest called `name` from an already loaded registry. */
export function pickManifest(manifests: ReadonlyMap<string, ModelManifest>, name: string): ModelManifest {
  const manifest = manifests.get(name);
  if (manifest === undefined) throw new UnknownModelError(name, [...manifests.keys()]);
  return manifest;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ManifestError(file, '', `is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}
