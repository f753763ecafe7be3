import { BadRequestException, ForbiddenException, NotFoundException, PayloadTooLargeException, UnauthorizedException } from '@nestjs/common';
import { BackboneUnavailableError, DomainError } from '@falaj/contracts';
import { errorAnswerOf } from './http-exception.filter';

const request = { id: 'req-1' };

describe('errorAnswerOf', () => {
  it('answers a DomainError with its status, message and code', () => {
    expect(errorAnswerOf(new DomainError(404, "model 'm' not found", 'model_not_found'), request)).toEqual([404, { error: "model 'm' not found", code: 'model_not_found' }]);
  });

  it("names a Redis loss's 503 backbone_unavailable when it comes as one", () => {
    expect(errorAnswerOf(new BackboneUnavailableError('redis is away'), request)).toEqual([503, { error: 'redis is away', code: 'backbone_unavailable' }]);
  });

  it.each([
    [new BadRequestException({ message: ['a: required', 'b: too big'] }), 400, 'a: required; b: too big', 'bad_request'],
    [new UnauthorizedException('missing bearer token'), 401, 'missing bearer token', 'unauthorized'],
    [new ForbiddenException('requires scope infer'), 403, 'requires scope infer', 'forbidden'],
    [new NotFoundException('Cannot GET /nowhere'), 404, 'Cannot GET /nowhere', 'not_found'],
    [new PayloadTooLargeException('too big'), 413, 'too big', 'payload_too_large'],
  ])('names a Nest HttpException after its status (%#)', (exception, status, error, code) => {
    expect(errorAnswerOf(exception, request)).toEqual([status, { error, code }]);
  });

  it("names Fastify's own 4xx after their status, never by Fastify's FST_ERR code", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    const badJson = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
    const badType = Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    expect(errorAnswerOf(tooLarge, request)).toEqual([413, { error: 'Request body is too large', code: 'payload_too_large' }]);
    expect(errorAnswerOf(badJson, request)).toEqual([400, { error: 'Body is not valid JSON', code: 'bad_request' }]);
    expect(errorAnswerOf(badType, request)).toEqual([415, { error: 'Unsupported Media Type', code: 'unsupported_media_type' }]);
  });

  it("names a lib's status-carrying error after its status, not by its own code", () => {
    const error = Object.assign(new Error('row 3: not JSON'), { status: 400, code: 'ENOENT' });
    expect(errorAnswerOf(error, request)).toEqual([400, { error: 'row 3: not JSON', code: 'bad_request' }]);
  });

  it('answers anything else 500, code internal, with the request id and without its text', () => {
    expect(errorAnswerOf(new TypeError('x is undefined'), request)).toEqual([500, { error: 'internal error', code: 'internal', requestId: 'req-1' }]);
    expect(errorAnswerOf(Object.assign(new Error('pg down'), { statusCode: 503 }), request)).toEqual([500, { error: 'internal error', code: 'internal', requestId: 'req-1' }]);
  });
});
