import { Writable } from 'node:stream';
import { progressBar } from './progress';

/** A stream that says it is a terminal, as cli-progress needs one, keeping what is drawn. */
function terminal(isTTY: boolean) {
  const drawn: string[] = [];
  const stream = Object.assign(new Writable({ write: (chunk: Buffer, _e, done) => (drawn.push(chunk.toString()), done()) }), {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => drawn.join('') };
}

describe('progressBar', () => {
  it("draws rows answered and the server's ETA on a terminal", () => {
    const tty = terminal(true);
    const bar = progressBar('job 1a2b', 40, 'rows', tty.stream);
    bar.update(10, { etaText: '3 s' });
    bar.stop();
    expect(tty.text()).toMatch(/job 1a2b \[[^\]]+\] 25% 10\/40 rows \| ETA 3 s/);
  });

  it('draws nothing where no one watches (a pipe, a CI log)', () => {
    const pipe = terminal(false);
    const bar = progressBar('uploading', 1000, 'bytes', pipe.stream);
    bar.update(500);
    bar.stop();
    expect(pipe.text()).toBe('');
  });
});
