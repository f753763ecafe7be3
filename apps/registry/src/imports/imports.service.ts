import { randomUUID, createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '@falaj/auth';
import type { ModelSignature } from '@falaj/contracts';
import { systemTrustDispatcher } from '@falaj/tls';
import { stageFrom } from '../artifacts/local-artifact-store';
import { REGISTRY_CONFIG, type RegistryConfig } from '../registry.config';
import type { ModelVersionEntity } from '../catalog';
import { VersionsError } from '../versions/versions.exception';
import { VersionsService } from '../versions/versions.service';
import { AllowListedFetcher } from './allow-listed-fetcher';
import { extractArchive, type ArchiveFormat } from './archive-reader';
import { artifactsBase, fileUrl, importBase, mlflowVersionOf, sameRegistryVersion } from './import-origin.policy';
import type { ImportAliasDto } from './imports.dto';
import { ImportsError } from './imports.exception';
import { signatureMismatches } from './mlflow-signature.policy';
import { MAX_METRICS_BYTES, MAX_MLMODEL_BYTES, parseMetricsFile, parseMlModel, type MlModel } from './mlmodel.parser';

/** What an archive's files may hold once extracted beyond the model file itself (conda.yaml, requirements, code). */
const ARCHIVE_EXTRA_BYTES = 64 * 1024 * 1024;
/** The metrics file read beside MLmodel, when there is one. */
const METRICS_FILE = 'metrics.json';

/** An MLflow REST answer read at most. */
const MAX_API_ANSWER_BYTES = 64 * 1024;

/** The registry version an alias import came from. */
interface RegistryVersion {
  trackingUrl: string;
  name: string;
  alias: string;
  version: string;
}

/** Where an import came from, as its lineage keeps it. */
type ImportOrigin = { sourceUrl: string; mlflowRegistry?: RegistryVersion } | { archive: { format: ArchiveFormat; sha256: string; sizeBytes: number } };

/**
 * MLflow model imports: an MLmodel directory, from an uploaded archive or from a URL on the
 * platform's allow-list, becomes a version through `VersionsService.register` — the upload's own
 * path, so every check of an upload applies (size and storage quota, the tenant's signature
 * policy over the model file's bytes, structure and external data, onnxruntime's load, model
 * limits) and so do its records (signing audit, stage history, lifecycle event). On top, the
 * MLmodel's declared signature must agree with the file's, and its run, uuid, time and metrics
 * become the version's lineage.
 */
@Injectable()
export class ImportsService {
  private readonly logger = new Logger(ImportsService.name);
  private readonly fetcher: AllowListedFetcher;

  constructor(
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly versions: VersionsService,
  ) {
    this.fetcher = new AllowListedFetcher(config.imports.allowedOrigins, systemTrustDispatcher);
  }

  /** An archive (.tar.gz, .tar or .zip) of an MLflow model directory, streamed to disk within the upload limit, then extracted. */
  async importArchive(principal: Principal, modelName: string, upload: { stream: Readable; signature?: string }): Promise<ModelVersionEntity> {
    // The model first, so that a wrong name costs no upload.
    await this.versions.list(principal, modelName).catch((error: unknown) => {
      upload.stream.resume();
      throw error;
    });
    const work = join(this.config.artifacts.dir, 'imports', randomUUID());
    await mkdir(work, { recursive: true });
    try {
      const archivePath = join(work, 'archive');
      const received = await receive(upload.stream, archivePath, this.config.artifacts.maxUploadBytes);
      const into = join(work, 'model');
      await mkdir(into);
      const extracted = await extractArchive(archivePath, into, {
        maxEntries: this.config.imports.maxArchiveEntries,
        maxBytes: this.config.artifacts.maxUploadBytes + ARCHIVE_EXTRA_BYTES,
      });
      await rm(archivePath);
      const root = await modelRoot(into);
      const mlmodel = parseMlModel(await readSmall(join(root, 'MLmodel'), MAX_MLMODEL_BYTES, 'MLmodel'));
      const metricsPath = join(root, METRICS_FILE);
      const metrics = (await isFile(metricsPath)) ? parseMetricsFile(await readSmall(metricsPath, MAX_METRICS_BYTES, METRICS_FILE)) : {};
      const modelPath = join(root, mlmodel.modelFile);
      if (!(await isFile(modelPath))) throw ImportsError.missingFile(mlmodel.modelFile);
      const origin = { archive: { format: extracted.format, sha256: received.sha256, sizeBytes: received.sizeBytes } };
      return await this.register(principal, modelName, mlmodel, metrics, origin, createReadStream(modelPath), upload.signature);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** The MLflow model directory at `url` (an allow-listed origin): MLmodel, metrics.json when there is one, and the model file under it. */
  async importUrl(principal: Principal, modelName: string, url: string, signature?: string): Promise<ModelVersionEntity> {
    const base = importBase(url, this.config.imports.allowedOrigins);
    await this.versions.list(principal, modelName);
    return this.importFrom(principal, modelName, base, AbortSignal.timeout(this.config.imports.timeoutMs), { sourceUrl: base.href }, signature);
  }

  /**
   * The version an MLflow-compatible registry's alias points to now, imported unless this model
   * already has it (`imported: false`, the version it has): the registry is asked over its REST
   * API (`registered-models/alias`, then `model-versions/get-download-uri`) and the files come
   * from its artifact proxy (`mlflow-artifacts:/…`) or an http(s) artifact URI, all on the
   * allow-list. Called on a schedule, this follows the alias.
   */
  async importAlias(principal: Principal, modelName: string, target: ImportAliasDto, signature?: string): Promise<{ version: ModelVersionEntity; imported: boolean }> {
    const tracking = importBase(target.trackingUrl, this.config.imports.allowedOrigins);
    const { versions } = await this.versions.list(principal, modelName);
    const signal = AbortSignal.timeout(this.config.imports.timeoutMs);
    const query = (path: string, params: Record<string, string>) => {
      const url = new URL(path, tracking);
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
      return url;
    };
    const aliasUrl = query('api/2.0/mlflow/registered-models/alias', { name: target.name, alias: target.alias });
    const registered = mlflowVersionOf(await this.apiAnswer(aliasUrl, signal, `alias '${target.alias}' of registered model '${target.name}'`));
    const registry = { trackingUrl: tracking.href, name: target.name, alias: target.alias, version: registered.version };
    const held = versions.find((v) => sameRegistryVersion(v.lineage.mlflowRegistry, registry));
    if (held) return { version: held, imported: false };
    const download = await this.apiAnswer(
      query('api/2.0/mlflow/model-versions/get-download-uri', { name: target.name, version: registered.version }),
      signal,
      `version ${registered.version} of '${target.name}'`,
    );
    const artifactUri = (download as { artifact_uri?: unknown }).artifact_uri;
    if (typeof artifactUri !== 'string') throw ImportsError.upstream(502, `${tracking.href} gave no artifact_uri for version ${registered.version} of '${target.name}'`);
    const base = artifactsBase(tracking, artifactUri, this.config.imports.allowedOrigins);
    const version = await this.importFrom(principal, modelName, base, signal, { sourceUrl: base.href, mlflowRegistry: registry }, signature);
    return { version, imported: true };
  }

  /** An MLflow REST answer (JSON within 64 KiB); 404 names `what` as missing there. */
  private async apiAnswer(url: URL, signal: AbortSignal, what: string): Promise<unknown> {
    const text = await this.fetcher.text(url, MAX_API_ANSWER_BYTES, signal, () => ImportsError.upstream(502, `${url.href} answered more than ${MAX_API_ANSWER_BYTES} bytes`));
    if (text === null) throw new ImportsError(404, `the MLflow registry at ${url.origin} has no ${what}`, 'mlflow_registry_not_found');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw ImportsError.upstream(502, `${url.href} did not answer JSON`);
    }
  }

  private async importFrom(principal: Principal, modelName: string, base: URL, signal: AbortSignal, origin: ImportOrigin, signature: string | undefined): Promise<ModelVersionEntity> {
    const text = await this.fetcher.text(fileUrl(base, 'MLmodel'), MAX_MLMODEL_BYTES, signal, () => ImportsError.invalidMlModel('MLmodel', `larger than ${MAX_MLMODEL_BYTES} bytes`));
    if (text === null) throw ImportsError.missingFile('MLmodel');
    const mlmodel = parseMlModel(text);
    // Optional: S3 answers 403, not 404, for a missing key to a reader that may not list the bucket.
    const metricsText = await this.fetcher.text(
      fileUrl(base, METRICS_FILE),
      MAX_METRICS_BYTES,
      signal,
      () => ImportsError.invalidMlModel(METRICS_FILE, `larger than ${MAX_METRICS_BYTES} bytes`),
      [403, 404],
    );
    const metrics = metricsText === null ? {} : parseMetricsFile(metricsText);
    const file = await this.fetcher.get(fileUrl(base, mlmodel.modelFile), signal);
    if (!file) throw ImportsError.missingFile(mlmodel.modelFile);
    try {
      const { maxUploadBytes } = this.config.artifacts;
      if (file.length !== null && file.length > maxUploadBytes) throw VersionsError.tooLarge(maxUploadBytes);
      return await this.register(principal, modelName, mlmodel, metrics, origin, file.body, signature);
    } finally {
      // A refused upload is drained by the store; a remote file is not worth reading to its end.
      file.body.destroy();
    }
  }

  private async register(
    principal: Principal,
    modelName: string,
    mlmodel: MlModel,
    fileMetrics: Record<string, number>,
    origin: ImportOrigin,
    stream: Readable,
    signature: string | undefined,
  ): Promise<ModelVersionEntity> {
    const checkSignature = (found: ModelSignature) => {
      const problems = mlmodel.signature ? signatureMismatches(mlmodel.signature, found) : [];
      if (problems.length > 0) throw ImportsError.signatureMismatch(problems);
    };
    const lineage = mlflowLineage(mlmodel, { ...mlmodel.metrics, ...fileMetrics }, origin);
    const version = await this.versions.register(principal, modelName, {
      stream,
      lineage: JSON.stringify(lineage),
      ...(signature !== undefined ? { signature } : {}),
      checkSignature,
    });
    this.logger.log(
      { model: modelName, version: version.version, runId: mlmodel.runId ?? null, ...('sourceUrl' in origin ? { sourceUrl: origin.sourceUrl } : { archiveSha256: origin.archive.sha256 }) },
      'MLflow model imported',
    );
    return version;
  }
}

/** The lineage an MLflow import records: where it came from (`source: mlflow`, the run, the archive or URL), its metrics and its declared signature. */
export function mlflowLineage(mlmodel: MlModel, metrics: Record<string, number>, origin: ImportOrigin): Record<string, unknown> {
  return {
    source: 'mlflow',
    ...(mlmodel.runId ? { sourceRun: `mlflow:runs/${mlmodel.runId}`, runId: mlmodel.runId } : {}),
    ...(mlmodel.modelUuid ? { modelUuid: mlmodel.modelUuid } : {}),
    ...(mlmodel.createdAt ? { mlflowCreatedAt: mlmodel.createdAt } : {}),
    ...(mlmodel.mlflowVersion ? { mlflowVersion: mlmodel.mlflowVersion } : {}),
    ...(mlmodel.artifactPath ? { artifactPath: mlmodel.artifactPath } : {}),
    flavor: mlmodel.flavor,
    modelFile: mlmodel.modelFile,
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...(mlmodel.signature ? { declaredSignature: mlmodel.signature } : {}),
    ...origin,
  };
}

/** Streams `source` to `path` within `maxBytes` (413 past it), hashing it. */
async function receive(source: Readable, path: string, maxBytes: number): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sizeBytes += chunk.length;
      if (sizeBytes > maxBytes) return done(ImportsError.archiveTooLarge('the archive', maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // The artifact store's staging: piped, not pipelined, so a refusal can still be answered.
  await stageFrom(source, meter, createWriteStream(path, { mode: 0o600 }));
  if (sizeBytes === 0) throw ImportsError.badArchive('the upload is empty');
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** The folder holding MLmodel: the archive's root, or its one top-level folder (`tar czf m.tgz model/`). */
async function modelRoot(into: string): Promise<string> {
  if (await isFile(join(into, 'MLmodel'))) return into;
  const entries = await readdir(into, { withFileTypes: true });
  if (entries.length === 1 && entries[0].isDirectory() && (await isFile(join(into, entries[0].name, 'MLmodel')))) return join(into, entries[0].name);
  throw ImportsError.missingFile('MLmodel');
}

async function isFile(path: string): Promise<boolean> {
  // lstat: the archive reader makes no links, and a link is never followed here either.
  return (await lstat(path).catch(() => null))?.isFile() ?? false;
}

async function readSmall(path: string, maxBytes: number, field: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    if ((await handle.stat()).size > maxBytes) throw ImportsError.invalidMlModel(field, `larger than ${maxBytes} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
