import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { RetentionService } from './retention.service';

/**
 * Runs a retention pass every FALAJ_RETENTION_INTERVAL_SECONDS (none when 0). Every registry
 * runs the timer; the pass's advisory lock lets one of them at a time do the work, and the
 * others' ticks return at once. Stopping ends a pass between two statements.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private readonly stopping = new AbortController();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly retention: RetentionService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.retention.intervalMs === 0) return;
    this.timer = setInterval(() => {
      // A long pass is never overlapped by this registry's next tick.
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.config.retention.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.retention.runPass('schedule', { signal: this.stopping.signal });
    } catch (error) {
      // The lock or the run record could not be had (Postgres away): the next tick tries again.
      this.logger.warn({ error: (error as Error).message }, 'retention pass not run');
    }
  }
}
