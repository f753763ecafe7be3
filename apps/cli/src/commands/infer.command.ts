import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { seg } from '../http-client';
import { NpyError, parseNpy } from '../npy';
import { preview, renderTable } from '../output';
import type { Runtime } from '../runtime';

interface InferOptions {
  json?: string;
  npy: string[];
  version?: string;
  routingKey?: string;
}

interface InferResponse {
  model_name: string;
  model_version?: string;
  outputs: { name: string; datatype: string; shape: number[]; data: unknown }[];
}

const read = (file: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw CliError.usage(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
};

/**
 * Triton's binary tensor extension: the JSON header, then each input's bytes. A .npy array's
 * bytes go as they are, so nothing is converted through JS numbers.
 */
export function binaryRequest(inputs: { name: string; datatype: string; shape: number[]; data: Buffer }[]): { body: Buffer; headerLength: number } {
  const header = Buffer.from(JSON.stringify({ inputs: inputs.map(({ name, datatype, shape, data }) => ({ name, datatype, shape, parameters: { binary_data_size: data.length } })) }));
  return { body: Buffer.concat([header, ...inputs.map((i) => i.data)]), headerLength: header.length };
}

export function registerInfer(program: Command, rt: Runtime): void {
  program
    .command('infer')
    .argument('<model>')
    .option('--json <file>', 'an OIP v2 inference request ({"inputs":[…]})')
    .option('--npy <[input=]file>', 'a NumPy .npy array as an input (repeat for several inputs; the name may be left out for a one-input model)', (value: string, all: string[]) => [...all, value], [])
    .option('--version <v>', 'ask for this version (needs it to be routed)')
    .option('--routing-key <key>', 'the sticky-split key (x-routing-key)')
    .description('run one inference through the gateway (OIP v2 REST), from a JSON request or .npy arrays')
    .action(async (model: string, options: InferOptions) => {
      if ((options.json === undefined) === (options.npy.length === 0)) throw CliError.usage('give the input with --json FILE or --npy FILE (one of them)');
      const client = rt.client();
      const path = `/v2/models/${seg(model)}${options.version ? `/versions/${seg(options.version)}` : ''}`;
      const headers: Record<string, string> = options.routingKey ? { 'x-routing-key': options.routingKey } : {};
      let answer;
      if (options.json !== undefined) {
        const text = read(options.json).toString('utf8');
        try {
          JSON.parse(text);
        } catch (error) {
          throw CliError.usage(`${options.json} is not JSON: ${(error as Error).message}`);
        }
        answer = await client.send('POST', `${path}/infer`, { what: `infer '${model}'`, headers: { ...headers, 'content-type': 'application/json' }, body: () => Buffer.from(text) });
      } else {
        const named = options.npy.map((spec) => {
          const at = spec.indexOf('=');
          return at > 0 ? { name: spec.slice(0, at), file: spec.slice(at + 1) } : { name: undefined, file: spec };
        });
        if (named.some((n) => n.name === undefined)) {
          const metadata = await client.json<{ inputs: { name: string }[] }>('GET', path, { what: `read the inputs of '${model}'` });
          if (named.length !== 1 || metadata.inputs.length !== 1) {
            throw CliError.usage(`'${model}' takes ${metadata.inputs.length} input(s) (${metadata.inputs.map((i) => i.name).join(', ')}): name each, --npy NAME=FILE`);
          }
          named[0].name = metadata.inputs[0].name;
        }
        const inputs = named.map(({ name, file }) => {
          try {
            return { name: name!, ...parseNpy(read(file)) };
          } catch (error) {
            if (error instanceof NpyError) throw CliError.usage(`${file}: ${error.message}`);
            throw error;
          }
        });
        const { body, headerLength } = binaryRequest(inputs);
        answer = await client.send('POST', `${path}/infer`, {
          what: `infer '${model}'`,
          headers: { ...headers, 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
          body: () => body,
        });
      }
      const response = JSON.parse(answer.body.toString('utf8')) as InferResponse;
      const pool = answer.headers['x-falaj-pool'];
      rt.print(
        response,
        () =>
          renderTable(
            ['output', 'datatype', 'shape', 'data'],
            response.outputs.map((o) => [o.name, o.datatype, `[${o.shape.join(',')}]`, preview(o.data)]),
          ) + `\n${response.model_name} v${response.model_version ?? '?'}${pool ? ` on ${String(pool)}` : ''}`,
      );
    });
}
