import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, PLATFORM_TENANT, RequireScopes, SCOPES, type Principal } from '@falaj/auth';
import { KafkaAccessError } from './kafka-access.exception';
import { KafkaTokenService } from './kafka-token.service';

/** A tenant's login to the broker: its own Kafka principal, for the tenant of the caller's credential. */
@ApiTags('streaming')
@ApiBearerAuth()
@Controller('admin/kafka')
export class KafkaTokenController {
  constructor(private readonly tokens: KafkaTokenService) {}

  @Post('token')
  @HttpCode(200)
  @RequireScopes(SCOPES.infer)
  @ApiOperation({
    summary: "A Kafka token (SASL/OAUTHBEARER) of the caller's tenant, 15 min",
    description:
      "The tenant is the credential's, never the body's. It lets a Kafka client publish to `<prefix>.inference.requests` and read only the tenant's own reply topics and consumer groups (`<prefix>.client.<tenant>.…`).",
  })
  @ApiOkResponse({ schema: { example: { token: 'eyJhbGciOiJFUzI1NiIs…', expires_in: 900, principal: 'tenant.falaj.acme' } } })
  token(@CurrentPrincipal() principal: Principal) {
    if (principal.tenantId === PLATFORM_TENANT) throw KafkaAccessError.platformAccount();
    return this.tokens.issue(principal.tenantId);
  }
}
