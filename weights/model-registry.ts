/**
 * Every model deepsift knows: the built-in manifests (`weights/models/`) and users' own
 * detectors, from the folders of `DEEPSIFT_MODELS_DIR` / `--models-dir`. A user's manifest
 * describes an ONNX deepfake detector that needs no converter; its files are URLs or local
 * paths (relative to the manifest), each with its SHA-256. A user's model may not take a
 * built-in model's name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelManifest } from './manifest';
import { loadManifests } from './manifest-registry';
import { ManifestError } from './weights-errors';

/** Built-in and user manifests, keyed by name. */
export async function loadModelRegistry(options: { modelsDir: string; userModelsDirs: readonly string[] }): Promise<Map<string, ModelManifest>> {
  const registry = await loadManifests(options.modelsDir);
  const origin = new Map([...registry.keys()].map((name) => [name, path.join(options.modelsDir, `${name}.json`)]));
  for (const [name, manifest] of registry) checkBuiltIn(manifest, origin.get(name)!);
  for (const dir of options.userModelsDirs) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new ManifestError(dir, '', 'is not a folder (DEEPSIFT_MODELS_DIR / --models-dir).');
    }
    for (const [name, manifest] of await loadManifests(dir)) {
      const file = path.join(dir, `${name}.json`);
      const taken = origin.get(name);
      if (taken !== undefined) throw new ManifestError(file, '/name', `"${name}" is already the name of ${taken}.`);
      registry.set(name, checkUserManifest(manifest, dir, file));
      origin.set(name, file);
    }
  }
  return registry;
}

function checkBuiltIn(manifest: ModelManifest, file: string): void {
  manifest.files.forEach((entry, i) => {
    if (entry.url === undefined || entry.mirrorPath === undefined || entry.path !== undefined) {
      throw new ManifestError(file, `/files/${i}`, 'a built-in manifest gives url and mirrorPath for every file, and no local path.');
    }
  });
}

function checkUserManifest(manifest: ModelManifest, dir: string, file: string): ModelManifest {
  if (manifest.kind !== 'deepfake-detector') {
    throw new ManifestError(file, '/kind', 'must be "deepfake-detector": your own models join as deepfake detectors.');
  }
  if (manifest.converter !== undefined) {
    throw new ManifestError(file, '/converter', 'is not allowed here: your own models must be ONNX files that need no converter.');
  }
  const files = manifest.files.map((entry) => (entry.path === undefined ? entry : { ...entry, path: path.resolve(dir, entry.path) }));
  return { ...manifest, files };
}
