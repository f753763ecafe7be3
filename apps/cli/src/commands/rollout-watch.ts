import { CliError } from '../cli-error';
import { EXIT } from '../exit-codes';
import type { FalajClient } from '../http-client';
import type { Runtime } from '../runtime';
import { FINISHED, renderRollout, rolloutOf, type RolloutView } from './rollout';

/**
 * The live view: redrawn in place on a terminal, one block (one JSON line under --json) per
 * change elsewhere, until the rollout finishes. Finishing other than `succeeded` exits 6.
 */
export async function watchRollout(rt: Runtime, client: FalajClient, model: string, id: string, intervalMs: number): Promise<void> {
  const tty = process.stdout.isTTY === true && !rt.json;
  let last = '';
  for (;;) {
    const r: RolloutView = await rolloutOf(client, model, id, false);
    // Redraw when something a person would see moved, not on every poll.
    const key = JSON.stringify([r.state, r.step, r.reason, r.events?.length, r.live?.verdict, r.live?.canary.requests, r.live?.baseline.requests]);
    if (key !== last) {
      if (rt.json) rt.write(`${JSON.stringify(r)}\n`);
      else rt.write(`${tty ? '\x1b[2J\x1b[H' : ''}${renderRollout(r)}\n${tty ? '' : '\n'}`);
      last = key;
    }
    if (FINISHED.includes(r.state)) {
      if (r.state !== 'succeeded') throw new CliError(`rollout ${r.id} ended ${r.state}: ${r.reason}`, EXIT.unsuccessful);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
