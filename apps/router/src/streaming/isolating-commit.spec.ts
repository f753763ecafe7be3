import { commitIsolating, isMessageFault, kafkaErrorType } from './isolating-commit';

/** kafkajs's shapes: a protocol error with its `type`, wrapped by the retrier's. */
const protocolError = (type: string, retriable = false) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable });
const wrapped = (cause: Error) => Object.assign(new Error('retries exceeded'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false, cause });

describe('isMessageFault', () => {
  it('is true for errors about the messages, found through the cause chain', () => {
    expect(isMessageFault(protocolError('MESSAGE_TOO_LARGE'))).toBe(true);
    expect(isMessageFault(wrapped(protocolError('UNKNOWN_TOPIC_OR_PARTITION', true)))).toBe(true);
    expect(kafkaErrorType(wrapped(protocolError('INVALID_TOPIC_EXCEPTION')))).toBe('INVALID_TOPIC_EXCEPTION');
  });

  it("is false for the producer's or the broker's own trouble", () => {
    expect(isMessageFault(protocolError('INVALID_PRODUCER_EPOCH'))).toBe(false);
    expect(isMessageFault(protocolError('NOT_COORDINATOR', true))).toBe(false);
    expect(isMessageFault(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }))).toBe(false);
    expect(isMessageFault(new Error('plain'))).toBe(false);
  });
});

describe('commitIsolating', () => {
  type Outcome = { id: number; bad?: boolean; dead?: boolean };
  /** A broker that refuses any transaction holding a bad outcome; records what it committed. */
  const broker = (failWith = () => protocolError('MESSAGE_TOO_LARGE')) => {
    const committed: { to: number; ids: number[] }[] = [];
    const attempts = { n: 0 };
    return {
      committed,
      attempts,
      steps: {
        commit: async (_from: number, to: number, outcomes: readonly Outcome[]) => {
          attempts.n++;
          if (outcomes.some((o) => o.bad)) throw failWith();
          committed.push({ to, ids: outcomes.map((o) => (o.dead ? -o.id : o.id)) });
        },
        isolate: (outcome: Outcome): Outcome | null => (outcome.dead ? null : { id: outcome.id, dead: true }),
        isFault: isMessageFault,
      },
    };
  };
  const outcomes = (n: number, bad: number[]): Outcome[] => Array.from({ length: n }, (_, id) => ({ id, bad: bad.includes(id) }));

  it('commits a batch the broker takes in one transaction', async () => {
    const { steps, committed } = broker();
    await commitIsolating(outcomes(5, []), steps);
    expect(committed).toEqual([{ to: 5, ids: [0, 1, 2, 3, 4] }]);
  });

  it('replaces only the refused outcomes, and commits every other answer exactly once, in offset order', async () => {
    const { steps, committed, attempts } = broker();
    const result = await commitIsolating(outcomes(100, [17, 63]), steps);
    const ids = committed.flatMap((c) => c.ids);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => (i === 17 || i === 63 ? -i : i)));
    // Offsets only move forward, and the last piece commits the batch's end.
    const ends = committed.map((c) => c.to);
    expect([...ends].sort((a, b) => a - b)).toEqual(ends);
    expect(ends.at(-1)).toBe(100);
    expect(result.filter((o) => o.dead).map((o) => o.id)).toEqual([17, 63]);
    // Bisection: a few dozen transactions, not one per message.
    expect(attempts.n).toBeLessThan(40);
  });

  it("throws an error that is not the messages' fault, without splitting", async () => {
    const { steps, committed, attempts } = broker(() => protocolError('INVALID_PRODUCER_EPOCH'));
    await expect(commitIsolating(outcomes(10, [3]), steps)).rejects.toMatchObject({ type: 'INVALID_PRODUCER_EPOCH' });
    expect(attempts.n).toBe(1);
    expect(committed).toEqual([]);
  });

  it('commits a single outcome that the broker took on the second try as it is', async () => {
    const { steps, committed } = broker();
    // Refused in the batch and alone once (metadata catching up), then taken.
    const refusals = new Map([
      ['0-2', 1],
      ['1-2', 1],
    ]);
    const flaky = {
      ...steps,
      commit: async (from: number, to: number, outcomes: readonly Outcome[]) => {
        const left = refusals.get(`${from}-${to}`) ?? 0;
        refusals.set(`${from}-${to}`, left - 1);
        if (left > 0) throw wrapped(protocolError('UNKNOWN_TOPIC_OR_PARTITION', true));
        return steps.commit(from, to, outcomes);
      },
    };
    const result = await commitIsolating(outcomes(2, []), flaky);
    expect(result.some((o) => o.dead)).toBe(false);
    expect(committed).toEqual([
      { to: 1, ids: [0] },
      { to: 2, ids: [1] },
    ]);
  });

  it('throws when even the replacement is refused: nothing is lost, the consumer restarts', async () => {
    const { steps } = broker();
    const failing = { ...steps, isolate: (o: Outcome) => ({ ...o, bad: true }) };
    await expect(commitIsolating(outcomes(2, [1]), failing)).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
  });
});
