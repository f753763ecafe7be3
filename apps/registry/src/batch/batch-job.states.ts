/** A job's states; an ended job (completed, failed, cancelled) never changes state again. */
export const BATCH_JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type BatchJobState = (typeof BATCH_JOB_STATES)[number];
export const TERMINAL_STATES: readonly BatchJobState[] = ['completed', 'failed', 'cancelled'];
