// Jest gives each test file its own realm, so `new Float32Array()` there is not an instance of the
// Float32Array that onnxruntime-node's binding checks against. Hand the sandbox Node's own
// typed-array constructors (and Buffer's ArrayBuffer) so tensors cross the boundary intact.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class NodeTypedArrayEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = NodeTypedArrayEnvironment;
