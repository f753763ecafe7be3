import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OIP_DATATYPES } from '@falaj/contracts';
import { FalajSuite, OipGrpcClient } from '@falaj/testing';
import { CONFORMANCE_PATHS, ConformanceRunner, examineCase, listNodeCases, mapLimit, type CaseOutcome, type ConformancePath, type EligibleCase } from '../../tools/conformance';

/**
 * ONNX's backend node tests (Debian's libonnx-testdata), through the gateway on REST JSON, REST
 * binary and gRPC. A case is in when onnxruntime-node loads its model, runs its data and passes
 * ONNX's tolerances directly, and OIP can carry its tensors; every such case must then pass
 * through the gateway on every path. `npm test` runs a subset that covers every OIP datatype;
 * `npm run conformance` (FALAJ_CONFORMANCE=all) runs them all and writes
 * .local/conformance/report.json.
 */
const FULL = process.env.FALAJ_CONFORMANCE === 'all';
/** Cases per datatype in the subset `npm test` runs. */
const PER_DATATYPE = 3;

describe(`ONNX backend conformance, ${FULL ? 'every case' : 'a subset covering every datatype'} (e2e)`, () => {
  const suite = new FalajSuite();
  let runner: ConformanceRunner;
  let grpc: OipGrpcClient;
  let cases: EligibleCase[] = [];
  const excluded: Array<{ name: string; reason: string }> = [];
  const unregistered = new Map<string, string>();
  const results: Record<string, Record<ConformancePath, CaseOutcome>> = {};

  beforeAll(
    async () => {
      const eligible: EligibleCase[] = [];
      for (const name of listNodeCases()) {
        const verdict = await examineCase(name);
        if (verdict.eligible) eligible.push(verdict.testCase);
        else excluded.push({ name: verdict.name, reason: verdict.reason });
      }
      cases = FULL ? eligible : coveringSubset(eligible);

      await suite.start({ env: { 'cpu-worker': { FALAJ_WORKER_CONCURRENCY: '8' } } });
      const admin = await suite.platformAdminToken();
      expect((await suite.call('POST', '/admin/tenants', admin, { id: 'onnx', name: 'ONNX conformance', residency: 'ae' })).status).toBe(201);
      const token = await suite.token({ tenantId: 'onnx', subject: 'conformance', scopes: ['infer', 'models:write'] });
      grpc = new OipGrpcClient(suite.grpcTarget, token);
      runner = new ConformanceRunner(suite, token, grpc);
      for (const [name, why] of await runner.register(cases)) unregistered.set(name, why);
      const registered = cases.filter((c) => !unregistered.has(c.name));
      for (const name of await runner.waitReady(registered, FULL ? 600_000 : 120_000)) unregistered.set(name, 'never reported ready');
    },
    FULL ? 1_800_000 : 300_000,
  );

  afterAll(async () => {
    grpc?.close();
    await suite.stop();
    report();
  }, 60_000);

  it('covers every OIP datatype', () => {
    const covered = new Set(cases.flatMap((c) => [...c.signature.inputs, ...c.signature.outputs].map((s) => s.datatype)));
    expect([...OIP_DATATYPES].filter((d) => !covered.has(d))).toEqual([]);
  });

  it('registers every eligible case and gets it ready', () => {
    expect(Object.fromEntries(unregistered)).toEqual({});
  });

  it.each(CONFORMANCE_PATHS)(
    'passes every eligible case over %s',
    async (path) => {
      const failures: Record<string, string> = {};
      await mapLimit(
        cases.filter((c) => !unregistered.has(c.name)),
        8,
        async (c) => {
          const outcome = await runner.run(c, path);
          (results[c.name] ??= {} as Record<ConformancePath, CaseOutcome>)[path] = outcome;
          if (outcome.status === 'fail') failures[c.name] = outcome.detail;
        },
      );
      expect(failures).toEqual({});
    },
    FULL ? 1_200_000 : 120_000,
  );

  function report(): void {
    const lines = [`ONNX backend node tests (${listNodeCases().length} cases; ${excluded.length} out because onnxruntime or OIP cannot take them; ${cases.length} run)`];
    for (const path of CONFORMANCE_PATHS) {
      const outcomes = Object.values(results)
        .map((r) => r[path])
        .filter(Boolean);
      const count = (status: CaseOutcome['status']) => outcomes.filter((o) => o.status === status).length;
      lines.push(`  ${path.padEnd(12)} pass ${count('pass')}  fail ${count('fail') + unregistered.size}  not carried by the protocol ${count('not-carried')}`);
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
    if (FULL) {
      const dir = join(__dirname, '..', '..', '.local', 'conformance');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'report.json'), JSON.stringify({ summary: lines, excluded, unregistered: Object.fromEntries(unregistered), results }, null, 2));
    }
  }
});

/** Up to PER_DATATYPE cases for each datatype, in name order: small, and every type is exercised. */
function coveringSubset(eligible: readonly EligibleCase[]): EligibleCase[] {
  const chosen = new Set<EligibleCase>();
  for (const datatype of OIP_DATATYPES) {
    eligible
      .filter((c) => [...c.signature.inputs, ...c.signature.outputs].some((s) => s.datatype === datatype))
      .slice(0, PER_DATATYPE)
      .forEach((c) => chosen.add(c));
  }
  return [...chosen];
}
