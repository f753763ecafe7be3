import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CatalogReader } from '../catalog';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import { ArtifactStore } from './artifact-store';

/**
 * Garbage collection of the artifact store: an artifact no version of any tenant references
 * (every version holding it went with its model) is removed, once its file is older than
 * FALAJ_ARTIFACT_GC_MIN_AGE_MS. Artifacts are content-addressed and shared between versions
 * and tenants, so the question is always "does any version hold this hash", asked again after
 * the file is set aside (ArtifactStore.collect), never "was this version's artifact".
 */
@Injectable()
export class ArtifactCollector implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ArtifactCollector.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly catalog: CatalogReader,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly store: ArtifactStore,
  ) {}

  onModuleInit(): void {
    const interval = this.config.artifacts.gcIntervalMs;
    if (interval === 0) return;
    this.timer = setInterval(() => void this.collect().catch((error: unknown) => this.logger.error({ error: (error as Error).message }, 'artifact collection failed')), interval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (a pass already running is shared); resolves how many artifacts it removed. */
  collect(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const oldest = Date.now() - this.config.artifacts.gcMinAgeMs;
    let removed = 0;
    for await (const artifact of this.store.list()) {
      if (artifact.modifiedAt.getTime() > oldest || (await this.referenced(artifact.sha256))) continue;
      if (await this.store.collect(artifact.sha256, () => this.referenced(artifact.sha256))) {
        removed++;
        this.logger.log({ sha256: artifact.sha256 }, 'unreferenced artifact collected');
      }
    }
    if (removed > 0) this.logger.log({ removed }, 'artifact collection pass');
    return removed;
  }

  private referenced(sha256: string): Promise<boolean> {
    return this.catalog.artifactReferenced(sha256);
  }
}
