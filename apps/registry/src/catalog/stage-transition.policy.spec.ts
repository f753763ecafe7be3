import type { ModelStage } from '@falaj/contracts';
import { canTransition, rollbackTarget, type TransitionRecord } from './stage-transition.policy';

describe('canTransition', () => {
  it('lets a draft go straight to production', () => {
    expect(canTransition('draft', 'production')).toBe(true);
  });

  it('keeps archived versions out of production until re-staged', () => {
    expect(canTransition('archived', 'production')).toBe(false);
    expect(canTransition('archived', 'staging')).toBe(true);
  });

  it('refuses a no-op transition', () => {
    expect(canTransition('production', 'production')).toBe(false);
  });
});

describe('rollbackTarget', () => {
  const to = (version: number, toStage: ModelStage): TransitionRecord => ({ version, toStage });

  it('returns to the version that served production before the current one', () => {
    const history = [to(1, 'draft'), to(1, 'production'), to(2, 'draft'), to(1, 'staging'), to(2, 'production')];
    const stages = new Map<number, ModelStage>([
      [1, 'staging'],
      [2, 'production'],
    ]);
    expect(rollbackTarget(history, new Set([2]), stages)).toBe(1);
  });

  it('skips a previous production version that has been archived since', () => {
    const history = [to(1, 'production'), to(2, 'production'), to(2, 'archived'), to(3, 'production')];
    const stages = new Map<number, ModelStage>([
      [1, 'staging'],
      [2, 'archived'],
      [3, 'production'],
    ]);
    expect(rollbackTarget(history, new Set([3]), stages)).toBe(1);
  });

  it('has nothing to return to when only one version ever served', () => {
    expect(rollbackTarget([to(1, 'production')], new Set([1]), new Map([[1, 'production']]))).toBeNull();
  });

  it('after a rollback, a second one goes back to where the first started', () => {
    const history = [to(1, 'production'), to(2, 'production'), to(1, 'production')];
    const stages = new Map<number, ModelStage>([
      [1, 'production'],
      [2, 'staging'],
    ]);
    expect(rollbackTarget(history, new Set([1]), stages)).toBe(2);
  });
});
