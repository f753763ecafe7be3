import { Worker } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** What the batcher runs a batch on: a session on this thread or on a worker thread. */
export interface InstanceRunner {
  run(feeds: Record<string, Tensor>, fetches?: string[]): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** An instance on the worker's JavaScript thread: no hand-off, but it blocks the thread while it runs. */
export function inProcessRunner(session: InferenceSession): InstanceRunner {
  return {
    run: (feeds, fetches) => (fetches ? session.run(feeds, fetches) : session.run(feeds)),
    release: () => session.release(),
  };
}

interface WireTensor {
  name: string;
  type: Tensor.Type;
  dims: readonly number[];
  data: Tensor.DataType;
}

// The thread's whole program. Plain JavaScript evaluated by the Worker, so it needs no build step
// and no file beside the compiled output; onnxruntime-node is required by absolute path.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
let session;
const wire = (name, t) => ({ name, type: t.type, dims: t.dims, data: t.data });
parentPort.on('message', async (m) => {
  try {
    if (m.kind === 'release') {
      await session?.release();
      parentPort.postMessage({ id: m.id });
      return;
    }
    const feeds = {};
    for (const t of m.feeds) feeds[t.name] = new ort.Tensor(t.type, t.data, t.dims);
    const out = await (m.fetches ? session.run(feeds, m.fetches) : session.run(feeds));
    parentPort.postMessage({ id: m.id, outputs: Object.entries(out).map(([name, t]) => wire(name, t)) });
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
  }
});
ort.InferenceSession.create(workerData.path, workerData.options).then(
  (s) => { session = s; parentPort.postMessage({ id: 0 }); },
  (error) => parentPort.postMessage({ id: 0, error: String((error && error.message) || error) }),
);
`;

/**
 * An instance on its own worker thread. onnxruntime-node runs a session synchronously on the
 * thread that calls it, so instances on the JavaScript thread take turns; on worker threads they
 * run in parallel and leave the JavaScript thread free to read the stream and send replies.
 * Tensors cross by copy (one compact copy, transferred); outputs come back the same way.
 */
export class ThreadRunner implements InstanceRunner {
  private readonly pending = new Map<number, { resolve(value: { outputs?: WireTensor[] }): void; reject(error: Error): void }>();
  private nextId = 1;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; outputs?: WireTensor[]; error?: string }) => {
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) waiter.reject(new Error(m.error));
      else waiter.resolve(m);
    });
    const fail = (error: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`session thread exited with ${code}`)));
  }

  static async create(path: string, options: InferenceSession.SessionOptions): Promise<ThreadRunner> {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { ort: require.resolve('onnxruntime-node'), path, options } });
    const runner = new ThreadRunner(worker);
    try {
      await new Promise((resolve, reject) => runner.pending.set(0, { resolve, reject }));
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return runner;
  }

  async run(feeds: Record<string, Tensor>, fetches?: string[]): Promise<Record<string, Tensor>> {
    const transfer: ArrayBuffer[] = [];
    const wire = Object.entries(feeds).map(([name, tensor]): WireTensor => {
      let data = tensor.data;
      if (!Array.isArray(data)) {
        // A view may sit in a larger buffer (a Redis reply, Node's pool): send a compact copy.
        data = (data as Float32Array).slice();
        transfer.push(data.buffer as ArrayBuffer);
      }
      return { name, type: tensor.type, dims: tensor.dims, data };
    });
    const id = this.nextId++;
    const reply = await new Promise<{ outputs?: WireTensor[] }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, feeds: wire, fetches }, transfer);
    });
    return Object.fromEntries((reply.outputs ?? []).map((t) => [t.name, new Tensor(t.type as 'float32', t.data as Float32Array, t.dims)]));
  }

  async release(): Promise<void> {
    const id = this.nextId++;
    await new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, kind: 'release' });
    }).catch(() => undefined);
    await this.worker.terminate();
  }
}
