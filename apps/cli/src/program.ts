import { Command } from 'commander';
import { registerAudit } from './commands/audit.command';
import { registerDeploy } from './commands/deploy.command';
import { registerInfer } from './commands/infer.command';
import { registerJobsCancel } from './commands/jobs-cancel.command';
import { registerJobsResults } from './commands/jobs-results.command';
import { registerJobsStatus } from './commands/jobs-status.command';
import { registerJobsSubmit } from './commands/jobs-submit.command';
import { registerLogin } from './commands/login.command';
import { registerModelsList } from './commands/models-list.command';
import { registerModelsImport } from './commands/models-import.command';
import { registerModelsPush } from './commands/models-push.command';
import { registerRollout } from './commands/rollout.command';
import { registerSwitch } from './commands/switch.command';
import { registerTop } from './commands/top.command';
import { registerVersionsList } from './commands/versions-list.command';
import { registerVersionsStage } from './commands/versions-stage.command';
import { Runtime } from './runtime';

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  usage: a wrong option or argument, an unreadable file
  2  auth: not signed in, or the server refused the credential (401) or its scope (403)
  3  not found (404): no such model, version, rollout or job for this tenant
  4  refused (400, 409, 413, 422): the server will not do it as asked
  5  unavailable: no connection, TLS, 429 or 5xx: retrying may help
  6  unsuccessful: a watched rollout or job finished other than succeeded/completed

Environment: FALAJ_GATEWAY_URL, FALAJ_CA_FILE, FALAJ_CONFIG_DIR (where the credential is kept,
mode 600; default ~/.config/falaj), FALAJ_ISSUER_URL, FALAJ_CLIENT_ID, FALAJ_CLIENT_SECRET.`;

export function buildProgram(): { program: Command; rt: Runtime } {
  const program = new Command('falaj')
    // Global options before the command; each command takes them too (below). Positional, because
    // `infer --json FILE` takes a file where every other command's --json is the output switch.
    .enablePositionalOptions()
    .description('Falaj from the shell: models, versions, deployments, rollouts, jobs, inference, load and audit, through the gateway')
    .option('--gateway <url>', 'the gateway (FALAJ_GATEWAY_URL; default: the one of `falaj login`)')
    .option('--cacert <file>', 'trust this CA for TLS, like curl --cacert (FALAJ_CA_FILE)')
    .option('--json', "answer in JSON for scripts (the API's own shapes); for `infer`, put it before the command: falaj --json infer M --json FILE")
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(add --help for usage)')
    // Inherited by every subcommand made after it: a usage error anywhere is exit 1, never process.exit inside commander.
    .exitOverride();
  const rt = new Runtime(program);

  registerLogin(program, rt);
  const models = program.command('models').description('register models and upload versions');
  registerModelsPush(models, rt);
  registerModelsImport(models, rt);
  registerModelsList(models, rt);
  const versions = program.command('versions').description("a model's versions and their stages");
  registerVersionsList(versions, rt);
  registerVersionsStage(versions, rt);
  registerDeploy(program, rt);
  registerSwitch(program, rt);
  registerRollout(program, rt);
  const jobs = program.command('jobs').description('batch jobs: NDJSON files of rows');
  registerJobsSubmit(jobs, rt);
  registerJobsStatus(jobs, rt);
  registerJobsResults(jobs, rt);
  registerJobsCancel(jobs, rt);
  registerInfer(program, rt);
  registerTop(program, rt);
  registerAudit(program, rt);

  const leaves = (command: Command): Command[] => (command.commands.length ? command.commands.flatMap(leaves) : [command]);
  for (const leaf of leaves(program)) {
    if (!leaf.options.some((o) => o.long === '--json')) leaf.option('--json', "answer in JSON for scripts (the API's own shapes)");
    leaf.option('--gateway <url>', 'the gateway (FALAJ_GATEWAY_URL)').option('--cacert <file>', 'trust this CA for TLS (FALAJ_CA_FILE)');
  }
  program.hook('preAction', (_program, action) => rt.use(action));
  return { program, rt };
}
