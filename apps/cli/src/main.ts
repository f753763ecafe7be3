#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError } from './cli-error';
import { EXIT } from './exit-codes';
import { buildProgram } from './program';

/** Every way out goes through here: one line of cause, one line of what to do, one exit code. */
async function main(argv: string[]): Promise<number> {
  const { program } = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end as CommanderErrors too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`falaj: ${error.message}\n${error.hint ? `  fix: ${error.hint}\n` : ''}`);
      return error.code;
    }
    process.stderr.write(`falaj: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.unavailable;
  }
}

// Exit once stdout has drained: keep-alive sockets would otherwise hold the process a few seconds.
void main(process.argv).then((code) => process.stdout.write('', () => process.exit(code)));
