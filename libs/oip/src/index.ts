export * from './oip.error';
export * from './json-infer-request.decoder';
export * from './json-infer-response.encoder';
export { decodeJsonTensorData, type JsonTensorData } from './json-tensor-data.decoder';
export { encodeJsonTensorData } from './json-tensor-data.encoder';
export { fromHalfBits, toHalfBits } from './half-float';
