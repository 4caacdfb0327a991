import { InvalidMessageError } from '../common';
import { dedupeKey, parseS3Event } from './s3-event';

/**
 * A record as MinIO publishes it over AMQP (MINIO_NOTIFY_AMQP_*): the key is escaped
 * with Go's url.QueryEscape (`/` → %2F, space → +, + → %2B), the top-level `Key` is not.
 */
function minioRecord(overrides: { eventName?: string; key?: string; eTag?: string; sequencer?: string; versionId?: string } = {}) {
  return {
    eventVersion: '2.0',
    eventSource: 'minio:s3',
    awsRegion: '',
    eventTime: '2024-05-14T09:21:07.431Z',
    eventName: overrides.eventName ?? 's3:ObjectCreated:Put',
    userIdentity: { principalId: 'minioadmin' },
    requestParameters: { principalId: 'minioadmin', region: '', sourceIPAddress: '172.18.0.1' },
    responseElements: {
      'x-amz-id-2': 'dd9025bab4ad464b049177c95eb6ebf374d3b3fd1af9251148b658df7ac2e3e8',
      'x-amz-request-id': '17CF3A1C2D1E5B7A',
      'x-minio-deployment-id': '8a3c2f0e-7d8b-4f6a-9e1b-2c4d6f8a0b1c',
      'x-minio-origin-endpoint': 'http://172.18.0.2:9000',
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'Config',
      bucket: { name: 'videos', ownerIdentity: { principalId: 'minioadmin' }, arn: 'arn:aws:s3:::videos' },
      object: {
        key: overrides.key ?? 'incoming%2Fa+b%2Bc%25d+%C3%A9.mp4',
        size: 5242880,
        eTag: overrides.eTag ?? '5d41402abc4b2a76b9719d911017c592',
        contentType: 'video/mp4',
        userMetadata: { 'content-type': 'video/mp4' },
        versionId: overrides.versionId ?? '',
        sequencer: overrides.sequencer ?? '17CF3A1C2D6B9E10',
      },
    },
    source: { host: '172.18.0.1', port: '', userAgent: 'MinIO (linux; amd64) minio-go/v7.0.70 mc/RELEASE.2024-05-09T17-04-24Z' },
  };
}

function minioMessage(...records: ReturnType<typeof minioRecord>[]): string {
  return JSON.stringify({ EventName: records[0]?.eventName ?? 's3:ObjectCreated:Put', Key: 'videos/incoming/a b+c%d é.mp4', Records: records });
}

describe('parseS3Event', () => {
  it('decodes a MinIO put event into one typed event, key exactly as uploaded', () => {
    expect(parseS3Event(Buffer.from(minioMessage(minioRecord())))).toEqual([
      {
        eventName: 's3:ObjectCreated:Put',
        eventTime: '2024-05-14T09:21:07.431Z',
        bucket: 'videos',
        key: 'incoming/a b+c%d é.mp4',
        sizeBytes: 5242880,
        eTag: '5d41402abc4b2a76b9719d911017c592',
        versionId: undefined,
        sequencer: '17CF3A1C2D6B9E10',
      },
    ]);
  });

  it('accepts AWS event names, quoted ETags and version ids', () => {
    const record = minioRecord({ eventName: 'ObjectCreated:CompleteMultipartUpload', eTag: '"9b2cf535f27731c974343645a3985328-3"', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
    const [event] = parseS3Event(minioMessage(record));
    expect(event).toMatchObject({ eTag: '9b2cf535f27731c974343645a3985328-3', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
  });

  it('gives no events for test events and ignores non-created records', () => {
    expect(parseS3Event(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-05-14T09:00:00.000Z', Bucket: 'videos' }))).toEqual([]);
    const removed = minioRecord({ eventName: 's3:ObjectRemoved:Delete' });
    const tagged = minioRecord({ eventName: 's3:ObjectCreated:PutTagging' });
    const put = minioRecord({ key: 'incoming%2Fkeep.mp4' });
    expect(parseS3Event(minioMessage(removed, tagged, put)).map((e) => e.key)).toEqual(['incoming/keep.mp4']);
  });

  it.each([
    ['not JSON', '{"Records": [', /not JSON/],
    ['not an object', '[1, 2]', /not a JSON object/],
    ['Records not an array', '{"Records": {}}', /Records is not an array/],
    ['no eventName', '{"Records": [{}]}', /Records\[0\]\.eventName/],
    ['no s3 block', '{"Records": [{"eventName": "s3:ObjectCreated:Put"}]}', /Records\[0\]\.s3 is missing/],
  ])('rejects a message that is %s with InvalidMessageError', (_name, body, reason) => {
    expect(() => parseS3Event(body)).toThrow(InvalidMessageError);
    expect(() => parseS3Event(body)).toThrow(reason);
  });

  it('names the bad field of a malformed created record', () => {
    const badSize = minioRecord();
    (badSize.s3.object as { size: unknown }).size = '5242880';
    expect(() => parseS3Event(minioMessage(minioRecord(), badSize))).toThrow('Records[1].s3.object.size');
    expect(() => parseS3Event(minioMessage(minioRecord({ key: 'incoming%2F%E0%A4%A.mp4' })))).toThrow(/not URL-encoded/);
    expect(() => parseS3Event(minioMessage(minioRecord({ eTag: '' })))).toThrow('s3.object.eTag is missing');
  });
});

describe('dedupeKey', () => {
  const [event] = parseS3Event(minioMessage(minioRecord()));

  it('maps a replayed event to the same key', () => {
    const [replayed] = parseS3Event(minioMessage(minioRecord()));
    expect(dedupeKey(replayed!)).toBe(dedupeKey(event!));
    expect(dedupeKey(event!)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('maps a late, older-sequencer event for the same bytes to the same key', () => {
    const [older] = parseS3Event(minioMessage(minioRecord({ sequencer: '17CF3A1C2D000001' })));
    expect(dedupeKey(older!)).toBe(dedupeKey(event!));
  });

  it('tells new bytes, versions, keys and buckets apart', () => {
    const keys = new Set([
      dedupeKey(event!),
      dedupeKey({ ...event!, eTag: '7215ee9c7d9dc229d2921a40e899ec5f' }),
      dedupeKey({ ...event!, versionId: 'v2' }),
      dedupeKey({ ...event!, key: 'incoming/other.mp4' }),
      dedupeKey({ ...event!, bucket: 'archive' }),
    ]);
    expect(keys.size).toBe(5);
  });

  it('ignores ETag quoting, so listings and events agree', () => {
    expect(dedupeKey({ ...event!, eTag: `"${event!.eTag}"` })).toBe(dedupeKey(event!));
  });
});
