import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { RolloutsService } from './rollouts.service';

/**
 * Judges every active rollout on a fixed tick. Any number of registries may run it: each
 * rollout is moved under its row lock, and one held elsewhere is skipped for this tick.
 */
@Injectable()
export class RolloutDriver implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RolloutDriver.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly rollouts: RolloutsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // A slow tick (a busy database) is never overlapped by the next one.
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.config.rolloutTickMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async tick(): Promise<void> {
    try {
      for (const id of await this.rollouts.activeIds()) {
        await this.rollouts.evaluate(id).catch((error: Error) => this.logger.error({ rollout: id, error: error.message }, 'rollout step failed; retried next tick'));
      }
    } catch (error) {
      this.logger.warn({ error: (error as Error).message }, 'could not list active rollouts');
    }
  }
}
