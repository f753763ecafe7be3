import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { Principal } from '@falaj/auth';
import { LifecyclePublisher } from '../lifecycle/lifecycle.publisher';
import type { CreateModelDto } from './models.dto';
import { ModelEntity } from './model.entity';
import { ModelsError } from './models.exception';

/** Every query is scoped to the caller's tenant: another tenant's model is simply not found. */
@Injectable()
export class ModelsService {
  constructor(
    @InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>,
    private readonly lifecycle: LifecyclePublisher,
  ) {}

  async create(principal: Principal, dto: CreateModelDto): Promise<ModelEntity> {
    const { tenantId } = principal;
    if (await this.models.existsBy({ tenantId, name: dto.name })) throw ModelsError.exists(dto.name);
    const model = await this.models.save(
      this.models.create({ tenantId, name: dto.name, description: dto.description, createdBy: principal.subject }),
    );
    await this.lifecycle.publishModelState(model, { type: 'model.created', version: null, stage: null, actor: principal.subject });
    return model;
  }

  list(principal: Principal): Promise<ModelEntity[]> {
    return this.models.find({ where: { tenantId: principal.tenantId }, order: { name: 'ASC' } });
  }

  async get(principal: Principal, name: string): Promise<ModelEntity> {
    const model = await this.models.findOneBy({ tenantId: principal.tenantId, name });
    if (!model) throw ModelsError.notFound(name);
    return model;
  }
}
