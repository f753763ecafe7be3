import { z } from 'zod';

export const AddTrustedKeySchema = z.object({ publicKey: z.string().min(1).max(4096) }).strict();
export type AddTrustedKeyDto = z.infer<typeof AddTrustedKeySchema>;

export const SigningPolicySchema = z.object({ requireSignatures: z.boolean() }).strict();
export type SigningPolicy = z.infer<typeof SigningPolicySchema>;

export const SigningEventsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export type SigningEventsQuery = z.infer<typeof SigningEventsQuerySchema>;
