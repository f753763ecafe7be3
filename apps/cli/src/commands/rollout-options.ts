import { CliError } from '../cli-error';

export const numberOption = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw CliError.usage(`${flag} ${value} is not a number`);
  return n;
};

/** --interval in seconds, as milliseconds, no faster than 5 reads a second. */
export const intervalOption = (value: string): number => Math.max(200, (numberOption('--interval', value) ?? 1) * 1000);
