/**
 * How Debian's Chromium is launched for every browser test and benchmark (see ../shared/docs/environment.md):
 * Playwright cannot download its own browser here, and without the background-networking flags Chromium's
 * connections are refused by the machine's closed network at every start.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
