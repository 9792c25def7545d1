// Runs once in the main vitest process, before the browser project's workers
// start. Provisioning here (not per file) means at most one install attempt.
import { ensureChromium } from './chromium.ts';

export default function setup(): void {
  // Workers are forked with a copy of process.env taken after globalSetup
  // (checked on vitest 4.1), so findChromium() in a worker hits this first.
  process.env['CHROMIUM_PATH'] = ensureChromium();
}
