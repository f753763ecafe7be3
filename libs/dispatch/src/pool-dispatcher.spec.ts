import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import { Logger } from '@nestjs/common';
import { BackboneUnavailableError, REPLY_FIELD, decodeDispatchEntry, encodeReply, type DispatchReply, type DispatchRequest } from '@falaj/contracts';
import { PoolDispatcher, replyMismatch } from './pool-dispatcher';

/**
 * In-memory fakes: the command connection records what XADD sent and what XDEL deleted; the
 * reader's blocking XREAD hands over the entries the test appends as a worker would.
 */
function dispatcherWithFakes() {
  const sent: DispatchRequest[] = [];
  const deleted: string[] = [];
  let opened = 0;
  // EventEmitters: the dispatcher follows the connections' close and ready.
  const redis = Object.assign(new EventEmitter(), {
    defineCommand: () => undefined,
    // The budget's enqueue script: KEYS (stream, counter), ARGV (max entries, max bytes, fields).
    poolStreamEnqueue: async (...args: (string | number | Buffer)[]) => {
      const fields = args.slice(4).map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(String(f))));
      sent.push(decodeDispatchEntry(fields));
      return '1-0';
    },
    // Only the reply stream's opening (XGROUP CREATE ... MKSTREAM).
    xgroup: async () => {
      opened++;
      return 'OK';
    },
    // 0: the reply stream is gone (a Redis that restarted empty).
    pexpire: async () => (opened > 1 ? 1 : 0),
    del: async () => 1,
  }) as unknown as Redis;
  let queued: [Buffer, Buffer[]][] = [];
  let wake: (() => void) | undefined;
  let seq = 0;
  const read = async () => {
    if (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const entries = queued;
    queued = [];
    return entries.length === 0 ? null : [[Buffer.from('stream'), entries]];
  };
  const reader = Object.assign(new EventEmitter(), {
    callBuffer: read,
    // The XDEL of what was read goes in one pipeline with the next XREAD.
    pipeline: () => {
      const chain = {
        xdel: (_key: string, ...ids: Buffer[]) => {
          deleted.push(...ids.map(String));
          return chain;
        },
        callBuffer: () => chain,
        exec: async () => [
          [null, 1],
          [null, await read()],
        ],
      };
      return chain;
    },
    disconnect: () => wake?.(),
  }) as unknown as Redis;
  const dispatcher = new PoolDispatcher(redis, reader, 'p', 'gw-1');
  const publish = (reply: DispatchReply) => {
    queued.push([Buffer.from(`${++seq}-0`), [Buffer.from(REPLY_FIELD), encodeReply(reply)]]);
    wake?.();
  };
  return { dispatcher, sent, publish, deleted, redis, reader, opened: () => opened };
}

const request = (tenantId: string, requestId = 'same-id') => ({
  requestId,
  tenantId,
  model: 'scorer',
  version: 2,
  deadline: Date.now() + 10_000,
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [1], data: Buffer.from(new Float32Array([1]).buffer) }],
  outputs: [],
});

const replyTo = (entry: DispatchRequest, overrides: Partial<DispatchReply> = {}): DispatchReply =>
  ({
    ok: true,
    dispatchId: entry.dispatchId,
    requestId: entry.requestId,
    tenantId: entry.tenantId,
    model: entry.model,
    version: entry.version,
    workerId: 'w1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: Buffer.from(new Float32Array([entry.tenantId === 'acme' ? 1 : 2]).buffer) }],
    computeMs: 1,
    ...overrides,
  }) as DispatchReply;

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('replyMismatch', () => {
  const expected = { requestId: 'r', tenantId: 'acme', model: 'scorer', version: 2 };
  const reply = replyTo({ ...request('acme'), dispatchId: 'd', replyTo: 'gw' });

  it('accepts a reply for the tenant, model and version dispatched', () => {
    expect(replyMismatch(expected, reply)).toBeNull();
  });

  it('names what differs when the reply is for another tenant, model or version', () => {
    expect(replyMismatch(expected, { ...reply, tenantId: 'globex' })).toBe('tenant');
    expect(replyMismatch(expected, { ...reply, model: 'other' })).toBe('model');
    expect(replyMismatch(expected, { ...reply, version: 3 })).toBe('version');
  });

  it('ignores the client request id: two callers may share one', () => {
    expect(replyMismatch(expected, { ...reply, requestId: 'someone-else' })).toBeNull();
  });
});

