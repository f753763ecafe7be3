import { join } from 'node:path';

/**
 * The OIP gRPC `.proto` (package `inference`, service `GRPCInferenceService`). It sits beside
 * `src/` in the source tree, and the build copies it to the same place under `dist/`.
 */
export const OIP_GRPC_PROTO_PATH = join(__dirname, '..', 'proto', 'open_inference_grpc.proto');

/** The options every Falaj gRPC peer loads the proto with; the codec's types assume them. */
export const OIP_GRPC_LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: false,
  arrays: true,
  objects: true,
  oneofs: true,
} as const;
