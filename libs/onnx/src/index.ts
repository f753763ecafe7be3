export * from './invalid-model.error';
export * from './read-model-signature';
export * from './inspect-onnx-model';
export * from './ort-tensor.converter';
export { OIP_TO_ORT_TYPE, oipDatatypeOf } from './ort-datatype';
export * from './onnx-model-scan';
export * from './model-limits.policy';
export * from './inspect-in-child';
