import { z } from 'zod';
import { AuditEventSchema } from '@falaj/contracts';

/** Rows of one JSON page at most; an export (`format=ndjson|csv`) streams past it. */
export const AUDIT_PAGE_MAX = 1000;
/** Rows of one export at most, when it names a `limit` (without one it streams every matching row). */
export const AUDIT_EXPORT_MAX = 10_000_000;

export const AUDIT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** An instant with its offset (`2026-12-01T10:00:00Z`, `…+04:00`), or a date, meaning its midnight UTC. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'an ISO 8601 date-time with its offset (2026-12-01T10:00:00Z) or a date (2026-12-01)' })
  .transform((text) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text));

export const AuditQuerySchema = z
  .strictObject({
    model: z.string().min(1).max(128).optional(),
    version: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
    /** An HTTP status (`404`) or a class of them (`5xx`). */
    status: z
      .string()
      .regex(/^(?:[1-5][0-9]{2}|[1-5]xx)$/i, 'an HTTP status (404) or a class of them (1xx, 2xx, 3xx, 4xx, 5xx)')
      .optional(),
    protocol: AuditEventSchema.shape.protocol.optional(),
    /** Inclusive. */
    from: instant.optional(),
    /** Exclusive. */
    to: instant.optional(),
    requestId: z.string().min(1).max(200).optional(),
    /** The platform admin's choice of tenant; a tenant's account may only name its own. */
    tenant: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,62}$/, 'a tenant id')
      .optional(),
    cursor: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(AUDIT_EXPORT_MAX).optional(),
    format: z.enum(AUDIT_FORMATS).default('json'),
  })
  .superRefine((query, ctx) => {
    if (query.from && query.to && query.from > query.to) ctx.addIssue({ code: 'custom', path: ['from'], message: `must not be after to (${query.to.toISOString()})` });
    if (query.format === 'json' && query.limit !== undefined && query.limit > AUDIT_PAGE_MAX) {
      ctx.addIssue({ code: 'custom', path: ['limit'], message: `at most ${AUDIT_PAGE_MAX} a page (format=ndjson or csv exports more)` });
    }
  });
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
