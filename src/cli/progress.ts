import cliProgress from 'cli-progress';

/**
 * Progress on a terminal: one bar with the current file and step. Without a terminal (CI, pipes, log
 * files): the messages, plus a "done/total" line at most every 10 seconds, so logs stay readable.
 */
export interface Progress {
  update(done: number, detail: string): void;
  log(line: string): void;
  stop(): void;
}

export function createProgress(total: number, label: string): Progress {
  if (!process.stderr.isTTY) {
    let last = performance.now();
    return {
      update: (done) => {
        const now = performance.now();
        if (now - last < 10_000 && done < total) return;
        last = now;
        process.stderr.write(`${label}: ${done}/${total}\n`);
      },
      log: (line) => process.stderr.write(`${line}\n`),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {detail}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { detail: '' });
  return {
    update: (done, detail) => bar.update(done, { detail }),
    log: (line) => {
      // Print above the bar without breaking it.
      process.stderr.write(`\r\x1b[K${line}\n`);
      bar.render();
    },
    stop: () => bar.stop(),
  };
}
