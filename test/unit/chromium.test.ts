// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { ensureChromium, findChromium } from '../chromium.ts';
import type { ProvisionStep } from '../chromium.ts';

const present = (...paths: string[]) => (p: string) => paths.includes(p);

describe('findChromium', () => {
  it('returns the first candidate that exists, in order', () => {
    const candidates = ['/env/chrome', '/usr/bin/chromium', '/usr/bin/chromium-browser', '/pw/chrome'];
    expect(findChromium(candidates, present('/usr/bin/chromium-browser', '/pw/chrome'))).toBe('/usr/bin/chromium-browser');
    expect(findChromium(candidates, present('/pw/chrome', '/env/chrome'))).toBe('/env/chrome');
  });

  it('skips unset candidates and a CHROMIUM_PATH that does not exist', () => {
    expect(findChromium([undefined, '/nonexistent', '/pw/chrome'], present('/pw/chrome'))).toBe('/pw/chrome');
  });

  it('returns undefined when nothing exists', () => {
    expect(findChromium(['/a', undefined, '/b'], present())).toBeUndefined();
  });
});

describe('ensureChromium', () => {
  it('does not provision when a browser is already present', () => {
    const ran: string[] = [];
    const steps = (): ProvisionStep[] => [{ name: 'install', run: () => ran.push('install') }];
    expect(ensureChromium(() => '/usr/bin/chromium', steps)).toBe('/usr/bin/chromium');
    expect(ran).toEqual([]);
  });

  it('stops at the first step that makes a browser appear, surviving failed steps', () => {
    let installed: string | undefined;
    const ran: string[] = [];
    const steps = (): ProvisionStep[] => [
      { name: 'playwright', run: () => { ran.push('playwright'); throw new Error('offline\nstack'); } },
      { name: 'apt', run: () => { ran.push('apt'); installed = '/usr/bin/chromium'; } },
      { name: 'never', run: () => { ran.push('never'); } },
    ];
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(ensureChromium(() => installed, steps)).toBe('/usr/bin/chromium');
    } finally {
      process.stderr.write = stderr;
    }
    expect(ran).toEqual(['playwright', 'apt']);
  });

  it('throws a one-line hint when nothing can be found or installed', () => {
    let message = '';
    try {
      ensureChromium(() => undefined, () => []);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^\[onsite tests\] no Chromium found: run "apt-get install -y chromium"/);
    expect(message).toContain('npx playwright install chromium');
    expect(message).toContain('CHROMIUM_PATH');
  });
});

