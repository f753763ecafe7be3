import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunLedger } from './run-ledger';

describe(RunLedger.name, () => {
  describe('ran', () => {
    it('appends a line per run, continuing a file a previous worker left', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'run-ledger-'));
      try {
        const file = join(dir, 'runs');
        const first = new RunLedger(file);
        first.ran('r1', 'd1', 'gw');
        await first.close();
        const second = new RunLedger(file);
        second.ran('r2', 'd2', 'gw');
        second.ran('r1', 'd3', 'router');
        await second.close();
        expect(readFileSync(file, 'utf8')).toBe('r1 d1 gw\nr2 d2 gw\nr1 d3 router\n');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('writes nothing without a file', async () => {
      const ledger = new RunLedger();
      expect(() => ledger.ran('r', 'd', 'gw')).not.toThrow();
      await expect(ledger.close()).resolves.toBeUndefined();
    });
  });
});
