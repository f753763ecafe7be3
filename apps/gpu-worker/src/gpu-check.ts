import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InferenceSession, Tensor, env as ortEnv } from 'onnxruntime-node';
import { CUDA_PROVIDER_LIBRARIES, detectExecutionProvider, loadGpuSettings, ortBindingDir, providerConfig } from '@falaj/worker-runtime';

/**
 * `npm run gpu-check`: proves the CUDA execution provider works on this machine and times a model
 * on it. Exits non-zero, saying why, when it does not. Prints only what it measured.
 */
async function main(): Promise<number> {
  const settings = loadGpuSettings();
  const binding = ortBindingDir();
  console.log(`onnxruntime-node ${ortEnv.versions.common ?? '?'}; binding ${binding}`);
  for (const lib of CUDA_PROVIDER_LIBRARIES) {
    console.log(`  ${lib}: ${existsSync(join(binding, lib)) ? 'present' : 'MISSING'}`);
  }
  const report = await detectExecutionProvider('gpu', settings);
  if (report.name !== 'cuda') {
    console.error(`\nNO GPU: ${report.reason}`);
    console.error('The gpu-worker will refuse to join the GPU pool here (unless FALAJ_GPU_ALLOW_CPU_FALLBACK=true).');
    return 1;
  }
  console.log(`provider cuda, device ${settings.deviceId}, memory limit ${settings.memoryLimitBytes || 'none'}`);
  const model = resolve(__dirname, '../../../../models/tiny-mlp.onnx');
  const session = await InferenceSession.create(model, { executionProviders: providerConfig('cuda', settings) });
  try {
    for (const batch of [1, 64]) {
      const feeds = { input: new Tensor('float32', new Float32Array(batch * 4).fill(0.5), [batch, 4]) };
      await session.run(feeds);
      const times: number[] = [];
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        await session.run(feeds);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      console.log(`tiny-mlp batch ${batch} on cuda:${settings.deviceId}: p50 ${times[100].toFixed(3)} ms, p99 ${times[197].toFixed(3)} ms (200 runs)`);
    }
  } finally {
    await session.release();
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`gpu-check failed: ${error.message}`);
    process.exit(2);
  },
);
