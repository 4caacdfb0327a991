/** `deepsift weights fetch|list|show|verify`. */
import Table from 'cli-table3';
import { resolveConfig } from '../common';
import { fetchModels, listModels, showModel, verifyModels, type ModelStatus, type WeightsProgressEvent } from '../weights';
import { EXIT } from './exit-codes';
import { weightsOptions } from './pipeline-models';

export async function runWeightsFetch(names: string[]): Promise<number> {
  const options = {
    ...weightsOptions(resolveConfig(process.env, {})),
    onProgress: (event: WeightsProgressEvent) => {
      if (event.type === 'download-progress') return;
      const detail = 'url' in event ? event.url : 'source' in event ? event.source : 'path' in event ? event.path : '';
      process.stderr.write(`${event.model}: ${event.type}${'file' in event ? ` ${event.file}` : ''} ${detail}\n`);
    },
  };
  const models = await fetchModels(names.length === 0 ? 'all' : names, options);
  for (const model of models) process.stdout.write(`${model.manifest.name}\t${model.sha256}\t${model.onnxPath}\n`);
  return EXIT.ok;
}

/** `deepsift weights list`: one table row per model (name, kind, state, licence), or JSON. */
export async function runWeightsList(json: boolean): Promise<number> {
  const models = await listModels(weightsOptions(resolveConfig(process.env, {})));
  if (json) {
    process.stdout.write(JSON.stringify(models, null, 2) + '\n');
    return EXIT.ok;
  }
  const table = new Table({ head: ['name', 'kind', 'state', 'licence'], style: { head: [], border: [], compact: true } });
  for (const m of models) table.push([m.name, m.kind, cacheState(m), m.license]);
  process.stdout.write(`${table.toString()}\n`);
  return EXIT.ok;
}

/** `deepsift weights show NAME`: the model's full card, its files and their cache state. */
export async function runWeightsShow(name: string, json: boolean): Promise<number> {
  const { manifest, status } = await showModel(name, weightsOptions(resolveConfig(process.env, {})));
  if (json) {
    process.stdout.write(JSON.stringify({ ...manifest, cache: status }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [
    `${manifest.name} (${manifest.kind})`,
    manifest.description,
    '',
    `state:         ${cacheState(status)}`,
    `licence:       ${manifest.card.license}`,
    `paper:         ${manifest.card.paper}`,
    `training data: ${manifest.card.trainingData}`,
    `threshold:     ${manifest.threshold}`,
    `input:         ${'kind' in manifest.input ? `${manifest.input.kind}, ${manifest.input.blockFrames} frames per block (${manifest.input.coordinates})` : `${manifest.input.width}×${manifest.input.height} ${manifest.input.layout} ${manifest.input.channelOrder}`}`,
    ...(manifest.onnxRuntime?.graphOptimizationLevel ? [`graph opt.:    ${manifest.onnxRuntime.graphOptimizationLevel} (ONNX Runtime; default all)`] : []),
    'limits:',
    ...manifest.card.limits.map((limit) => `  - ${limit}`),
    'files:',
    ...status.files.map((f) => `  ${f.file}  ${f.state}  ${f.path}`),
    ...manifest.files.map((f) => `  upstream ${f.name}: ${f.url} (sha256 ${f.sha256})`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

function cacheState(m: ModelStatus): string {
  return m.cached ? (m.verified ? 'cached, verified' : 'cached, NOT verified') : 'not cached';
}

export async function runWeightsVerify(names: string[]): Promise<number> {
  const results = await verifyModels({ ...weightsOptions(resolveConfig(process.env, {})), names: names.length > 0 ? names : undefined });
  let corrupt = 0;
  for (const r of results) {
    process.stdout.write(`${r.name.padEnd(20)} ${r.status}${r.problems.length > 0 ? `: ${r.problems.join('; ')}` : ''}\n`);
    if (r.status === 'corrupt') corrupt++;
  }
  return corrupt > 0 ? EXIT.infrastructure : EXIT.ok;
}
