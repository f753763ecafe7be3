import type { FalajSuite } from '@falaj/testing';
import type { PrivateInfra } from './private-infra';

/** One fault of the schedule: what breaks, and (after its window) what makes the stack whole for the next. */
export interface Fault {
  name: string;
  /** The word `--faults` picks it by: worker, router, redis, kafka, postgres. */
  kind: FaultKind;
  inject(): Promise<void>;
  heal?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const FAULT_KINDS = ['worker', 'router', 'redis', 'kafka', 'postgres'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** `--faults redis,kafka`: the kinds named, in the schedule's order; every kind without the flag. */
export function parseFaultKinds(value: string | undefined): FaultKind[] {
  if (value === undefined) return [...FAULT_KINDS];
  const named = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = named.filter((n) => !(FAULT_KINDS as readonly string[]).includes(n));
  if (named.length === 0 || unknown.length > 0) throw new Error(`--faults ${value}: name one or more of ${FAULT_KINDS.join(', ')}, comma-separated`);
  return FAULT_KINDS.filter((k) => named.includes(k));
}

/**
 * The bounded schedule, in order. Every fault lands on the chaos run's own processes: the apps it
 * started and its private Postgres, Redis and Kafka (PrivateInfra), never the machine's.
 */
export function faultSchedule(suite: FalajSuite, infra: PrivateInfra, postgresStopSeconds: number, kinds: readonly FaultKind[] = FAULT_KINDS): Fault[] {
  const all: Fault[] = [
    {
      // The other worker claims what this one left pending once its liveness lease lapses.
      name: 'kill -9 cpu-worker-2',
      kind: 'worker',
      inject: () => suite.app('cpu-worker-2').kill(),
      heal: () => suite.restartApp('cpu-worker-2', {}),
    },
    {
      name: 'kill -9 router, restart',
      kind: 'router',
      inject: async () => {
        await suite.app('router').kill();
        await sleep(2000);
        await suite.restartApp('router', {});
      },
    },
    {
      // Nothing on disk: every key goes (streams, routing table, idempotency records), and the apps'
      // ACL users with them, which the operator gives back as its tooling would.
      name: 'restart Redis',
      kind: 'redis',
      inject: async () => {
        await infra.restartRedis();
        await suite.restoreRedisUsers();
      },
    },
    {
      name: 'restart Kafka broker',
      kind: 'kafka',
      inject: async () => {
        await infra.stopKafka();
        await sleep(3000);
        await infra.startKafka();
      },
    },
    {
      name: `stop Postgres ${postgresStopSeconds} s`,
      kind: 'postgres',
      inject: async () => {
        await infra.stopPostgres();
        await sleep(postgresStopSeconds * 1000);
        await infra.startPostgres();
      },
    },
  ];
  return all.filter((fault) => kinds.includes(fault.kind));
}
