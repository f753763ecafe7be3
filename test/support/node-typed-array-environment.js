// Jest gives each test file its own realm, so `new Float32Array()` there is not an instance of the
// Float32Array that onnxruntime-node's binding checks against. Hand the sandbox Node's own
// typed-array constructors (and Buffer's ArrayBuffer) so tensors cross the boundary intact.
//
// It also makes the test process trust the tests' CA (FalajSuite starts every app with TLS from
// it), whichever way Jest was started (`npm test`, or `npx jest` directly): NODE_EXTRA_CA_CERTS is
// read only when node starts, so instead undici's global dispatcher — what `fetch` and undici's
// `request` use — trusts the system's CAs plus the tests' own, in Node's realm and in the test file's.
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { rootCertificates } = require('node:tls');
const NodeEnvironment = require('jest-environment-node').TestEnvironment;
const { Agent } = require('undici');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const TEST_CERTIFICATES = ['gateway', 'registry', 'router', 'cpu-worker', 'gpu-worker', 'e2e-client'];
let dispatcher;

/** One dispatcher for the whole run: the tests' CA made once (scripts/dev/ca.sh is idempotent). */
function testTrust(rootDir) {
  if (dispatcher) return dispatcher;
  const dir = process.env.FALAJ_TEST_TLS_DIR ?? join(rootDir, '.local', 'tls-test');
  execFileSync('bash', [join(rootDir, 'scripts/dev/ca.sh'), dir, ...TEST_CERTIFICATES], { stdio: ['ignore', 'ignore', 'inherit'] });
  // The test process presents a certificate of the CA too, as an app does (a listener may require one).
  const connect = { ca: [...rootCertificates, readFileSync(join(dir, 'ca.crt'), 'utf8')], cert: readFileSync(join(dir, 'e2e-client.crt')), key: readFileSync(join(dir, 'e2e-client.key')) };
  dispatcher = new Agent({ connect });
  globalThis[GLOBAL_DISPATCHER] = dispatcher;
  return dispatcher;
}

class NodeTypedArrayEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
    this.global[GLOBAL_DISPATCHER] = testTrust(config.projectConfig.rootDir);
  }
}

module.exports = NodeTypedArrayEnvironment;
