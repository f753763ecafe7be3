/**
 * Runs async operations strictly one after another, in the order they were handed in; a failed
 * one does not stop the next. The bridge runs every use of its transactional producer through
 * one lane (each batch's transaction from begin to commit or abort, and the producer's renewal),
 * so no two operations ever overlap on one transaction, whatever calls them.
 */
export class SerialLane {
  private tail: Promise<unknown> = Promise.resolve();
  private active = 0;

  run<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.tail.then(async () => {
      this.active++;
      try {
        return await operation();
      } finally {
        this.active--;
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Operations running now: never more than one. */
  get running(): number {
    return this.active;
  }
}
