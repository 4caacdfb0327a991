import type { MessageProperties, MessagePropertyHeaders, XDeath } from 'amqplib';
import { AMQP_HEADERS, copyOptions, deadLetterOf, deliveryCountOf } from './amqp-headers';
import { AmqpNames, retryTierFor } from './amqp-topology';

const names = new AmqpNames('ns');
const toTransportQueue = (q: string) => names.transportQueue(q);

function death(queue: string): Omit<XDeath, 'reason'> {
  return { count: 1, queue, exchange: '', 'routing-keys': [queue], time: { '!': 'timestamp', value: 1_700_000_000 } };
}

describe('deliveryCountOf', () => {
  it('is 1 on a first delivery and adds the broker redeliveries', () => {
    expect(deliveryCountOf(undefined, 'q')).toBe(1);
    expect(deliveryCountOf({ 'x-delivery-count': 0 }, 'q')).toBe(1);
    expect(deliveryCountOf({ 'x-delivery-count': 2 }, 'q')).toBe(3);
  });

  it('counts our attempt header only in the queue whose retry wrote it', () => {
    const headers = { [AMQP_HEADERS.attempt]: 3, [AMQP_HEADERS.attemptQueue]: 'q', 'x-delivery-count': 1 };
    expect(deliveryCountOf(headers, 'q')).toBe(4);
    expect(deliveryCountOf(headers, 'q.dead')).toBe(2);
  });
});

describe('deadLetterOf', () => {
  it('reads our reason and origin queue', () => {
    const headers = { [AMQP_HEADERS.reason]: 'RETRIES_EXHAUSTED: boom', [AMQP_HEADERS.queue]: 'q' };
    expect(deadLetterOf(headers, 5, toTransportQueue)).toEqual({ reason: 'RETRIES_EXHAUSTED: boom', queue: 'q' });
  });

  it("words the broker's delivery-limit death", () => {
    const headers: MessagePropertyHeaders = {
      'x-death': [
        // RabbitMQ 3.10 writes `delivery_limit`, a reason @types/amqplib does not list.
        { ...death('ns.q'), reason: 'delivery_limit' as XDeath['reason'] },
        { ...death('ns.retry.q.50'), reason: 'expired' },
      ],
    };
    expect(deadLetterOf(headers, 2, toTransportQueue)).toEqual({
      reason: 'DELIVERY_LIMIT: delivered 3 times without an acknowledgement',
      queue: 'q',
    });
  });

  it('finds nothing on a message that was never dead-lettered', () => {
    expect(deadLetterOf({ 'x-death': [{ ...death('ns.retry.q.50'), reason: 'expired' }] }, 5, toTransportQueue)).toBeUndefined();
    expect(deadLetterOf(undefined, 5, toTransportQueue)).toBeUndefined();
  });
});

describe('copyOptions', () => {
  it("keeps the producer's properties and headers, drops the broker's, stamps ours", () => {
    const original = {
      contentType: 'application/json',
      messageId: 'm1',
      correlationId: 'c1',
      type: 'video.job',
      timestamp: 1700000000,
      headers: { [AMQP_HEADERS.type]: 'video.job', 'x-delivery-count': 2, 'x-death': [], [AMQP_HEADERS.publishId]: 'p' },
    } as unknown as MessageProperties;
    const options = copyOptions(original, { attempt: { queue: 'q', count: 2 }, deadLetter: { reason: 'R', queue: 'q' } });
    expect(options).toMatchObject({ persistent: true, contentType: 'application/json', messageId: 'm1', correlationId: 'c1' });
    expect(options.headers).toEqual({
      [AMQP_HEADERS.type]: 'video.job',
      [AMQP_HEADERS.attempt]: 2,
      [AMQP_HEADERS.attemptQueue]: 'q',
      [AMQP_HEADERS.reason]: 'R',
      [AMQP_HEADERS.queue]: 'q',
    });
  });
});

describe('retryTierFor', () => {
  it('picks the shortest tier at least as long as the delay, else the longest', () => {
    expect(retryTierFor([200, 50], 10)).toBe(50);
    expect(retryTierFor([50, 200], 51)).toBe(200);
    expect(retryTierFor([50, 200], 5_000)).toBe(200);
  });
});

describe('AmqpNames', () => {
  it('prefixes every name with the namespace', () => {
    expect([names.pipelineExchange, names.deadExchange, names.queue('q.dead'), names.retryTier(50), names.requeueExchange]).toEqual([
      'ns.pipeline',
      'ns.dead',
      'ns.q.dead',
      'ns.retry.50',
      'ns.requeue',
    ]);
    expect(() => new AmqpNames('bad name')).toThrow('invalid AMQP namespace');
  });
});
