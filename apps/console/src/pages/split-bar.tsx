import type { Target } from '../lib/types';

/** The traffic split as a bar: one segment per version, as wide as its weight. */
export function SplitBar({ targets, testId }: { targets: Target[]; testId: string }) {
  return (
    <div className="split" data-testid={testId}>
      {targets
        .filter((t) => t.weight > 0)
        .map((t, i) => (
          <span key={t.version} className={`segment c${i % 4}`} style={{ flexGrow: t.weight }} data-version={t.version} data-weight={t.weight}>
            v{t.version} {t.weight} %
          </span>
        ))}
    </div>
  );
}
