import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { InferenceSession } from 'onnxruntime-node';
import { InvalidModelError } from './invalid-model.error';
import type { OnnxModelInspection } from './inspect-onnx-model';
import { readOnnxModelHeader } from './onnx-model-header';
import { signatureOf } from './read-model-signature';

/** The bounds of the process that loads an untrusted model. */
export interface InspectionLimits {
  /** V8 heap of the child (`--max-old-space-size`). */
  heapMb: number;
  /** Resident memory (onnxruntime's native allocations included) past which the child is killed. */
  maxRssBytes: number;
  /** Wall-clock time past which the child is killed. */
  timeoutMs: number;
}

/**
 * The child: loads the model at the given graph optimisation level and sends back its metadata.
 * 'disabled' (no constant folding) reads the signature; 'all' loads it as the most folding worker
 * would, so what folding allocates happens here, under the bounds, not on every worker.
 */
const CHILD_SOURCE = `
// VmHWM is this address space's own peak. getrusage's maxrss is not: Linux keeps it across
// execve, so it starts at the spawning process's peak (a Jest worker or a registry past 512 MiB
// made every valid model look over the bound).
const peakOfThisProcess = () => {
  try {
    const match = /VmHWM:\\s+(\\d+) kB/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch { return undefined; }
};
process.once('message', async ({ ort, path, level }) => {
  try {
    const { InferenceSession } = require(ort);
    const session = await InferenceSession.create(path, {
      executionProviders: ['cpu'], graphOptimizationLevel: level, enableCpuMemArena: false,
      intraOpNumThreads: 1, interOpNumThreads: 1,
    });
    const plain = (m) => m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false };
    const peakRssBytes = peakOfThisProcess();
    process.send({ ok: true, peakRssBytes, inputs: session.inputMetadata.map(plain), outputs: session.outputMetadata.map(plain) }, () => process.exit(0));
  } catch (error) {
    const peakRssBytes = peakOfThisProcess();
    process.send({ ok: false, peakRssBytes, error: error && error.message ? error.message : String(error) }, () => process.exit(0));
  }
});
`;

type ChildAnswer = { ok: true; inputs: InferenceSession.ValueMetadata[]; outputs: InferenceSession.ValueMetadata[] } | { ok: false; error: string };

/** What the child sends: its answer and the peak of its resident memory (its VmHWM). */
type ChildMessage = ChildAnswer & { peakRssBytes?: number };

const RSS_POLL_MS = 20;

/**
 * inspectOnnxModel in a child process that holds nothing worth taking: an empty environment
 * (no database URL, no secret), a bounded heap, its resident memory watched (onnxruntime
 * allocates outside the V8 heap) and a deadline; it is killed past any of them and the model is
 * refused with the reason. onnxruntime's graph optimisation is off there, so a constant a
 * 197-byte file declares is not folded (allocated) just to read a signature. The registry's
 * own memory never sees the model.
 */
export async function inspectOnnxModelInChild(path: string, limits: InspectionLimits): Promise<OnnxModelInspection> {
  const answer = await runChild(path, limits, 'disabled');
  if (!answer.ok) throw new InvalidModelError(answer.error);
  const signature = signatureOf(answer.inputs, answer.outputs);
  const header = await readOnnxModelHeader(path);
  return {
    signature,
    ...(header.opset !== undefined ? { opset: header.opset } : {}),
    ...(header.producer ? { producer: header.producer } : {}),
  };
}

/**
 * Loads the model once more in a bounded child, with every graph optimisation on (constant
 * folding included), as a worker may: a bomb in the middle of the graph (a `ConstantOfShape` a
 * `ReduceSum` folds down to a scalar, so no declared tensor is large) allocates here and is
 * refused, past the child's memory bound, instead of on every worker that loads it.
 */
export async function checkOptimizedLoadInChild(path: string, limits: InspectionLimits): Promise<void> {
  const answer = await runChild(path, limits, 'all');
  if (!answer.ok) throw new InvalidModelError(`with graph optimisation on, as the workers load it: ${answer.error}`);
}

function runChild(path: string, limits: InspectionLimits, level: 'disabled' | 'all'): Promise<ChildAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${limits.heapMb}`, '-e', CHILD_SOURCE], {
      env: {},
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let answer: ChildAnswer | undefined;
    let refusal: string | undefined;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4096)));
    const stop = (why: string) => {
      refusal ??= why;
      child.kill('SIGKILL');
    };
    const deadline = setTimeout(() => stop(`loading the model took longer than ${limits.timeoutMs} ms (FALAJ_MODEL_VALIDATION_TIMEOUT_MS)`), limits.timeoutMs);
    const overMemory = `loading the model needed more than ${limits.maxRssBytes} bytes of memory (FALAJ_MODEL_VALIDATION_MAX_RSS_BYTES)`;
    // The poll reads the peak so far (VmHWM), not the resident set now, so a spike between two
    // polls is not missed; it stops a child on its way up. The child's own VmHWM, sent with its
    // answer, judges a load that was quicker than one poll.
    const watch = setInterval(() => {
      const peak = peakResidentBytes(child.pid);
      if (peak !== undefined && peak > limits.maxRssBytes) stop(overMemory);
    }, RSS_POLL_MS);
    child.on('message', (message: ChildMessage) => {
      const { peakRssBytes, ...rest } = message;
      if (peakRssBytes !== undefined && peakRssBytes > limits.maxRssBytes) refusal ??= overMemory;
      answer = rest;
    });
    child.once('error', (error) => {
      clearTimeout(deadline);
      clearInterval(watch);
      reject(error);
    });
    // 'close', not 'exit': 'exit' can come before the child's last IPC message has been read (a
    // loaded machine showed "ended without an answer (exit code 0)" for a model that loaded);
    // 'close' waits for the IPC channel and stderr to drain.
    child.once('close', (code, signal) => {
      clearTimeout(deadline);
      clearInterval(watch);
      if (refusal) return resolve({ ok: false, error: refusal });
      if (answer) return resolve(answer);
      const outOfHeap = /heap out of memory|allocation failed/i.test(stderr);
      resolve({
        ok: false,
        error: outOfHeap
          ? `loading the model needed more than ${limits.heapMb} MB of heap (FALAJ_MODEL_VALIDATION_HEAP_MB)`
          : `the validating process ended without an answer (${signal ?? `exit code ${code}`})`,
      });
    });
    child.send({ ort: require.resolve('onnxruntime-node'), path, level });
  });
}

/** The peak resident set of a process so far, from /proc (Linux); undefined where there is none. */
function peakResidentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
