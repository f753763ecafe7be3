import { readFile } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { ArtifactSignatureInfoSchema, verifyArtifactSignature, type ArtifactSignatureInfo, type SignatureLoadRefusal, type SignatureRefusal } from '@falaj/contracts';
import { ArtifactFetchError, serviceBearer } from './artifact-cache';

/** A version this worker will not make a session of: its artifact is unsigned, or signed by no trusted key, or not these bytes. */
export class SignatureRefusedError extends Error {
  constructor(
    readonly refusal: SignatureRefusal,
    detail: string,
  ) {
    // The load state's reason starts with the code: `signature_invalid: …`.
    super(`${refusal}: ${detail}`);
  }
}

export interface SignedVersion {
  tenantId: string;
  model: string;
  version: number;
}

/** Checks an artifact's bytes (a local file) before a session is made of them; rejects with SignatureRefusedError. */
export type ArtifactCheck = (path: string) => Promise<void>;

/**
 * The worker's own check of signed artifacts (docs/signed-artifacts.md): before it makes a session
 * of a version, it asks the registry whether the tenant requires signatures and for the version's
 * signature and key, and verifies the very bytes it is about to load — the ones it downloaded,
 * or the ones in its cache — with the policy the registry applied at upload. A refusal is
 * reported to the registry, which audits it.
 */
export class ArtifactSignatures {
  private readonly logger = new Logger(ArtifactSignatures.name);

  constructor(
    private readonly registryUrl: string,
    private readonly serviceToken: () => Promise<string>,
  ) {}

  /** The check for a version's bytes; undefined when its tenant requires none and it carries none. Refuses at once when it cannot pass. */
  async checkFor(owner: SignedVersion): Promise<ArtifactCheck | undefined> {
    const info = await this.info(owner);
    const { signature } = info;
    if (!signature) {
      if (!info.required) return undefined;
      const refusal = info.refusal ?? 'signature_required';
      const detail =
        refusal === 'signature_required'
          ? `tenant '${owner.tenantId}' requires signed artifacts and version ${owner.version} has no signature`
          : `version ${owner.version}'s signing key is no longer trusted`;
      throw await this.refuse(owner, refusal, detail);
    }
    return async (path) => {
      const bytes = await readFile(path);
      if (!verifyArtifactSignature(bytes, signature.signature, { algorithm: signature.algorithm, spki: signature.publicKey })) {
        throw await this.refuse(owner, 'signature_invalid', `the artifact's bytes do not verify against key ${signature.keyId} (${signature.algorithm}): changed since it was signed`);
      }
    };
  }

  private async info(owner: SignedVersion): Promise<ArtifactSignatureInfo> {
    const path = `/internal/signatures/${encodeURIComponent(owner.tenantId)}/${encodeURIComponent(owner.model)}/${owner.version}`;
    const authorization = await serviceBearer(this.serviceToken, `signature of ${owner.model}@${owner.version}`);
    const response = await fetch(`${this.registryUrl}${path}`, { headers: { authorization } }).catch((error: Error) => {
      throw new ArtifactFetchError(`signature of ${owner.model}@${owner.version}: registry unreachable (${error.message})`, true);
    });
    if (!response.ok) throw new ArtifactFetchError(`signature of ${owner.model}@${owner.version}: registry answered ${response.status}`, response.status >= 500);
    const parsed = ArtifactSignatureInfoSchema.safeParse(await response.json());
    if (!parsed.success) throw new ArtifactFetchError(`signature of ${owner.model}@${owner.version}: the registry's answer is not an ArtifactSignatureInfo`, false);
    return parsed.data;
  }

  /** Reports the refusal (audited by the registry) and makes its error; the refusal stands even if the report is lost. */
  private async refuse(owner: SignedVersion, refusal: SignatureRefusal, detail: string): Promise<SignatureRefusedError> {
    const error = new SignatureRefusedError(refusal, detail);
    const report: SignatureLoadRefusal = { tenantId: owner.tenantId, model: owner.model, version: owner.version, refusal, reason: error.message.slice(0, 500) };
    try {
      const response = await fetch(`${this.registryUrl}/internal/signatures/refusals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await this.serviceToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify(report),
      });
      if (!response.ok) throw new Error(`registry answered ${response.status}`);
    } catch (reportError) {
      this.logger.error({ tenant: owner.tenantId, model: owner.model, version: owner.version, refusal, error: (reportError as Error).message }, 'signature refusal not reported to the registry');
    }
    this.logger.warn({ tenant: owner.tenantId, model: owner.model, version: owner.version, refusal }, 'model version refused: its signature does not hold');
    return error;
  }
}
