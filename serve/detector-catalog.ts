/** The deepfake detectors a server offers, from the model manifests' cards. */
import { type ImageModelManifest, loadManifests } from '../weights';

/** One detector as `GET /api/v1/detectors` lists it. */
export interface DetectorInfo {
  name: string;
  description: string;
  input: { width: number; height: number; layout: string; channelOrder: string };
  threshold: number;
  license: string;
  trainingData: string;
  paper: string;
  limits: string[];
  available: boolean;
  default: boolean;
}

/** Every deepfake detector manifest, marked available (loaded or served by the deployment) and default. */
export async function loadDetectorCatalog(available: readonly string[], defaults: readonly string[]): Promise<DetectorInfo[]> {
  const manifests = await loadManifests();
  return [...manifests.values()]
    .filter((m): m is ImageModelManifest => m.kind === 'deepfake-detector')
    .map((m) => ({
      name: m.name,
      description: m.description,
      input: { width: m.input.width, height: m.input.height, layout: m.input.layout, channelOrder: m.input.channelOrder },
      threshold: m.threshold,
      license: m.card.license,
      trainingData: m.card.trainingData,
      paper: m.card.paper,
      limits: m.card.limits,
      available: available.includes(m.name),
      default: defaults.includes(m.name),
    }))
    .sort((a, b) => Number(b.available) - Number(a.available) || a.name.localeCompare(b.name));
}
