import { createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type Redis from 'ioredis';
import { SignJWT, errors, jwtVerify } from 'jose';
import { AccessTokenVerifier, Authenticator, InvalidTokenError, RevocationList, type Principal } from '@falaj/auth';
import { revokedClientField, revokedTokenField } from '@falaj/contracts';
import { LocalIssuer } from '@falaj/testing';
import { summarize } from './percentiles';

/**
 * The authentication cost of one request, in process (no apps): the asymmetric access tokens
 * every app verifies now (AccessTokenVerifier over a loopback issuer's discovery and JWKS, with
 * the built-in issuer's revocation list) against the HS256 shared-secret path they replaced
 * (TokenService as of cac9862, reproduced below). Cold = a token seen for the first time (the
 * signature checked); cached = the same token again (a client reuses its token for its lifetime).
 */
export interface AuthCost {
  name: string;
  kind: 'cold' | 'cached';
  calls: number;
  /** Per call, µs (performance.now() around each awaited call). */
  p50: number;
  p99: number;
  /** Wall time of the timed calls over their number, µs (the tail included, unlike p50). */
  mean: number;
  /** User + system CPU of the process over the timed calls (process.cpuUsage), per call. */
  cpuMsPerReq: number;
}

export interface AuthCostReport {
  results: AuthCost[];
  cachedCalls: number;
  coldCalls: number;
  /** JWKS fetches while timing (0: the key set was in memory throughout). */
  jwksFetchesTimed: number;
  revokedClients: number;
  revokedTokens: number;
}

/** A cached call costs well under a microsecond: fewer calls than this time a few ms, which one preemption doubles. */
const CACHED_CALLS = Number(process.env.FALAJ_BENCH_AUTH_CACHED_CALLS ?? 200_000);
const COLD_CALLS = Number(process.env.FALAJ_BENCH_AUTH_COLD_CALLS ?? 3_000);
const REVOKED_CLIENTS = 200;
const REVOKED_TOKENS = 1_000;
/** Token lifetime; the verifier allows twice that, as an app's config would. */
const TTL_SECONDS = 900;

/**
 * The HS256 verification every app ran before the asymmetric issuers: TokenService.verify of
 * cac9862 (libs/auth/src/token.service.ts), unchanged but for the error class — jose's
 * jwtVerify over one KeyObject made once, verified tokens cached by their string until `exp`.
 */
class Hs256TokenService {
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly key: KeyObject) {}

  async verify(token: string): Promise<Principal> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.principal;
      this.verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'falaj', audience: 'falaj', algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.tenant !== 'string') {
        throw new InvalidTokenError('token lacks its subject or tenant');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      const principal: Principal = { subject: payload.sub, tenantId: payload.tenant, scopes: scope.split(' ').filter(Boolean) };
      if (typeof payload.residency === 'string') principal.residency = payload.residency;
      if (typeof payload.exp === 'number') {
        if (this.verified.size >= 10_000) this.verified.clear();
        this.verified.set(token, { principal: Object.freeze(principal), expiresAt: payload.exp * 1000 });
      }
      return principal;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('token has expired');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError(`token is invalid: ${error.code}`);
      throw error;
    }
  }
}

interface Case {
  name: string;
  kind: AuthCost['kind'];
  call: (token: string) => Promise<Principal>;
  /** Distinct tokens (or headers) for the warm-up, then for the timed calls; one each when cached. */
  warm: string[];
  timed: string[];
}

