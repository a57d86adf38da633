import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp } from './app';
import type { ServerLimits } from './limits';

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  distDir: string;
  /** Codebook JSON to serve and index with; ignored if the file does not exist. */
  codebookPath?: string;
  /** Extractor manifest (extractor.json) for search by image; ignored if the file does not exist. */
  extractorManifestPath?: string;
  limits?: Partial<ServerLimits>;
  version: string;
}

/** Starts the server and stops it cleanly on SIGINT/SIGTERM. Resolves with the listening address. */
export async function serve(options: ServeOptions): Promise<string> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const app = await buildApp({
    distDir: options.distDir,
    dataDir,
    codebookPath: options.codebookPath,
    extractorManifestPath: options.extractorManifestPath,
    limits: options.limits,
    logger: true,
    version: options.version,
  });
  const address = await app.listen({ port: options.port, host: options.host });
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return address;
}
