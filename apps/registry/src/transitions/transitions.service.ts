import { Injectable } from '@nestjs/common';
import { CatalogRepository } from '../catalog';

@Injectable()
export class TransitionsService {
  constructor(private readonly catalog: CatalogRepository) {}

  async list(modelId: string, query: { version?: number; limit: number }) {
    const rows = await this.catalog.transitions(modelId, query);
    return rows.map((t) => ({ version: t.version, from: t.fromStage, to: t.toStage, actor: t.actor, reason: t.reason, occurredAt: t.occurredAt }));
  }
}
