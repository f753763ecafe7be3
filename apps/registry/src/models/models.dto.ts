import { z } from 'zod';
import { ModelStageSchema, PayloadLoggingSchema } from '@falaj/contracts';

/** Model names appear in URLs (`/v2/models/{name}`) and Kafka keys: keep them plain. */
export const ModelNameSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'letters, digits, _ . - (max 128)');

const LabelKeySchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_./-]{0,62}$/, 'label keys: letters, digits, _ . / - (max 63)');
export const LabelsSchema = z
  .record(LabelKeySchema, z.string().max(200))
  .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels');

export const CreateModelSchema = z.object({
  name: ModelNameSchema,
  description: z.string().max(4000).default(''),
  labels: LabelsSchema.default({}),
  owner: z.string().max(200).default(''),
  /** Overrides the tenant's payload-logging policy for this model; null or absent: the tenant's. */
  payloadLogging: PayloadLoggingSchema.nullable().default(null),
});
export type CreateModelDto = z.infer<typeof CreateModelSchema>;

/** A partial update; `labels` replaces the whole set (send `{}` to clear). */
export const UpdateModelSchema = z
  .object({ description: z.string().max(4000), labels: LabelsSchema, owner: z.string().max(200), payloadLogging: PayloadLoggingSchema.nullable() })
  .partial()
  .strict()
  .refine((dto) => Object.keys(dto).length > 0, 'nothing to update: send description, labels, owner or payloadLogging');
export type UpdateModelDto = z.infer<typeof UpdateModelSchema>;

/** `?label=team=ocr&label=tier=gold&stage=production&owner=ml-platform&page=2&limit=20` */
export const ListModelsQuerySchema = z.object({
  label: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value, ctx) => {
      const entries = value === undefined ? [] : Array.isArray(value) ? value : [value];
      const labels: Record<string, string> = {};
      for (const entry of entries) {
        const at = entry.indexOf('=');
        if (at <= 0) {
          ctx.addIssue({ code: 'custom', message: `label filter '${entry}' is not key=value` });
          return z.NEVER;
        }
        labels[entry.slice(0, at)] = entry.slice(at + 1);
      }
      return labels;
    }),
  stage: ModelStageSchema.optional(),
  owner: z.string().max(200).optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListModelsQuery = z.infer<typeof ListModelsQuerySchema>;
