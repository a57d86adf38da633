/** All results as one ZIP (fflate, stored: PNG and JPEG are already compressed). */
import { zip } from 'fflate';
import { resultNames } from './names';

export async function buildZip(files: { name: string; extension: string; file: Blob }[]): Promise<Blob> {
  const names = resultNames(files);
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  await Promise.all(
    files.map(async (f, i) => {
      entries[names[i]] = [new Uint8Array(await f.file.arrayBuffer()), { level: 0 }];
    }),
  );
  const bytes = await new Promise<Uint8Array>((resolve, reject) =>
    zip(entries, (err, data) => (err ? reject(err) : resolve(data))),
  );
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}
