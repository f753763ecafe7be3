import { spawn, type ChildProcess } from 'node:child_process';
import { eventually, freePort, repoRoot } from '@falaj/testing';

/**
 * A bare Fastify server in its own process that answers a JSON POST with its body: the HTTP
 * limit of this machine, to put the gateway's throughput in proportion. With `tls` (a certificate
 * the bench trusts) it serves HTTPS the way the gateway does — HTTP/2 by ALPN with HTTP/1.1 beside
 * it, the same certificate — so the cost of TLS on the gateway's rows has a like-for-like echo.
 */
export async function startEchoServer(tls?: { certFile: string; keyFile: string }): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const options = tls
    ? `{ logger: false, http2: true, https: { allowHTTP1: true, cert: require('fs').readFileSync(${JSON.stringify(tls.certFile)}), key: require('fs').readFileSync(${JSON.stringify(tls.keyFile)}) } }`
    : '{ logger: false }';
  const code = `
    const app = require('fastify')(${options});
    app.post('/echo', async (request) => request.body);
    app.listen({ port: ${port}, host: '127.0.0.1' });
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { cwd: repoRoot(), stdio: 'ignore' });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/echo`;
  await eventually('echo server', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
    return response?.ok ? true : undefined;
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
