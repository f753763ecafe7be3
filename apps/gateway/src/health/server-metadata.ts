/** What `GET /v2` and gRPC ServerMetadata answer: the same on every protocol. */
export const SERVER_METADATA = {
  name: 'falaj',
  version: '0.1.0',
  /** OIP extensions served: Triton's binary tensor data on REST. */
  extensions: ['binary_tensor_data'],
} as const;
