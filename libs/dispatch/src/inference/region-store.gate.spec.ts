import type Redis from 'ioredis';
import { RegionStoreGate } from './region-store.gate';

/** The gate's view from the hash's fields, as the registry writes them (RegionStoresMirror). */
function gateWith(fields: Record<string, string> | null): RegionStoreGate {
  const gate = new RegionStoreGate({} as Redis, 'falaj');
  if (fields) (gate as unknown as { apply(f: Record<string, string>): void }).apply(fields);
  return gate;
}

describe(RegionStoreGate.name, () => {
  it('accepts every region, on the shared audit topic, before the map is read or without one', () => {
    for (const gate of [gateWith(null), gateWith({ all: '1' })]) {
      expect(gate.accepts('ae')).toBe(true);
      expect(gate.accepts(undefined)).toBe(true);
      expect(gate.auditTopicOf('ae')).toBe('falaj.audit.v1');
    }
  });

  it('accepts only the regions with a store, each on its own audit topic', () => {
    const gate = gateWith({ 'region:ae': '1', 'region:eu': '1' });
    expect(gate.accepts('ae')).toBe(true);
    expect(gate.accepts('us')).toBe(false);
    // A call with no residency is audited as `unknown`, which needs a store of its own.
    expect(gate.accepts(undefined)).toBe(false);
    expect(gate.auditTopicOf('ae')).toBe('falaj.audit.region.ae.v1');
    expect(gate.auditTopicOf('eu')).toBe('falaj.audit.region.eu.v1');
    // A refused region's event goes where the registry sets it aside, never to a topic no one made.
    expect(gate.auditTopicOf('us')).toBe('falaj.audit.v1');
  });

  it('keeps its last view when the hash is found empty (lost with Redis, until the registry rewrites it)', () => {
    const gate = gateWith({ 'region:ae': '1' });
    (gate as unknown as { apply(f: Record<string, string>): void }).apply({});
    expect(gate.accepts('eu')).toBe(false);
    expect(gate.accepts('ae')).toBe(true);
  });
});
