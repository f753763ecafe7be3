import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** The lowest port the kernel hands out to outgoing connections (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

function listen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(null));
    // Apps listen on every interface: hold the port there, as they will.
    server.listen(port, () => resolve(server));
  });
}

/**
 * `count` distinct TCP ports nothing listens on right now. They are drawn from below the
 * kernel's ephemeral range on purpose: a port the OS picked with `listen(0)` is an ephemeral one,
 * and between picking it and the app binding it, any of the suite's hundreds of outgoing Kafka,
 * Redis and Postgres connections may take it as its local port (an app then dies with
 * EADDRINUSE). All are held open until all are chosen, so no two are the same.
 */
export async function freePorts(count: number): Promise<number[]> {
  const high = ephemeralLow() - 1;
  const low = Math.min(20_000, high - 1_000);
  const held: Server[] = [];
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > count * 50) throw new Error(`no ${count} free ports in ${low}-${high}`);
    const port = low + Math.floor(Math.random() * (high - low));
    if (ports.includes(port)) continue;
    const server = await listen(port);
    if (!server) continue;
    held.push(server);
    ports.push(port);
  }
  await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}
