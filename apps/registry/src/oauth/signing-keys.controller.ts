import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes, SCOPES } from '@falaj/auth';
import { SigningKeysService } from './signing-keys.service';

/** Platform administration: the built-in issuer's signing keys. */
@ApiTags('oauth')
@ApiBearerAuth()
@Controller('admin/signing-keys')
@RequireScopes(SCOPES.platformAdmin)
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  @ApiOperation({ summary: 'The signing keys and their state (next | signing | retiring | retired); never a private key' })
  async list() {
    return { keys: await this.keys.list() };
  }

  @Post('rotate')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rotate: a new key is published now and signs after the activation delay; the old one stays published while its tokens live' })
  @ApiOkResponse({ schema: { example: { kid: '5b0c…', activatesAt: '2026-12-01T12:00:30.000Z' } } })
  rotate() {
    return this.keys.rotate();
  }
}
