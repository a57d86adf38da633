import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { messageFor } from '../core/error-messages';
import { FindableError, isFindableError } from '../core/errors';
import type { ServerLimits } from '../server/limits';
import type { RegistryStore } from '../server/store/registry-store';
import { registerPhotoCommands } from './photo-commands.ts';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be an integer from 0 to 65535.');
  }
  return port;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

interface ServeCliOptions {
  port: number;
  host: string;
  data: string;
  dist: string;
  codebook: string;
  extractor: string;
  maxPerIp?: number;
  maxSearchesPerIp?: number;
  maxWritesPerToken?: number;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('findable')
    .description('Make published photos findable: activate them for a copy-detection index, search copies.')
    .version(packageVersion())
    .showHelpAfterError();

  program
    .command('serve')
    .description('Serve the built app and the API (what `npm start` runs).')
    .option('-p, --port <port>', 'port to listen on (env PORT)', parsePort, Number(process.env.PORT ?? 8080))
    .option('--host <host>', 'interface to listen on (env HOST)', process.env.HOST ?? 'localhost')
    .option('--data <dir>', 'directory for the database and other durable state', 'data')
    .option('--dist <dir>', 'directory of the built app', join(repoRoot, 'dist'))
    .option('--codebook <file>', 'codebook JSON to serve and index with', join(repoRoot, 'public', 'codebook.json'))
    .option(
      '--extractor <manifest>',
      'extractor manifest for search by image',
      join(repoRoot, 'public', 'models', 'extractor.json'),
    )
    .option('--max-per-ip <n>', 'API requests per minute per client IP', parseCount)
    .option('--max-searches-per-ip <n>', 'searches per minute per client IP', parseCount)
    .option('--max-writes-per-token <n>', 'registrations and deletions per minute per token', parseCount)
    .action(async (opts: ServeCliOptions) => {
      const { serve } = await import('../server/serve');
      const limits: Partial<ServerLimits> = {};
      if (opts.maxPerIp !== undefined) limits.perIpMax = opts.maxPerIp;
      if (opts.maxSearchesPerIp !== undefined) limits.searchPerIpMax = opts.maxSearchesPerIp;
      if (opts.maxWritesPerToken !== undefined) limits.writesPerTokenMax = opts.maxWritesPerToken;
      const address = await serve({
        port: opts.port,
        host: opts.host,
        dataDir: opts.data,
        distDir: opts.dist,
        codebookPath: opts.codebook,
        extractorManifestPath: opts.extractor,
        limits,
        version: packageVersion(),
      });
      console.log(`Findable is running at ${address.replace('127.0.0.1', 'localhost')}`);
    });

  const tokens = program
    .command('tokens')
    .description('Manage the API tokens that may register and delete images (only their hashes are stored).');
  tokens
    .command('create')
    .description('Create a token and print it once: store it now, it cannot be shown again.')
    .requiredOption('--name <name>', 'who or what the token is for')
    .option('--data <dir>', 'data directory of the server', 'data')
    .action(async (opts: { name: string; data: string }) => {
      await withStore(opts.data, async (store) => {
        const { createToken } = await import('../server/tokens');
        const { token, record } = await createToken(store, opts.name);
        console.log(token);
        console.error(`Token ${record.id} "${record.name}" created. It is shown only this once.`);
      });
    });
  tokens
    .command('list')
    .description('List tokens (id, name, created, revoked); never their secrets.')
    .option('--data <dir>', 'data directory of the server', 'data')
    .option('--json', 'print JSON')
    .action(async (opts: { data: string; json?: boolean }) => {
      await withStore(opts.data, async (store) => {
        const list = await store.listTokens();
        if (opts.json) {
          console.log(JSON.stringify(list, null, 2));
          return;
        }
        for (const t of list) {
          const revoked = t.revokedAt === null ? 'valid' : `revoked ${new Date(t.revokedAt).toISOString()}`;
          console.log(`${t.id}\t${t.name}\t${new Date(t.createdAt).toISOString()}\t${revoked}`);
        }
      });
    });
  tokens
    .command('revoke')
    .description('Revoke a token by id or name; its images stay registered.')
    .argument('<token>', 'token id or name')
    .option('--data <dir>', 'data directory of the server', 'data')
    .action(async (which: string, opts: { data: string }) => {
      await withStore(opts.data, async (store) => {
        const record = await store.revokeToken(/^\d+$/.test(which) ? Number(which) : which);
        if (!record) throw new FindableError('NOT_FOUND', `No valid token with id or name "${which}".`);
        console.log(`Token ${record.id} "${record.name}" revoked.`);
      });
    });

  program
    .command('export-index')
    .description('Write the live index (every registration, under the served codebook) as a faiss index file.')
    .requiredOption('-o, --out <file>', 'faiss index file to write')
    .option('--data <dir>', 'data directory of the server', 'data')
    .option('--codebook <file>', 'the codebook the server serves', join(repoRoot, 'public', 'codebook.json'))
    .action(async (opts: { out: string; data: string; codebook: string }) => {
      const { exportLiveIndex } = await import('../server/export-index');
      const report = await exportLiveIndex({ dataDir: opts.data, codebookPath: opts.codebook, out: opts.out });
      console.log(
        `Wrote ${opts.out}: ${report.indexed} registrations` +
          (report.skipped ? ` (${report.skipped} made with another codebook and not re-encodable were left out)` : '') +
          '. Read it with faiss.read_index().',
      );
    });

  registerPhotoCommands(program);
  return program;
}

async function withStore(dataDir: string, use: (store: RegistryStore) => Promise<void>): Promise<void> {
  const { SqliteRegistryStore } = await import('../server/store/sqlite-store');
  const store = new SqliteRegistryStore({ dataDir });
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (isFindableError(error)) {
      console.error(`findable: ${error.message}\n  (${error.code}: ${messageFor(error.code)})`);
    } else {
      console.error(`findable: ${error instanceof Error ? error.message : String(error)}`);
    }
    process.exitCode = 1;
  }
}
