import 'reflect-metadata';
import { bootstrapWorker } from '@falaj/worker-runtime';

// Detects whether onnxruntime's CUDA provider really runs; without it the worker stays out of
// the GPU pool (see FALAJ_GPU_ALLOW_CPU_FALLBACK) and /health/status says why.
bootstrapWorker('gpu');