export async function measureAuthCost(options: { cachedCalls?: number; coldCalls?: number } = {}): Promise<AuthCostReport> {
  const cachedCalls = options.cachedCalls ?? CACHED_CALLS;
  const coldCalls = options.coldCalls ?? COLD_CALLS;
  // Warm-ups long enough for V8 to have optimised the path before timing starts (its compiler
  // threads' CPU would otherwise land in the first timed calls of a short cold case).
  const warmCached = Math.max(1, Math.floor(cachedCalls / 4));
  const warmCold = Math.max(1, Math.floor(coldCalls / 3));

  const issuer = new LocalIssuer();
  await issuer.start(); // an ES256 key
  try {
    const now = Math.floor(Date.now() / 1000);
    const claims = () => ({ sub: 'bench-client', client_id: 'bench-client', tenant: 'bench', scope: 'infer models:read', residency: 'ae', jti: randomUUID(), nbf: now, exp: now + TTL_SECONDS });

    // Every token is signed before anything is timed; the RS256 key is published before the
    // first verification, so no timed call meets an unknown kid (which would refetch the JWKS).
    const secret = createSecretKey(randomBytes(32));
    const hs256 = async () => {
      const { sub, ...rest } = claims();
      return new SignJWT(rest).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuer('falaj').setAudience('falaj').setIssuedAt(now).sign(secret);
    };
    const many = async (n: number, sign: () => Promise<string>) => {
      const tokens: string[] = [];
      for (let i = 0; i < n; i++) tokens.push(await sign());
      return tokens;
    };
    /** Signed with the issuer's newest key: ES256, then RS256 once that key is added. */
    const newest = () => issuer.sign(claims());
    const hsCold = { warm: await many(warmCold, hs256), timed: await many(coldCalls, hs256) };
    const hsOne = await hs256();
    const esCold = { warm: await many(warmCold, newest), timed: await many(coldCalls, newest) };
    const esOne = await newest();
    await issuer.addKey('RS256');
    const rsCold = { warm: await many(warmCold, newest), timed: await many(coldCalls, newest) };

    // The real RevocationList, fed a whole read of the hash as Redis would give it (reload() is
    // what start() and every announcement call); no connection is ever opened.
    const fields: Record<string, string> = {};
    for (let i = 0; i < REVOKED_CLIENTS; i++) fields[revokedClientField(`revoked-client-${i}`)] = String(now - 60);
    for (let i = 0; i < REVOKED_TOKENS; i++) fields[revokedTokenField(randomUUID())] = String(now + TTL_SECONDS);
    const fakeRedis = { hgetall: async () => fields } as unknown as Redis;
    const revocations = new RevocationList(fakeRedis, {} as Redis, 'bench', issuer.url);
    await revocations.reload();
    if (!revocations.isRevoked({ iss: issuer.url, sub: 'revoked-client-0', iat: now - 120 })) throw new Error('the revocation list was not fed');

    // One verifier per case (each fetches discovery and the JWKS once, in its warm-up).
    const verifier = () => new AccessTokenVerifier([issuer.trusted()], { clockToleranceSeconds: 30, maxLifetimeSeconds: 2 * TTL_SECONDS, revocations });
    const legacy = () => new Hs256TokenService(secret);
    const repeat = (token: string, n: number) => new Array<string>(n).fill(token);
    const bound =
      <T extends { verify(t: string): Promise<Principal> }>(v: T) =>
      (t: string) =>
        v.verify(t);
    const authenticator = new Authenticator(verifier());
    const cases: Case[] = [
      { name: 'hs256 cached', kind: 'cached', call: bound(legacy()), warm: repeat(hsOne, warmCached), timed: repeat(hsOne, cachedCalls) },
      { name: 'hs256 cold', kind: 'cold', call: bound(legacy()), ...hsCold },
      { name: 'es256 cached', kind: 'cached', call: bound(verifier()), warm: repeat(esOne, warmCached), timed: repeat(esOne, cachedCalls) },
      {
        name: 'es256 cached, Authenticator (Bearer header)',
        kind: 'cached',
        call: (header) => authenticator.authenticate(header),
        warm: repeat(`Bearer ${esOne}`, warmCached),
        timed: repeat(`Bearer ${esOne}`, cachedCalls),
      },
      { name: 'es256 cold', kind: 'cold', call: bound(verifier()), ...esCold },
      { name: 'rs256 cold', kind: 'cold', call: bound(verifier()), ...rsCold },
    ];

    const results: AuthCost[] = [];
    let jwksFetchesTimed = 0;
    for (const c of cases) {
      for (const token of c.warm) await c.call(token);
      const fetchesBefore = issuer.jwksFetches;
      results.push(await timed(c));
      jwksFetchesTimed += issuer.jwksFetches - fetchesBefore;
    }
    return { results, cachedCalls, coldCalls, jwksFetchesTimed, revokedClients: REVOKED_CLIENTS, revokedTokens: REVOKED_TOKENS };
  } finally {
    await issuer.stop();
  }
}

