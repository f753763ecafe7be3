import type { FalajSuite } from '../falaj-suite';
import type { PrivateInfra } from './private-infra';

/** One fault of the schedule: what breaks, and (after its window) what makes the stack whole for the next. */
export interface Fault {
  name: string;
  inject(): Promise<void>;
  heal?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bounded schedule, in order. Every fault lands on the chaos run's own processes: the apps it
 * started and its private Postgres, Redis and Kafka (PrivateInfra), never the machine's.
 */
export function faultSchedule(suite: FalajSuite, infra: PrivateInfra, postgresStopSeconds: number): Fault[] {
  return [
    {
      // The other worker claims what this one left pending once its liveness lease lapses.
      name: 'kill -9 cpu-worker-2',
      inject: () => suite.app('cpu-worker-2').kill(),
      heal: () => suite.restartApp('cpu-worker-2', {}),
    },
    {
      name: 'kill -9 router, restart',
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
      inject: async () => {
        await infra.restartRedis();
        await suite.restoreRedisUsers();
      },
    },
    {
      name: 'restart Kafka broker',
      inject: async () => {
        await infra.stopKafka();
        await sleep(3000);
        await infra.startKafka();
      },
    },
    {
      name: `stop Postgres ${postgresStopSeconds} s`,
      inject: async () => {
        await infra.stopPostgres();
        await sleep(postgresStopSeconds * 1000);
        await infra.startPostgres();
      },
    },
  ];
}
