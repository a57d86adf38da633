import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy';

const dir = mkdtempSync(join(tmpdir(), 'findable-npy-'));

describe('.npy', () => {
  it('reads what numpy writes (float32 and float64) and numpy reads what we write', () => {
    // numpy is the reference implementation of the format.
    execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np
a = (np.arange(12, dtype=np.float64).reshape(3, 4) / 7)
np.save('${dir}/f8.npy', a); np.save('${dir}/f4.npy', a.astype(np.float32))`,
    ]);
    for (const f of ['f4.npy', 'f8.npy']) {
      const m = readNpy(new Uint8Array(readFileSync(join(dir, f))));
      expect([m.rows, m.cols]).toEqual([3, 4]);
      expect(m.data[5]).toBeCloseTo(5 / 7, 6);
    }
    const ours = writeNpy({ rows: 2, cols: 3, data: Float32Array.of(1, 2, 3, 4, 5, 6.5) });
    writeFileSync(join(dir, 'ours.npy'), ours);
    const back = execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np; a = np.load('${dir}/ours.npy'); print(a.dtype, a.shape, a[1, 2])`,
    ]);
    expect(back.toString().trim()).toBe('float32 (2, 3) 6.5');
  });

  it('refuses other files with a clear error', () => {
    expect(() => readNpy(new TextEncoder().encode('hello world'))).toThrow(/magic/);
    const good = writeNpy({ rows: 2, cols: 2, data: Float32Array.of(1, 2, 3, 4) });
    expect(() => readNpy(good.subarray(0, good.length - 4))).toThrow(/truncated/);
    const nan = writeNpy({ rows: 1, cols: 2, data: Float32Array.of(1, Number.NaN) });
    expect(() => readNpy(nan)).toThrow(expect.objectContaining({ code: 'NOT_FINITE' }) as unknown as Error);
  });
});
