import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import { RouteConfig } from '@nestjs/platform-fastify';
import { IS_PUBLIC, PUBLIC_ROUTE, Public } from './auth.decorators';

const routeConfigOf = (handler: object): unknown => Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler);

describe('Public', () => {
  it('marks a method for the guard and its Fastify route config for the onRequest authentication', () => {
    class Health {
      @Public()
      live(): void {}
      guarded(): void {}
    }
    expect(Reflect.getMetadata(IS_PUBLIC, Health.prototype.live)).toBe(true);
    expect(routeConfigOf(Health.prototype.live)).toEqual({ [PUBLIC_ROUTE]: true });
    expect(routeConfigOf(Health.prototype.guarded)).toBeUndefined();
  });

  it('on a class, marks the class for the guard and every method for the route config', () => {
    @Public()
    class OAuth {
      token(): void {}
      revoke(): void {}
    }
    expect(Reflect.getMetadata(IS_PUBLIC, OAuth)).toBe(true);
    expect(routeConfigOf(OAuth.prototype.token)).toEqual({ [PUBLIC_ROUTE]: true });
    expect(routeConfigOf(OAuth.prototype.revoke)).toEqual({ [PUBLIC_ROUTE]: true });
  });

  it('keeps a route config the method already has', () => {
    class Pages {
      @Public()
      @RouteConfig({ rateLimit: 5 })
      page(): void {}
    }
    expect(routeConfigOf(Pages.prototype.page)).toEqual({ rateLimit: 5, [PUBLIC_ROUTE]: true });
  });
});
