import { z } from 'zod';
import { ConfigError } from './config.error';

/**
 * Validates the environment against an app's schema of variables and returns the typed,
 * defaulted values. Every missing or malformed variable is named in one error, so an operator
 * fixes them all in one go instead of one restart each.
 */
export function loadEnv<S extends z.ZodObject>(
  app: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = env[String(issue.path[0])];
    const shown = value === undefined ? 'is not set' : `is ${JSON.stringify(redact(variable, value))}`;
    return `${variable} ${shown}: ${issue.message}`;
  });
  throw new ConfigError(app, problems);
}

function redact(variable: string, value: string): string {
  return /SECRET|PASSWORD|TOKEN/.test(variable) ? '***' : value;
}
