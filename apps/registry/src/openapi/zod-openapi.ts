import { applyDecorators } from '@nestjs/common';
import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

/**
 * The JSON Schema of what a zod schema accepts, for the OpenAPI document: the same schema the
 * ZodPipe validates with, so the document cannot drift from the code. Transforms (version refs)
 * are described by their input.
 */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** `@ApiBody` from a zod schema, with an example request. */
export const ZodBody = (schema: z.ZodType, example: unknown) => applyDecorators(ApiBody({ schema: { ...jsonSchemaOf(schema), example } }));
