import cliProgress from 'cli-progress';

/**
 * Progress on a terminal: one bar with the current file and step; without a terminal (CI, pipes)
 * one line per finished item, so logs stay readable.
 */
export interface Progress {
  update(done: number, detail: string): void;
  log(line: string): void;
  stop(): void;
}

export function createProgress(total: number, label: string): Progress {
  if (!process.stderr.isTTY) {
    return {
      update: () => {},
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
