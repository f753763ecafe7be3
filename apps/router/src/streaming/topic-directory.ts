/** How long a topic seen in the broker's metadata is taken to exist without asking again. */
const KNOWN_FOR_MS = 60_000;
/** A name not found is asked about again at most this often (a burst of them costs one refresh). */
const REFRESH_AT_MOST_EVERY_MS = 2000;

/**
 * Which topics exist, from the broker's metadata, cached: reply topics are never created on
 * demand (`allowAutoTopicCreation: false`, `auto.create.topics.enable=false`), so a request that
 * names one that does not exist is refused before its model runs, instead of its answer failing
 * the batch's transaction. A topic deleted while cached is caught when its produce fails; then
 * `forget` drops it.
 */
export class TopicDirectory {
  private known = new Set<string>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private refreshing?: Promise<void>;

  constructor(
    private readonly listTopics: () => Promise<string[]>,
    private readonly now: () => number = Date.now,
  ) {}

  async exists(topic: string): Promise<boolean> {
    const age = this.now() - this.fetchedAt;
    if (this.known.has(topic) && age < KNOWN_FOR_MS) return true;
    if (age >= REFRESH_AT_MOST_EVERY_MS) await this.refresh();
    return this.known.has(topic);
  }

  forget(topic: string): void {
    this.known.delete(topic);
  }

  private refresh(): Promise<void> {
    this.refreshing ??= this.listTopics()
      .then((topics) => {
        this.known = new Set(topics);
        this.fetchedAt = this.now();
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}
