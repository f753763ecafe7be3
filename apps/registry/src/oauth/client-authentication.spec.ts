import { clientCredentialsOf } from './client-authentication';
import { OAuthProtocolError } from './oauth.exception';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('clientCredentialsOf', () => {
  it('reads HTTP Basic, form-urlencoded parts included', () => {
    expect(clientCredentialsOf(basic('acme.1f', 's3%3Acret'), {})).toEqual({ clientId: 'acme.1f', secret: 's3:cret' });
  });

  it('reads client_secret_post', () => {
    expect(clientCredentialsOf(undefined, { client_id: 'a', client_secret: 'b' })).toEqual({ clientId: 'a', secret: 'b' });
  });

  it('refuses two methods at once, none at all, and another scheme', () => {
    expect(() => clientCredentialsOf(basic('a', 'b'), { client_id: 'a' })).toThrow('one client authentication method');
    expect(() => clientCredentialsOf(undefined, {})).toThrow(OAuthProtocolError);
    expect(() => clientCredentialsOf('Bearer x', {})).toThrow('HTTP Basic');
    expect(() => clientCredentialsOf(`Basic ${Buffer.from('nocolon').toString('base64')}`, {})).toThrow('malformed');
  });
});
