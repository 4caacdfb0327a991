/** `deepsift weights fetch|list|verify`. */
import { resolveConfig } from '../common';
import { fetchModels, listModels, verifyModels, type WeightsProgressEvent } from '../weights';
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

export async function runWeightsList(json: boolean): Promise<number> {
  const models = await listModels(weightsOptions(resolveConfig(process.env, {})));
  if (json) {
    process.stdout.write(JSON.stringify(models, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const m of models) {
    const state = m.cached ? (m.verified ? 'cached, verified' : 'cached, NOT verified') : 'not cached';
    process.stdout.write(`${m.name.padEnd(20)} ${m.kind.padEnd(18)} ${state.padEnd(22)} ${m.description}\n`);
  }
  return EXIT.ok;
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
