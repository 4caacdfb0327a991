import { executionPaths } from './execution-paths';

describe('executionPaths', () => {
  it('reads from the scan\'s log which provider each model and the decoding ran on', () => {
    const log = [
      '{"executionProvider":"cpu","level":"info","message":"Detector loaded.","model":"meso4-df","skipped":["cuda: not installed"]}',
      '{"executionProvider":"cuda","framesPerRun":8,"level":"info","message":"Face detector loaded.","model":"ultraface-rfb-640"}',
      'not json',
      '{"level":"info","message":"Decoding path chosen.","path":"cuda","reason":"GPU: -hwaccel cuda (NVDEC)","stage":"frame-extractor"}',
    ].join('\n');
    expect(executionPaths(log)).toEqual(['meso4-df: cpu', 'ultraface-rfb-640: cuda', 'decoding: cuda (GPU: -hwaccel cuda (NVDEC))']);
  });
});
