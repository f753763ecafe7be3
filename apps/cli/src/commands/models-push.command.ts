import { statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { seg } from '../http-client';
import { renderTable } from '../output';
import { fileBody, progressBar } from '../progress';
import type { Runtime } from '../runtime';

interface PushOptions {
  model?: string;
  description?: string;
  lineage?: string;
}

interface VersionView {
  model: string;
  version: number;
  stage: string;
  sha256: string;
  sizeBytes: number;
  opset?: number;
  parameterCount?: number;
}

export function registerModelsPush(models: Command, rt: Runtime): void {
  models
    .command('push')
    .argument('<file>', 'an .onnx model')
    .description('upload FILE as a new version (a draft), creating the model first if it does not exist')
    .option('--model <name>', 'the model (default: the file name without .onnx)')
    .option('--description <text>', 'the description of a model created now')
    .option('--lineage <json>', 'lineage JSON kept with the version (sourceRun, dataset, metrics, …)')
    .action(async (file: string, options: PushOptions) => {
      let size: number;
      try {
        size = statSync(file).size;
      } catch (error) {
        throw CliError.usage(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
      }
      const name = options.model ?? basename(file).replace(/\.onnx$/i, '');
      if (options.lineage !== undefined) {
        try {
          JSON.parse(options.lineage);
        } catch {
          throw CliError.usage('--lineage is not JSON');
        }
      }
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

      const bar = progressBar(`uploading ${basename(file)}`, size, 'bytes');
      const version = await client
        .json<VersionView>('POST', `/admin/models/${seg(name)}/versions`, {
          what: `upload ${file} as a version of '${name}'`,
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), ...(options.lineage ? { 'x-falaj-lineage': options.lineage } : {}) },
          body: fileBody(file, bar),
        })
        .finally(() => bar.stop());
      rt.print(
        { modelCreated: created, ...version },
        () =>
          renderTable(
            ['model', 'version', 'stage', 'size', 'sha256', 'parameters'],
            [[version.model, version.version, version.stage, `${version.sizeBytes} B`, version.sha256.slice(0, 12), version.parameterCount]],
          ) + `\n${created ? `created model '${name}'; ` : ''}next: falaj versions promote ${name} ${version.version}`,
      );
    });
}
