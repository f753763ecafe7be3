import { InferenceError } from '@falaj/dispatch';
import { OipError } from '@falaj/oip';
import { QuotaError, ResidencyError, UnroutableError, rateRefusal } from '@falaj/routing';
import { rowRetryOf } from './batch-row-retry.policy';

describe('rowRetryOf', () => {
  it("waits out the tenant's quota for as long as it says, and a full pool stream too", () => {
    expect(rowRetryOf(rateRefusal('acme', 'm', 1500))).toEqual({ retry: true, kind: 'quota', waitMs: 2000, reason: "rate limit exceeded for tenant 'acme' on model 'm'; retry after 2 s" });
    expect(rowRetryOf(new QuotaError(503, 'over capacity: stream full', 1, 'stream_entries'))).toMatchObject({ retry: true, kind: 'quota', waitMs: 1000 });
  });

  it('runs again a row no worker could take yet: not ready, loading, its deadline passed, no reply, no route yet, Redis away', () => {
    for (const error of [
      InferenceError.noWorker('cpu.ae', 'm', 1, 'ae'),
      InferenceError.fromWorker(503, "model 'm' version 1 is loading on this worker", 'r'),
      InferenceError.fromWorker(504, 'the deadline passed while the request was queued', 'r'),
      InferenceError.timeout('no reply from pool cpu.ae within 30000 ms'),
      new Error('Connection is closed.'),
      new UnroutableError("model 'm' has no route"),
    ]) {
      expect(rowRetryOf(error)).toMatchObject({ retry: true, kind: 'not-ready', reason: error.message });
    }
  });

  it("answers what the row itself decided: its input, its model's failure, the tenant's residency", () => {
    for (const error of [
      new OipError(400, "input 'input': shape [1,3] does not match the model's [-1,4]"),
      InferenceError.fromWorker(400, 'bad tensor', 'r'),
      InferenceError.fromWorker(500, 'onnxruntime said …', 'r'),
      InferenceError.fromWorker(422, 'the answer is too large', 'r'),
      new ResidencyError("residency: tenant 'acme' data stays in region 'ae', and model 'm' is deployed only in 'eu'"),
    ]) {
      expect(rowRetryOf(error)).toEqual({ retry: false });
    }
  });
});
