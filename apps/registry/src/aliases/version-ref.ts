import { z } from 'zod';

/** Alias names never look like numbers, so `/versions/3` and `/versions/champion` cannot clash. */
export const AliasNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'an alias: lowercase letters, digits, _ - (max 64), starting with a letter');

/** A version as the admin API accepts it wherever one is named: its number or an alias. */
export type VersionRef = { version: number } | { alias: string };

export const VersionRefSchema = z.union([z.number().int().positive(), z.string()]).transform((value, ctx): VersionRef => {
  if (typeof value === 'number') return { version: value };
  if (/^[0-9]+$/.test(value)) {
    const version = Number(value);
    if (Number.isSafeInteger(version) && version > 0) return { version };
  } else if (AliasNameSchema.safeParse(value).success) {
    return { alias: value };
  }
  ctx.addIssue({ code: 'custom', message: `'${value}' is neither a version number nor an alias` });
  return z.NEVER;
});

export const describeRef = (ref: VersionRef): string => ('alias' in ref ? `alias '${ref.alias}'` : `version ${ref.version}`);
