import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { CurrentPrincipal, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { SignatureLoadRefusalSchema, type ArtifactSignatureInfo, type SignatureLoadRefusal } from '@falaj/contracts';
import { ZodPipe } from '@falaj/http';
import { SigningService } from './signing.service';

const VersionNumber = z.coerce.number().int().positive().max(2_147_483_647);

/**
 * Workers, with their service token (the scope they fetch artifacts with), ask here before they
 * make a session of a version, and report what they refused; users never see these paths. Asked
 * by version, not by hash: two tenants may hold the same bytes under different keys.
 */
@Controller('internal/signatures')
@RequireScopes(SCOPES.artifactsRead)
export class InternalSignaturesController {
  constructor(private readonly signing: SigningService) {}

  @Get(':tenant/:model/:version')
  info(@Param('tenant') tenant: string, @Param('model') model: string, @Param('version', new ZodPipe(VersionNumber)) version: number): Promise<ArtifactSignatureInfo> {
    return this.signing.signatureInfo(tenant, model, version);
  }

  @Post('refusals')
  @HttpCode(204)
  async refusal(@CurrentPrincipal() principal: Principal, @Body(new ZodPipe(SignatureLoadRefusalSchema)) refusal: SignatureLoadRefusal): Promise<void> {
    await this.signing.recordLoadRefusal(principal, refusal);
  }
}
