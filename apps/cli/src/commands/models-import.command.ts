import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { seg } from '../http-client';
import { renderTable } from '../output';
import { fileBody, progressBar } from '../progress';
import type { Runtime } from '../runtime';

interface ImportOptions {
  model: string;
  description?: string;
  signature?: string;
}

interface ImportedVersion {
  model: string;
  version: number;
  stage: string;
  sha256: string;
  sizeBytes: number;
  lineage: { runId?: string; sourceUrl?: string; archive?: { format: string } };
}

export function registerModelsImport(models: Command, rt: Runtime): void {
  models
    .command('import')
    .argument('<source>', 'an MLflow model directory packed as .tar.gz, .tar or .zip, or the http(s) URL of one on an allow-listed store')
    .description('import an MLflow model (MLmodel + its .onnx) as a new version (a draft), its run as lineage, creating the model first if it does not exist')
    .requiredOption('--model <name>', 'the model')
    .option('--description <text>', 'the description of a model created now')
    .option('--signature <keyId:base64>', "detached signature over the .onnx file's bytes, for tenants that require signed artifacts")
    .action(async (source: string, options: ImportOptions) => {
      const byUrl = /^https?:\/\//i.test(source);
      let size = 0;
      if (!byUrl) {
        try {
          size = statSync(source).size;
        } catch (error) {
          throw CliError.usage(`cannot read ${source} (${(error as NodeJS.ErrnoException).code})`);
        }
      }
      const name = options.model;
      const client = rt.client();
      const existing = await client.open('GET', `/admin/models/${seg(name)}`, { what: `read model '${name}'` });
      const existingBody = Buffer.from(await existing.body.arrayBuffer());
      let created = false;
      if (existing.statusCode === 404) {
        await client.json('POST', '/admin/models', { json: { name, ...(options.description ? { description: options.description } : {}) }, what: `create model '${name}'` });
        created = true;
      } else if (existing.statusCode >= 400) {
        throw client.refusal({ status: existing.statusCode, headers: existing.headers, body: existingBody }, `read model '${name}'`);
      }
      const signed: Record<string, string> = options.signature ? { 'x-falaj-signature': options.signature } : {};
      let version: ImportedVersion;
      if (byUrl) {
        version = await client.json<ImportedVersion>('POST', `/admin/models/${seg(name)}/imports/mlflow/url`, { json: { url: source }, headers: signed, what: `import ${source} into '${name}'` });
      } else {
        const bar = progressBar(`uploading ${basename(source)}`, size, 'bytes');
        version = await client
          .json<ImportedVersion>('POST', `/admin/models/${seg(name)}/imports/mlflow`, {
            what: `import ${source} into '${name}'`,
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), ...signed },
            body: fileBody(source, bar),
          })
          .finally(() => bar.stop());
      }
      rt.print(
        { modelCreated: created, ...version },
        () =>
          renderTable(
            ['model', 'version', 'stage', 'size', 'sha256', 'run', 'from'],
            [
              [
                version.model,
                version.version,
                version.stage,
                `${version.sizeBytes} B`,
                version.sha256.slice(0, 12),
                version.lineage.runId ?? '',
                version.lineage.sourceUrl ?? version.lineage.archive?.format ?? '',
              ],
            ],
          ) + `\n${created ? `created model '${name}'; ` : ''}next: falaj versions promote ${name} ${version.version}`,
      );
    });
}
