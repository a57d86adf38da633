#!/usr/bin/env node
// Makes a fresh clone runnable: installs node modules when they are missing or stale, and, with
// --test, the system tools the test suite drives (Debian's Chromium; Debian's python3 oracles).
// Plain Node with no dependencies, because it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');

function fail(message) {
  console.error(`findable: ${message}`);
  process.exit(1);
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) fail(`'${cmd} ${args.join(' ')}' failed (exit ${r.status}).`);
}

// node_modules/.package-lock.json is written by npm after a complete install: older than the
// lockfile means package.json changed since the last install.
function nodeModulesStale() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return true;
  const lock = join(root, 'package-lock.json');
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000;
}

if (nodeModulesStale()) {
  console.log('findable: installing node modules...');
  // `npm install` rather than `npm ci`: it installs the locked versions too, but tolerates registries
  // that serve only this platform's optional binaries (npm ci rejects the lock as out of sync then).
  // onnxruntime-node's install script would download CUDA binaries; the CPU ones ship in the package.
  run('npm', ['install', '--no-audit', '--no-fund'], {
    ONNXRUNTIME_NODE_INSTALL: 'skip',
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
  });
}

if (forTests) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const missing = [];
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) missing.push('chromium');
  // Debian's python3 packages are the independent oracles some tests call (faiss reads our files).
  const py = '/usr/bin/python3';
  const probe = existsSync(py) ? spawnSync(py, ['-c', 'import numpy, faiss'], { stdio: 'ignore' }).status === 0 : false;
  if (!probe) missing.push('python3', 'python3-numpy', 'python3-faiss');
  if (missing.length > 0) {
    if (!isRoot) {
      fail(`tests need Debian packages: sudo apt-get install -y ${missing.join(' ')} (or set CHROMIUM_PATH).`);
    }
    console.log(`findable: installing Debian packages: ${missing.join(' ')}`);
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      fail(`could not install ${missing.join(' ')} with apt-get; install them and run npm test again.`);
    }
  }
}
