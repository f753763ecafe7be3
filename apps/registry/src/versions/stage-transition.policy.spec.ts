import { canTransition } from './stage-transition.policy';

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
