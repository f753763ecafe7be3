import { BackboneUnavailableError, unavailableOnDatabaseLoss, unavailableOnRedisLoss } from './backbone-unavailable';
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
    const domain = new DomainError(404, "model 'm' not found", 'model_not_found');
    const bug = new TypeError('x is undefined');
    expect(unavailableOnRedisLoss(domain)).toBe(domain);
    expect(unavailableOnRedisLoss(bug)).toBe(bug);
    expect(unavailableOnRedisLoss('a string')).toBe('a string');
  });
});

describe('unavailableOnDatabaseLoss', () => {
  const coded = (message: string, code: string): Error => Object.assign(new Error(message), { code });
  it.each([
    ['a refused connection', coded('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a server shutting down', coded('terminating connection due to administrator command', '57P01')],
    ['a server starting up', coded('the database system is starting up', '57P03')],
    ['a connection exception', coded('connection failure', '08006')],
    ['too many connections', coded('sorry, too many clients already', '53300')],
    ['a connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['a pool that could not connect in time', new Error('timeout exceeded when trying to connect')],
  ])('makes %s a retryable 503 that names no host', (_what, error) => {
    const mapped = unavailableOnDatabaseLoss(error) as BackboneUnavailableError;
    expect(mapped).toBeInstanceOf(BackboneUnavailableError);
    expect(mapped.status).toBe(503);
    expect(mapped.retryAfterSeconds).toBe(1);
    expect(mapped.message).not.toContain('127.0.0.1');
  });

  it("leaves the records' own refusals (integrity, data) and other errors alone", () => {
    for (const error of [coded('duplicate key value violates unique constraint', '23505'), coded('invalid input syntax', '22P02'), new Error('something else')]) {
      expect(unavailableOnDatabaseLoss(error)).toBe(error);
    }
  });
});
