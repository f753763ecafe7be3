import type { Producer, ProducerRecord } from 'kafkajs';
import { auditEventOf } from '@falaj/contracts';
import type { GatewayConfig } from '../gateway.config';
import { AuditSink } from './audit.sink';

describe(AuditSink.name, () => {
  describe('flush', () => {
    it('drops an event the schema refuses alone, and sends the others of its batch', async () => {
      const sent: ProducerRecord[] = [];
      const producer = { send: async (record: ProducerRecord) => void sent.push(record) } as unknown as Producer;
      const sink = new AuditSink(producer, { prefix: 'falaj' } as GatewayConfig);
      const facts = { requestId: 'r', tenantId: 'acme', subject: 's', model: '\u0000', version: null, pool: null, protocol: 'rest' as const, status: 404, error: null, latencyMs: 1 };
      sink.record(auditEventOf({ ...facts, requestId: 'good-1' }));
      sink.record(auditEventOf({ ...facts, requestId: 'bad', tenantId: 'ac\u0000me' }));
      sink.record(auditEventOf({ ...facts, requestId: 'good-2' }));
      await sink.onApplicationShutdown(); // this flush fails on the schema and keeps the good two
      expect(sent).toEqual([]);
      await sink.onApplicationShutdown(); // the next one sends them
      const values = sent.flatMap((r) => r.messages.map((m) => JSON.parse(String(m.value))));
      expect(values.map((v) => v.requestId)).toEqual(['good-1', 'good-2']);
      expect(values[0].model).toBe('\\u0000');
    });
  });
});
