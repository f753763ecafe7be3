import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FalajSuite, eventually, repoRoot, testTlsDir, type SuiteClient } from '@falaj/testing';

/**
 * The web console as a person uses it: Debian's Chromium (never a downloaded browser), driven by
 * playwright-core, against the five built apps over TLS. The browser trusts the gateway's
 * certificate by its public key alone (--ignore-certificate-errors-spki-list: Chromium skips
 * verification only for a chain holding that exact key), with ignoreHTTPSErrors off: any other
 * certificate is still refused. Screenshots go to .local/test-artifacts/console/.
 */
const ARTIFACTS = join(repoRoot(), '.local', 'test-artifacts', 'console');
const MODEL_FILE = join(repoRoot(), 'models', 'tiny-mlp.onnx');
const ROW = [5.1, 3.5, 1.4, 0.2];
const JOB_ROWS = 40;

/** base64(sha256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium's SPKI list wants it. */
function spkiHash(pemFile: string): string {
  const der = new X509Certificate(readFileSync(pemFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

describe('web console (browser e2e)', () => {
  const suite = new FalajSuite();
  const downloads = join(tmpdir(), `falaj-console-${process.pid}`);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let acme: SuiteClient;
  let beta: SuiteClient;
  let betaJobs: SuiteClient;
  let loadToken: string;
  let load: { stop: boolean; sent: number; done?: Promise<void> } = { stop: true, sent: 0 };
  const metrics: Record<string, unknown> = {};

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const go = async (p: Page, pageName: string) => {
    await p.getByRole('link', { name: pageName, exact: true }).click();
    await p.getByRole('heading', { level: 1, name: pageName }).waitFor();
  };
  const signIn = async (p: Page, account: SuiteClient) => {
    await p.goto(`${suite.gatewayUrl}/console/`);
    await p.getByTestId('sign-in').click();
    await p.waitForURL(/\/oauth2\/authorize\?/);
    await p.fill('#account_id', account.clientId);
    await p.fill('#account_secret', account.clientSecret);
    await p.click('#sign-in');
    await p.getByTestId('who').waitFor();
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    mkdirSync(downloads, { recursive: true });
    await suite.start();
    const admin = await suite.platformAdminToken();
    for (const id of ['acme', 'beta']) expect((await suite.call('POST', '/admin/tenants', admin, { id, name: id, residency: 'ae' })).status).toBe(201);
    acme = await suite.createClient('acme', ['infer', 'models:read', 'models:write', 'deployments:write', 'audit:read'], 'acme-console');
    beta = await suite.createClient('beta', ['models:read'], 'beta-console');
    betaJobs = await suite.createClient('beta', ['infer'], 'beta-jobs');
    loadToken = await suite.token({ tenantId: 'acme', scopes: ['infer'], subject: 'acme-load' });
    writeFileSync(join(downloads, 'rows.ndjson'), Array.from({ length: JOB_ROWS }, (_, i) => JSON.stringify([i / 10, 1, 2, 3])).join('\n') + '\n');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${spkiHash(join(testTlsDir(), 'gateway.crt'))}`],
    });
    context = await browser.newContext({ ignoreHTTPSErrors: false, acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // Every confirm() of the console (archive, switch, abort, cancel) is accepted, as a user would.
    page.on('dialog', (dialog) => void dialog.accept());
  }, 240_000);

  afterAll(async () => {
    load.stop = true;
    await load.done;
    writeFileSync(join(ARTIFACTS, 'metrics.json'), JSON.stringify(metrics, null, 2));
    await browser?.close();
    await suite.stop();
  }, 60_000);

  it('serves static files only, with a strict CSP, cache headers and the SPA fallback', async () => {
    const index = await fetch(`${suite.gatewayUrl}/console/models`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /\/console\/assets\/[^"]+\.js/.exec(html)![0];
    const js = await fetch(`${suite.gatewayUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${suite.gatewayUrl}/console/assets/nothing-here.js`)).status).toBe(404);
    expect((await fetch(`${suite.gatewayUrl}/console/assets/../../index.html`)).status).not.toBe(200);

    // Bundle size (gzip) and first load on loopback, for the report.
    const dir = join(repoRoot(), 'dist', 'console', 'assets');
    const files = readdirSync(dir);
    metrics.bundle = Object.fromEntries(files.map((f) => [f, { bytes: readFileSync(join(dir, f)).length, gzipBytes: gzipSync(readFileSync(join(dir, f))).length }]));
    metrics.bundleGzipBytes = files.reduce((n, f) => n + gzipSync(readFileSync(join(dir, f))).length, 0);
    const fresh = await browser.newContext({ ignoreHTTPSErrors: false });
    const first = await fresh.newPage();
    await first.goto(`${suite.gatewayUrl}/console/`, { waitUntil: 'load' });
    await first.getByTestId('sign-in').waitFor();
    // Run in the page (a string: this file is type-checked without the DOM's types).
    metrics.firstLoad = await first.evaluate(`(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const bytes = performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, nav.transferSize);
      return { domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd, transferBytes: bytes };
    })()`);
    await fresh.close();
  }, 60_000);

  it('signs in by authorization code + PKCE at the built-in issuer, through the gateway only', async () => {
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));
    await page.goto(`${suite.gatewayUrl}/console/`);
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/oauth2\/authorize\?/);
    const authorize = new URL(page.url());
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe('falaj-console');
    await page.fill('#account_id', acme.clientId);
    await page.fill('#account_secret', 'not-the-secret');
    await page.click('#sign-in');
    await expect(page.locator('#error').textContent()).resolves.toContain('wrong secret');
    await shot('01-sign-in');
    await page.fill('#account_id', acme.clientId);
    await page.fill('#account_secret', acme.clientSecret);
    await page.click('#sign-in');
    await expect(page.getByTestId('who').textContent()).resolves.toContain('tenant acme');
    expect(new URL(page.url()).pathname).toBe('/console/models');
    expect([...origins]).toEqual([suite.gatewayUrl]);
  }, 60_000);

  it('refuses a wrong verifier, a reused code and another redirect URI, and never redirects to an unregistered one', async () => {
    const gateway = suite.gatewayUrl;
    const redirectUri = `${gateway}/console/callback`;
    const verifier = randomBytes(32).toString('base64url');
    const request = {
      response_type: 'code',
      client_id: 'falaj-console',
      redirect_uri: redirectUri,
      state: 's1',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const evil = await fetch(`${gateway}/oauth2/authorize?${new URLSearchParams({ ...request, redirect_uri: 'https://evil.example/console/callback' }).toString()}`, { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    const code = async (): Promise<string> => {
      const answer = await fetch(`${gateway}/oauth2/authorize`, {
        method: 'POST',
        redirect: 'manual',
        headers: form,
        body: new URLSearchParams({ ...request, account_id: acme.clientId, account_secret: acme.clientSecret }),
      });
      expect(answer.status).toBe(303);
      const location = new URL(answer.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
      expect(location.searchParams.get('state')).toBe('s1');
      return location.searchParams.get('code')!;
    };
    const redeem = async (value: string, codeVerifier: string, uri = redirectUri) => {
      const answer = await fetch(`${gateway}/oauth2/token`, {
        method: 'POST',
        headers: form,
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'falaj-console', code: value, redirect_uri: uri, code_verifier: codeVerifier }),
      });
      return { status: answer.status, json: (await answer.json()) as { error?: string; error_description?: string; access_token?: string } };
    };
    const refused = { status: 400, json: { error: 'invalid_grant' } };
    const first = await code();
    expect(await redeem(first, randomBytes(32).toString('base64url'))).toMatchObject(refused);
    // A failed redemption spends the code: the right verifier is too late now.
    expect(await redeem(first, verifier)).toMatchObject(refused);
    expect(await redeem(await code(), verifier, `${redirectUri}?x=1`)).toMatchObject(refused);
    const third = await code();
    const good = await redeem(third, verifier);
    expect(good.status).toBe(200);
    expect(await redeem(third, verifier)).toMatchObject({ ...refused, json: { error: 'invalid_grant', error_description: expect.stringContaining('already used') } });
    // The account's own tenant and scopes, so every guard applies unchanged.
    const claims = JSON.parse(Buffer.from(good.json.access_token!.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ tenant: 'acme', sub: acme.clientId, client_id: acme.clientId, azp: 'falaj-console' });
    expect((await suite.call('GET', '/admin/models', good.json.access_token!)).status).toBe(200);
    const discovery = (await (await fetch(`${suite.registryUrl}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      grant_types_supported: expect.arrayContaining(['authorization_code']),
      code_challenge_methods_supported: ['S256'],
      authorization_endpoint: `${suite.registryUrl}/oauth2/authorize`,
    });
  }, 30_000);

  it('uploads a model with progress and promotes it', async () => {
    await page.getByTestId('upload-model').fill('scorer');
    await page.getByTestId('upload-file').setInputFiles(MODEL_FILE);
    await page.getByTestId('upload').click();
    await expect(page.getByTestId('models-message').textContent()).resolves.toContain('uploaded scorer version 1');
    await expect(page.getByTestId('upload-progress').getAttribute('data-done')).resolves.toBe(String(readFileSync(MODEL_FILE).length));
    await page.getByTestId('upload').click();
    await page.getByTestId('models-message').filter({ hasText: 'version 2' }).waitFor();
    await page.getByTestId('promote-1').click();
    await page.getByTestId('version-1').filter({ hasText: 'production' }).waitFor();
    await page.getByTestId('alias-name').fill('champion');
    await page.getByTestId('alias-version').fill('1');
    await page.getByTestId('set-alias').click();
    await page.getByTestId('version-1').filter({ hasText: 'champion' }).waitFor();
    await shot('02-models');
    await eventually(
      'scorer v1 serving',
      async () => {
        const answer = await suite.call('POST', '/v2/models/scorer/infer', loadToken, { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROW }] });
        return answer.status === 200 ? true : undefined;
      },
      60_000,
      500,
    );
  }, 120_000);

  it('starts a canary at 10 %, watches the live chart move under load, and aborts the rollout', async () => {
    // Generated load: one call after another until the test ends, each from another end user
    // (x-routing-key: the split is sticky per key; without one every call goes to the heaviest version).
    load = { stop: false, sent: 0 };
    load.done = (async () => {
      while (!load.stop) {
        const body = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: ROW }] };
        await suite.call('POST', '/v2/models/scorer/infer', loadToken, body, { 'x-routing-key': `user-${load.sent}` }).catch(() => undefined);
        load.sent++;
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();
    await go(page, 'Rollouts');
    await page.getByTestId('rollout-canary').fill('2');
    await page.getByTestId('rollout-steps').fill('10,50,100');
    await page.getByTestId('rollout-pause').fill('600');
    await page.getByTestId('start-rollout').click();
    await page.getByTestId('rollout-weight').filter({ hasText: '10 %' }).waitFor();
    await expect(page.getByTestId('rollout-state').textContent()).resolves.toBe('progressing');
    await shot('03-rollout');
    await go(page, 'Deployments');
    const split = page.getByTestId('split');
    await split.locator('[data-version="2"][data-weight="10"]').waitFor();
    await split.locator('[data-version="1"][data-weight="90"]').waitFor();
    // Placement: both versions of the split, ready on the CPU pool's worker.
    await page.getByTestId('placement').filter({ hasText: 'v1' }).filter({ hasText: 'v2' }).filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 });
    await shot('04-deployment');

    await go(page, 'Live traffic');
    const total = page.getByTestId('traffic-total');
    const first = await eventually(
      'traffic in the chart',
      async () => {
        const n = Number(await total.getAttribute('data-requests'));
        return n > 0 ? n : undefined;
      },
      60_000,
      500,
    );
    // The chart moves: a later refresh (every 3 s) counts more calls than the first.
    await eventually('the chart to move', async () => (Number(await total.getAttribute('data-requests')) > first ? true : undefined), 30_000, 500);
    expect(Number(await page.getByTestId('traffic-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    // Both versions of the split answer: the canary's 10 % shows as its own series.
    await page.getByTestId('traffic').filter({ hasText: 'v1' }).filter({ hasText: 'v2' }).waitFor({ timeout: 60_000 });
    // Each version's queue per pool and its runs by batch size, from the workers' heartbeats.
    const queues = page.getByTestId('queue-depth');
    for (const version of ['1', '2']) await queues.locator(`[data-version="${version}"][data-pool="cpu.ae"]`).waitFor({ timeout: 30_000 });
    const depth = Number(await queues.locator('[data-version="1"][data-pool="cpu.ae"]').getAttribute('data-queue-depth'));
    expect(depth).toBeGreaterThanOrEqual(0);
    const runs = await eventually(
      'v1 runs by batch size',
      async () => {
        const cells = page.getByTestId('batch-sizes').locator('[data-version="1"]');
        const counts = await Promise.all((await cells.all()).map(async (row) => Number(await row.getAttribute('data-runs'))));
        const sum = counts.reduce((n, c) => n + c, 0);
        return sum > 0 ? sum : undefined;
      },
      30_000,
      500,
    );
    metrics.queue = { v1QueueDepth: depth, v1Runs: runs };
    await shot('05-traffic');

    await go(page, 'Rollouts');
    await page.getByTestId('abort-rollout').click();
    await page.getByTestId('rollout-state').filter({ hasText: 'aborted' }).waitFor({ timeout: 30_000 });
    await shot('06-rollout-aborted');
    const deployment = await suite.call('GET', '/admin/models/scorer/deployment', await suite.token({ tenantId: 'acme', scopes: ['models:read'] }));
    // Put back as before the rollout: no deployment, the production version serving alone.
    expect(deployment.status).toBe(404);
    load.stop = true;
    await load.done;
    metrics.loadCallsSent = load.sent;
  }, 180_000);

  it('submits a job, sees it reach 100 % and downloads its results', async () => {
    await go(page, 'Jobs');
    await page.getByTestId('job-file').setInputFiles(join(downloads, 'rows.ndjson'));
    await page.getByTestId('submit-job').click();
    const job = page.getByTestId('job');
    await job.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 90_000 });
    await expect(job.getAttribute('data-percent')).resolves.toBe('100');
    await shot('07-job');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('job-results').click()]);
    const path = join(downloads, 'results.ndjson');
    await download.saveAs(path);
    const rows = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; status: number });
    expect(rows).toHaveLength(JOB_ROWS);
    expect(rows.every((r) => r.status === 200)).toBe(true);

    // The list is the tenant's, not this tab's: a job submitted elsewhere (the API) shows too, first.
    const elsewhere = await suite.call('POST', '/v2/batch/jobs?model=scorer', loadToken, readFileSync(join(downloads, 'rows.ndjson')), { 'content-type': 'application/x-ndjson' });
    expect(elsewhere.status).toBe(201);
    const listed = page.locator(`[data-testid="job"][data-job-id="${(elsewhere.json as { id: string }).id}"]`);
    await listed.waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('job').first().getAttribute('data-job-id')).resolves.toBe((elsewhere.json as { id: string }).id);
    await expect(page.getByTestId('job').count()).resolves.toBe(2);
    await page.locator(`[data-testid="job"][data-job-id="${(elsewhere.json as { id: string }).id}"][data-state="completed"]`).waitFor({ timeout: 90_000 });
    await page.getByTestId('jobs-state').selectOption('cancelled');
    await page.getByTestId('jobs-empty').waitFor();
    await page.getByTestId('jobs-state').selectOption('');
    // Both back once the unfiltered page has loaded again.
    await page.getByTestId('job').nth(1).waitFor();
    await expect(page.getByTestId('job').count()).resolves.toBe(2);
  }, 180_000);

  it("exports the tenant's audit log", async () => {
    await go(page, 'Audit');
    await page.getByTestId('audit').filter({ hasText: 'scorer' }).waitFor();
    await page.getByTestId('audit-model').fill('scorer');
    await page.getByRole('button', { name: 'Filter' }).click();
    await shot('08-audit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const path = join(downloads, 'audit.csv');
    await download.saveAs(path);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.slice(1).every((line) => line.includes('scorer') && line.includes('acme'))).toBe(true);
  }, 60_000);

  it("shows a second tenant's user none of the first's models, and offers a read-only account no write action", async () => {
    const other = await browser.newContext({ ignoreHTTPSErrors: false });
    const betaPage = await other.newPage();
    try {
      await signIn(betaPage, beta);
      await expect(betaPage.getByTestId('who').textContent()).resolves.toContain('tenant beta');
      await betaPage.getByTestId('models').waitFor();
      await expect(betaPage.getByTestId('models').textContent()).resolves.not.toContain('scorer');
      // models:read only: no upload form, no stage buttons, and no page it could not use.
      await expect(betaPage.getByTestId('upload').count()).resolves.toBe(0);
      await expect(betaPage.locator('header nav a').allTextContents()).resolves.toEqual(['Models', 'Deployments', 'Rollouts']);
      await betaPage.screenshot({ path: join(ARTIFACTS, '09-other-tenant.png'), fullPage: true });
      // The API refuses it too, whatever the page offers.
      const token = await betaPage.evaluate<string>(`JSON.parse(sessionStorage.getItem('falaj.console.session')).accessToken`);
      expect((await suite.call('GET', '/admin/models/scorer', token)).status).toBe(404);
      expect((await suite.call('POST', '/admin/models', token, { name: 'nope' })).status).toBe(403);
    } finally {
      await other.close();
    }
    // A beta account that may run jobs: its Jobs page lists none of acme's, nor does the API.
    const jobs = await browser.newContext({ ignoreHTTPSErrors: false });
    const jobsPage = await jobs.newPage();
    try {
      await signIn(jobsPage, betaJobs);
      await go(jobsPage, 'Jobs');
      await jobsPage.getByTestId('jobs-empty').waitFor();
      await expect(jobsPage.getByTestId('job').count()).resolves.toBe(0);
      const token = await jobsPage.evaluate<string>(`JSON.parse(sessionStorage.getItem('falaj.console.session')).accessToken`);
      const listed = await suite.call('GET', '/v2/batch/jobs', token);
      expect(listed.status).toBe(200);
      expect(listed.json).toEqual({ jobs: [], nextCursor: null });
      await jobsPage.screenshot({ path: join(ARTIFACTS, '09b-other-tenant-jobs.png'), fullPage: true });
    } finally {
      await jobs.close();
    }
  }, 90_000);

  it("gives a platform admin the tenants' accounts and quotas, and the tenant pages it has no scope for not at all", async () => {
    const other = await browser.newContext({ ignoreHTTPSErrors: false });
    const admin = await other.newPage();
    admin.on('dialog', (dialog) => void dialog.accept());
    try {
      await signIn(admin, suite.admin);
      await expect(admin.locator('header nav a').allTextContents()).resolves.toEqual(['Audit', 'Platform']);
      await go(admin, 'Platform');
      await admin.getByTestId('tenant-lookup').fill('acme');
      await admin.getByTestId('open-tenant').click();
      await admin.getByTestId('clients').filter({ hasText: acme.clientId }).waitFor();
      await admin.getByTestId('client-name').fill('acme-ops');
      await admin.getByTestId('create-client').click();
      await expect(admin.getByTestId('client-secret').textContent()).resolves.toMatch(/acme\.[0-9a-f]+, secret \S{40,}/);
      await admin.getByTestId('clients').filter({ hasText: 'acme-ops' }).waitFor();
      await admin.getByTestId('quota-rps').fill('50');
      await admin.getByTestId('quota-burst').fill('100');
      await admin.getByTestId('set-quota').click();
      await admin.getByTestId('quota').filter({ hasText: '"rps":50' }).waitFor();
      await admin.screenshot({ path: join(ARTIFACTS, '10-platform.png'), fullPage: true });
      expect((await suite.call('GET', '/admin/tenants/acme/quota', await suite.platformAdminToken())).json).toMatchObject({ rps: 50, burst: 100 });
    } finally {
      await other.close();
    }
  }, 60_000);

  it("leaves no account secret in any app's log (the sign-in form posts one through the gateway)", () => {
    expect(suite.secretsInLogs()).toEqual([]);
  });
});
