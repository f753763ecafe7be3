import { JOBS_PAGE_MAX, ListJobsQuerySchema } from './batch.dto';

describe('ListJobsQuerySchema', () => {
  it('defaults to a page of 20, any state, from the newest', () => {
    expect(ListJobsQuerySchema.parse({})).toEqual({ limit: 20 });
  });

  it('caps the page size and refuses a cursor that is not a job id or an unknown state', () => {
    expect(ListJobsQuerySchema.parse({ limit: String(JOBS_PAGE_MAX) }).limit).toBe(JOBS_PAGE_MAX);
    expect(ListJobsQuerySchema.safeParse({ limit: String(JOBS_PAGE_MAX + 1) }).success).toBe(false);
    expect(ListJobsQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(ListJobsQuerySchema.safeParse({ cursor: "x' OR 1=1" }).success).toBe(false);
    expect(ListJobsQuerySchema.safeParse({ state: 'everything' }).success).toBe(false);
    expect(ListJobsQuerySchema.safeParse({ tenant: 'globex' }).success).toBe(false);
  });

  it("takes a state and the previous page's cursor", () => {
    const cursor = '0b7f3c1e-8a2d-4c5b-9e6f-1a2b3c4d5e6f';
    expect(ListJobsQuerySchema.parse({ state: 'running', cursor, limit: '5' })).toEqual({ state: 'running', cursor, limit: 5 });
  });
});
