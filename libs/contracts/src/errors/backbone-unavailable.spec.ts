import { BackboneUnavailableError, unavailableOnRedisLoss } from './backbone-unavailable';
import { DomainError } from './domain.error';

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('unavailableOnRedisLoss', () => {
  it.each([
    ['a closed connection', new Error('Connection is closed.')],
    ['a command aborted by a dropped connection', named('AbortError', 'Command aborted due to connection close')],
    ['retries spent while Redis restarts', named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.')],
    ['a Redis that lost the ACL users', named('ReplyError', 'NOAUTH Authentication required.')],
    ['a wrong password after a restart', named('ReplyError', 'WRONGPASS invalid username-password pair or user is disabled.')],
    ['a Redis still loading', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['a consumer group Redis lost', named('ReplyError', "NOGROUP No such key 'p:pool:cpu.ae:requests' or consumer group 'g'")],
  ])('makes %s a retryable 503', (_what, error) => {
    const mapped = unavailableOnRedisLoss(error);
    expect(mapped).toBeInstanceOf(BackboneUnavailableError);
    expect((mapped as BackboneUnavailableError).status).toBe(503);
    expect((mapped as BackboneUnavailableError).retryAfterSeconds).toBe(1);
  });

  it('leaves a command outside the grant (NOPERM) a bug, not an outage', () => {
    const error = named('ReplyError', "NOPERM User p-gateway has no permissions to run the 'keys' command");
    expect(unavailableOnRedisLoss(error)).toBe(error);
  });

  it('leaves a DomainError and other errors as they are', () => {
    const domain = new DomainError(404, "model 'm' not found");
    const bug = new TypeError('x is undefined');
    expect(unavailableOnRedisLoss(domain)).toBe(domain);
    expect(unavailableOnRedisLoss(bug)).toBe(bug);
    expect(unavailableOnRedisLoss('a string')).toBe('a string');
  });
});
