import { z } from 'zod';

/** Model names appear in URLs (`/v2/models/{name}`) and Kafka keys: keep them plain. */
export const ModelNameSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'letters, digits, _ . - (max 128)');

export const CreateModelSchema = z.object({
  name: ModelNameSchema,
  description: z.string().max(4000).default(''),
});
export type CreateModelDto = z.infer<typeof CreateModelSchema>;
