/** A progress bar (a <progress> element: styled by CSS, no inline style needed). */
export function Progress({ done, total, label, testId }: { done: number; total: number; label: string; testId: string }) {
  return (
    <div className="progress" data-testid={testId} data-done={done} data-total={total}>
      <progress max={Math.max(1, total)} value={done} />
      <span>{label}</span>
    </div>
  );
}