describe(PoolDispatcher.name, () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  describe('dispatch', () => {
    it('sends a fresh dispatch id per call and keeps the client request id beside it', async () => {
      const { dispatcher, sent } = dispatcherWithFakes();
      await dispatcher.start();
      void dispatcher.dispatch('cpu.ae', request('acme'), 1000).catch(() => undefined);
      void dispatcher.dispatch('cpu.ae', request('globex'), 1000).catch(() => undefined);
      await tick();
      expect(sent).toHaveLength(2);
      expect(sent[0].dispatchId).toMatch(/^[0-9a-f-]{36}$/);
      expect(sent[0].dispatchId).not.toBe(sent[1].dispatchId);
      expect(sent.map((s) => s.requestId)).toEqual(['same-id', 'same-id']);
      expect(sent[0].replyTo).toBe('gw-1');
      await dispatcher.stop();
    });

    it('delivers each reply to its own dispatch when two tenants share a request id', async () => {
      const { dispatcher, sent, publish } = dispatcherWithFakes();
      await dispatcher.start();
      const acme = dispatcher.dispatch('cpu.ae', request('acme'), 1000);
      const globex = dispatcher.dispatch('cpu.ae', request('globex'), 1000);
      await tick();
      // Answered in the opposite order.
      publish(replyTo(sent[1]));
      publish(replyTo(sent[0]));
      await expect(acme).resolves.toMatchObject({ tenantId: 'acme', dispatchId: sent[0].dispatchId });
      await expect(globex).resolves.toMatchObject({ tenantId: 'globex', dispatchId: sent[1].dispatchId });
      await dispatcher.stop();
    });

    it('drops a reply naming its dispatch id but another tenant, model or version, and still delivers the right one', async () => {
      const { dispatcher, sent, publish } = dispatcherWithFakes();
      await dispatcher.start();
      let settled = false;
      const call = dispatcher.dispatch('cpu.ae', request('acme'), 1000).finally(() => (settled = true));
      await tick();
      publish(replyTo(sent[0], { tenantId: 'globex' }));
      publish(replyTo(sent[0], { model: 'other' }));
      publish(replyTo(sent[0], { version: 1 }));
      await tick();
      expect(settled).toBe(false);
      expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.objectContaining({ dispatchId: sent[0].dispatchId, mismatch: 'tenant' }), expect.any(String));
      publish(replyTo(sent[0]));
      await expect(call).resolves.toMatchObject({ ok: true, tenantId: 'acme', model: 'scorer', version: 2 });
      await dispatcher.stop();
    });

    it('deletes each reply entry once it is read', async () => {
      const { dispatcher, sent, publish, deleted } = dispatcherWithFakes();
      await dispatcher.start();
      const call = dispatcher.dispatch('cpu.ae', request('acme'), 1000);
      await tick();
      publish(replyTo(sent[0]));
      await expect(call).resolves.toMatchObject({ ok: true });
      await tick();
      expect(deleted).toEqual(['1-0']);
      // And each is deleted once: the next read deletes nothing more.
      const next = dispatcher.dispatch('cpu.ae', request('acme'), 1000);
      await tick();
      publish(replyTo(sent[1]));
      await expect(next).resolves.toMatchObject({ ok: true });
      await tick();
      expect(deleted).toEqual(['1-0', '2-0']);
      await dispatcher.stop();
    });

    it('times out when only mismatching replies came', async () => {
      const { dispatcher, sent, publish } = dispatcherWithFakes();
      await dispatcher.start();
      const call = dispatcher.dispatch('cpu.ae', request('acme'), 50);
      await tick();
      publish(replyTo(sent[0], { tenantId: 'globex' }));
      await expect(call).rejects.toThrow('no reply from pool cpu.ae within 50 ms');
      expect(dispatcher.inFlight).toBe(0);
      await dispatcher.stop();
    });
  });

  describe('a Redis connection lost', () => {
    it('fails every dispatch in flight at once with a retryable 503, long before the deadline', async () => {
      const { dispatcher, reader } = dispatcherWithFakes();
      await dispatcher.start();
      const started = Date.now();
      const calls = [dispatcher.dispatch('cpu.ae', request('acme', 'a'), 30_000), dispatcher.dispatch('cpu.ae', request('globex', 'b'), 30_000)];
      await tick();
      reader.emit('close');
      for (const call of calls) {
        const error = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BackboneUnavailableError);
        expect(error).toMatchObject({ status: 503, retryAfterSeconds: 1 });
      }
      expect(Date.now() - started).toBeLessThan(1000);
      expect(dispatcher.inFlight).toBe(0);
      await dispatcher.stop();
    });

    it('makes its reply stream again as soon as the connection is ready again', async () => {
      const { dispatcher, redis, opened } = dispatcherWithFakes();
      await dispatcher.start();
      expect(opened()).toBe(1);
      redis.emit('ready');
      await tick();
      await tick();
      expect(opened()).toBe(2);
      await dispatcher.stop();
    });

    it('fails what was in flight as retryable when Redis lost the reply stream without dropping the connection (a flush)', async () => {
      const { dispatcher, redis, opened } = dispatcherWithFakes();
      await dispatcher.start();
      const call = dispatcher.dispatch('cpu.ae', request('acme'), 30_000);
      await tick();
      redis.emit('ready'); // the refresh, at once: PEXPIRE answers 0
      await expect(call).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1, message: expect.stringContaining('lost the reply stream') });
      expect(opened()).toBe(2);
      await dispatcher.stop();
    });

    it('answers a send that Redis refused as a retryable 503', async () => {
      const { dispatcher, redis } = dispatcherWithFakes();
      await dispatcher.start();
      (redis as unknown as { poolStreamEnqueue: () => Promise<never> }).poolStreamEnqueue = () => Promise.reject(new Error('Connection is closed.'));
      await expect(dispatcher.dispatch('cpu.ae', request('acme'), 30_000)).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
      await dispatcher.stop();
    });
  });
});
