import { InvalidMessageError } from '../common';
import { crawlerJobUri, parseCrawlerJob } from './crawler-job';

const detectors = new Set(['meso4-df', 'mesoinception-df']);

describe('parseCrawlerJob', () => {
  it('accepts an S3 job and a URL job', () => {
    const s3 = parseCrawlerJob(JSON.stringify({ schemaVersion: 1, source: { s3: { bucket: 'videos', key: 'a b/é.mp4' } }, correlationId: 'crawl-7' }), detectors);
    expect(crawlerJobUri(s3)).toBe('s3://videos/a b/é.mp4');
    const url = parseCrawlerJob(JSON.stringify({ schemaVersion: 1, source: { url: 'https://example.org/v.mp4' }, detectors: ['meso4-df'], priority: 5 }), detectors);
    expect(crawlerJobUri(url)).toBe('https://example.org/v.mp4');
  });

  it.each([
    ['not JSON', '{oops', 'crawler job is not valid JSON'],
    ['no version', JSON.stringify({ source: { url: 'https://x/v.mp4' } }), "must have required property 'schemaVersion'"],
    ['another scheme', JSON.stringify({ schemaVersion: 1, source: { url: 'file:///etc/passwd' } }), 'must match pattern'],
    ['both sources', JSON.stringify({ schemaVersion: 1, source: { url: 'https://x', s3: { bucket: 'abc', key: 'k' } } }), 'must match exactly one schema'],
    ['unknown field', JSON.stringify({ schemaVersion: 1, source: { url: 'https://x' }, callback: 'http://evil' }), 'must NOT have additional properties'],
    ['priority 10', JSON.stringify({ schemaVersion: 1, source: { url: 'https://x' }, priority: 10 }), 'must be <= 9'],
    ['unknown detector', JSON.stringify({ schemaVersion: 1, source: { url: 'https://x' }, detectors: ['gpt-detector'] }), 'unknown detector(s) gpt-detector'],
  ])('rejects %s with the reason', (_name, body, reason) => {
    expect(() => parseCrawlerJob(body, detectors)).toThrow(InvalidMessageError);
    expect(() => parseCrawlerJob(body, detectors)).toThrow(reason);
  });
});