async function timed(c: Case): Promise<AuthCost> {
  const n = c.timed.length;
  const latencies = new Array<number>(n);
  const principal = await c.call(c.timed[0]); // outside the timing: proves the case verifies
  if (principal.tenantId !== 'bench') throw new Error(`${c.name}: verified to tenant ${principal.tenantId}`);
  const cpu = process.cpuUsage();
  const began = performance.now();
  for (let i = 0; i < n; i++) {
    const token = c.timed[i];
    const start = performance.now();
    await c.call(token);
    latencies[i] = (performance.now() - start) * 1000;
  }
  const wall = performance.now() - began;
  const used = process.cpuUsage(cpu);
  const { p50, p99 } = summarize(latencies, n, 1);
  return { name: c.name, kind: c.kind, calls: n, p50, p99, mean: (wall * 1000) / n, cpuMsPerReq: (used.user + used.system) / 1000 / n };
}

const us = (v: number) => v.toFixed(v < 10 ? 2 : 1);
const cpuMs = (v: number) => (v < 0.01 ? v.toPrecision(2) : v.toFixed(3));
const times = (v: number) => `×${v < 10 ? v.toFixed(2) : v.toFixed(0)}`;

export function authCostTable(report: AuthCostReport): string {
  const hsCached = report.results.find((r) => r.name === 'hs256 cached')!;
  const hsCold = report.results.find((r) => r.name === 'hs256 cold')!;
  const lines = ['| case | calls | p50 µs | p99 µs | mean µs | CPU ms/req | CPU vs hs256 cached | CPU vs hs256 cold |', '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of report.results) {
    const vsCold = r.kind === 'cold' ? times(r.cpuMsPerReq / hsCold.cpuMsPerReq) : '';
    lines.push(`| ${r.name} | ${r.calls} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.mean)} | ${cpuMs(r.cpuMsPerReq)} | ${times(r.cpuMsPerReq / hsCached.cpuMsPerReq)} | ${vsCold} |`);
  }
  return lines.join('\n');
}

/** How the figures were taken, for the table's readers. */
export function authCostNotes(report: AuthCostReport): string {
  return [
    `- In the bench process, no apps, no network on the timed path: ${report.cachedCalls} calls per cached case and ${report.coldCalls} per cold case, each case warmed up first (a quarter as many calls when cached, a third when cold), every token signed before any timing. *p50/p99* are per awaited call (performance.now()), *mean* the timed calls' wall time over their number; *CPU ms/req* is the process's user + system CPU (process.cpuUsage) over the timed calls, divided by the calls — the timing itself included, and V8's background threads (GC, compiler) with it, which is why it can exceed the mean.`,
    '- **hs256**: the path the apps ran before the asymmetric issuers — TokenService.verify as of cac9862 (reproduced in auth-cost.ts): jose `jwtVerify` over a 32-byte secret made into a KeyObject once, verified tokens cached by their string until `exp`. *cold*: a distinct token per call; *cached*: the same token each call (a Map lookup and the `exp` check).',
    `- **es256 / rs256**: \`AccessTokenVerifier\` of @falaj/auth over a \`LocalIssuer\` on loopback (OIDC discovery and JWKS over HTTP, fetched once in the warm-up, then jose's in-memory key set; JWKS fetches while timing: ${report.jwksFetchesTimed}), with the real \`RevocationList\` fed a read of ${report.revokedClients} revoked clients and ${report.revokedTokens} revoked tokens (no Redis: its \`reload()\` is given the hash), so every call, cached or not, does its two lookups (both miss). *cold*: a distinct token per call (decode for \`iss\`, signature, claims, lifetime, revocation, claim mapping, cache insert); *cached*: the same token each call (the steady state: a client reuses its token for its lifetime). rs256 is the Keycloak-style path (a 2048-bit RSA key).`,
    "- **Authenticator**: `Authenticator.authenticate('Bearer …')` on the cached ES256 token: the header parsed, the API-key check, then the verifier.",
  ].join('\n');
}

/** The report's section ("Authentication cost per request"). */
export function authCostSection(report: AuthCostReport): string {
  return ['## Authentication cost per request', '', authCostNotes(report), '', authCostTable(report)].join('\n');
}
