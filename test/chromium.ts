// Locates (and if need be provisions) a Chromium for the browser tests.
// CI machines start with no browser and Playwright's CDN may be unreachable,
// so Debian's chromium is an equal citizen next to Playwright's own build.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright';
import type { Browser } from 'playwright';

export const LAUNCH_ARGS: readonly string[] = [
  '--no-sandbox', // CI runs as root, where Chromium refuses to start sandboxed
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

const PREFIX = '[onsite tests]';
const NOT_FOUND =
  `${PREFIX} no Chromium found: run "apt-get install -y chromium" (Debian) or ` +
  `"npx playwright install chromium", or set CHROMIUM_PATH`;

/** Playwright's own build; its path is computed even when nothing is installed. */
function playwrightChromium(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/** Candidate executables, best first. Undefined entries are skipped. */
export function defaultCandidates(): Array<string | undefined> {
  return [
    process.env['CHROMIUM_PATH'] || undefined,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    playwrightChromium(),
  ];
}

export function findChromium(
  candidates: ReadonlyArray<string | undefined> = defaultCandidates(),
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  return candidates.find((p): p is string => !!p && exists(p));
}

export interface ProvisionStep {
  name: string;
  /** Best effort; throwing or returning without installing are both fine. */
  run(): void;
}

function log(msg: string): void {
  process.stderr.write(`${PREFIX} ${msg}\n`);
}

export function defaultSteps(): ProvisionStep[] {
  const steps: ProvisionStep[] = [
    {
      name: 'npx playwright install chromium',
      run() {
        // --no: use the project's playwright, never fetch another version.
        // Timeout because without internet the download can stall rather than fail.
        execFileSync('npx', ['--no', 'playwright', 'install', 'chromium'], {
          stdio: ['ignore', 'inherit', 'inherit'],
          timeout: 5 * 60_000,
        });
      },
    },
  ];
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    steps.push({
      name: 'apt-get install -y chromium',
      run() {
        execSync('apt-get update -qq && apt-get install -y -qq chromium', {
          stdio: ['ignore', 'inherit', 'inherit'],
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
          timeout: 10 * 60_000,
        });
      },
    });
  }
  return steps;
}

/** Returns a usable Chromium path, installing one if necessary; throws a one-line hint otherwise. */
export function ensureChromium(
  find: () => string | undefined = () => findChromium(),
  steps: () => ProvisionStep[] = defaultSteps,
): string {
  const found = find();
  if (found) return found;
  for (const step of steps()) {
    log(`no Chromium found, trying: ${step.name}`);
    try {
      step.run();
    } catch (err) {
      log(`${step.name} failed: ${(err as Error).message.split('\n')[0]}`);
    }
    const now = find();
    if (now) return now;
  }
  throw new Error(NOT_FOUND);
}

/**
 * Always passes executablePath, even for Playwright's own build: the file is
 * known to exist, whereas Playwright left alone would look for its separate
 * headless-shell binary, which an `--no-shell` install lacks.
 */
export async function launchBrowser(executablePath: string = ensureChromium()): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: [...LAUNCH_ARGS] });
}
