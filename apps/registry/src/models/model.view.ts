import type { ModelEntity } from '../catalog';

/** The public shape of a model (no internal ids: models are addressed by name within a tenant). */
export function toModelView(m: ModelEntity) {
  return {
    name: m.name,
    tenantId: m.tenantId,
    description: m.description,
    labels: m.labels,
    owner: m.owner,
    payloadLogging: m.payloadLogging,
    createdBy: m.createdBy,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export const MODEL_EXAMPLE = {
  name: 'fraud-scorer',
  tenantId: 'acme',
  description: 'card-not-present fraud score',
  labels: { team: 'risk', tier: 'gold' },
  owner: 'risk-ml',
  payloadLogging: null,
  createdBy: 'alice',
  createdAt: '2026-11-28T12:00:00.000Z',
  updatedAt: '2026-11-28T12:00:00.000Z',
};
