import { TopicDirectory } from './topic-directory';

describe(TopicDirectory.name, () => {
  const setup = (topics: string[]) => {
    let now = 0;
    const calls = { n: 0 };
    const directory = new TopicDirectory(
      async () => {
        calls.n++;
        return [...topics];
      },
      () => now,
    );
    return { directory, calls, advance: (ms: number) => (now += ms), topics };
  };

  describe('exists', () => {
    it('answers from the broker metadata, fetched once for many lookups', async () => {
      const { directory, calls } = setup(['a.replies.acme', 'a.replies.acme.x']);
      await expect(directory.exists('a.replies.acme')).resolves.toBe(true);
      await expect(directory.exists('a.replies.acme.x')).resolves.toBe(true);
      await expect(directory.exists('a.replies.acme.missing')).resolves.toBe(false);
      expect(calls.n).toBe(1);
    });

    it('asks again about a missing name at most every 2 s, so a topic created later is found', async () => {
      const { directory, calls, advance, topics } = setup([]);
      await expect(directory.exists('t')).resolves.toBe(false);
      await Promise.all(Array.from({ length: 50 }, () => directory.exists('t')));
      expect(calls.n).toBe(1);
      topics.push('t');
      advance(2000);
      await expect(directory.exists('t')).resolves.toBe(true);
      expect(calls.n).toBe(2);
    });

    it('shares one refresh between concurrent lookups', async () => {
      const { directory, calls } = setup(['t']);
      await Promise.all([directory.exists('t'), directory.exists('u'), directory.exists('t')]);
      expect(calls.n).toBe(1);
    });

    it('checks a known topic again after a minute, and after forget', async () => {
      const { directory, calls, advance, topics } = setup(['t']);
      await directory.exists('t');
      topics.pop();
      advance(59_000);
      await expect(directory.exists('t')).resolves.toBe(true);
      advance(1000);
      await expect(directory.exists('t')).resolves.toBe(false);
      topics.push('t');
      advance(2000);
      await expect(directory.exists('t')).resolves.toBe(true);
      directory.forget('t');
      topics.pop();
      advance(2000);
      await expect(directory.exists('t')).resolves.toBe(false);
      expect(calls.n).toBe(4);
    });
  });
});
