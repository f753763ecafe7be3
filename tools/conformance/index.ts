export * from './tensor-proto';
export * from './tensor-compare';
export * from './onnx-test-cases';
export * from './conformance-runner';
