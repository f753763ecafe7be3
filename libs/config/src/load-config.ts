import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config.error';
import { kafkaEnvProblems } from './kafka-env';

/**
 * Validates the environment against an app's schema of variables and returns the typed,
 * defaulted values. Every missing or malformed variable is named in one error, so an operator
 * fixes them all in one go instead of one restart each.
 */
export function loadEnv<S extends z.ZodObject>(
  app: string,
  schema: S,
  given: NodeJS.ProcessEnv = process.env,
  /** Rules across variables (one needs another), named in the same one error. */
  together: ((e: z.infer<S>) => string[])[] = [],
): z.infer<S> {
  const { env, unreadable } = withSecretFiles(given, Object.keys(schema.shape));
  if (unreadable.length > 0) throw new ConfigError(app, unreadable);
  const parsed = schema.safeParse(env);
  if (parsed.success) {
    // Kafka's variables go together (a SCRAM user needs its password); only for schemas that have them.
    const problems = [...together.flatMap((rule) => rule(parsed.data)), ...('FALAJ_KAFKA_SECURITY' in schema.shape ? kafkaEnvProblems(parsed.data) : [])];
    if (problems.length > 0) throw new ConfigError(app, problems);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const value = env[String(issue.path[0])];
    const shown = value === undefined ? 'is not set' : `is ${JSON.stringify(redact(variable, value))}`;
    return `${variable} ${shown}: ${issue.message}`;
  });
  throw new ConfigError(app, problems);
}

function redact(variable: string, value: string): string {
  if (/SECRET|PASSWORD|TOKEN|KEY|_CA$/.test(variable)) return '***';
  // A URL that carries credentials is refused, and never echoed with them.
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/i, '$1***@');
}

/**
 * `FALAJ_X_FILE=/path` stands for `FALAJ_X` (a variable of the app's schema) with the file's content (trimmed), as Kubernetes
 * mounts secrets: a secret then never sits in the environment or on a command line.
 */
function withSecretFiles(given: NodeJS.ProcessEnv, known: string[]): { env: NodeJS.ProcessEnv; unreadable: string[] } {
  const env = { ...given };
  const unreadable: string[] = [];
  for (const [name, path] of Object.entries(given)) {
    const match = /^(FALAJ_[A-Z0-9_]+)_FILE$/.exec(name);
    if (!match || !path || !known.includes(match[1]) || env[match[1]] !== undefined) continue;
    try {
      env[match[1]] = readFileSync(path, 'utf8').trim();
    } catch (error) {
      unreadable.push(`${name} names a file that cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { env, unreadable };
}
