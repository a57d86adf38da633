import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { messageFor } from '../core/error-messages';
import { isFindableError } from '../core/errors';

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
    .action(async (opts: { port: number; host: string; data: string; dist: string }) => {
      const { serve } = await import('../server/serve');
      const address = await serve({
        port: opts.port,
        host: opts.host,
        dataDir: opts.data,
        distDir: opts.dist,
        version: packageVersion(),
      });
      console.log(`Findable is running at ${address.replace('127.0.0.1', 'localhost')}`);
    });

  return program;
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
