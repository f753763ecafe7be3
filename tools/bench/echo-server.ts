import { spawn, type ChildProcess } from 'node:child_process';
import { eventually, freePort, repoRoot } from '@falaj/testing';

/**
 * A bare Fastify server in its own process that answers a JSON POST with its body: the HTTP
 * limit of this machine, to put the gateway's throughput in proportion.
 */
export async function startEchoServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const code = `
    const app = require('fastify')({ logger: false });
    app.post('/echo', async (request) => request.body);
    app.listen({ port: ${port}, host: '127.0.0.1' });
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { cwd: repoRoot(), stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/echo`;
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
