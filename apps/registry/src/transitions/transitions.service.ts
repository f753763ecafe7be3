import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { StageTransitionEntity } from './stage-transition.entity';

@Injectable()
export class TransitionsService {
  constructor(@InjectRepository(StageTransitionEntity) private readonly transitions: Repository<StageTransitionEntity>) {}

  async list(modelId: string, query: { version?: number; limit: number }) {
    const rows = await this.transitions.find({
      where: { modelId, ...(query.version ? { version: query.version } : {}) },
      order: { occurredAt: 'ASC' },
      take: query.limit,
    });
    return rows.map((t) => ({ version: t.version, from: t.fromStage, to: t.toStage, actor: t.actor, reason: t.reason, occurredAt: t.occurredAt }));
  }
}
