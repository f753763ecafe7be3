import { z } from 'zod';
import { ModelStageSchema } from '@falaj/contracts';

export const ChangeStageSchema = z.object({ stage: ModelStageSchema });
export type ChangeStageDto = z.infer<typeof ChangeStageSchema>;

export const VersionParamSchema = z.coerce.number().int().positive();
