// Shared stack for browser tests: collector + a static "store" origin + Chromium.
// The store and the collector listen on different ports, so every delivery
// from a page is cross-origin exactly as in production.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Browser } from 'playwright';
import { startCollector } from '../../demo/collector.ts';
import type { Collector, Faults, Snapshot } from '../../demo/collector.ts';
import { launchBrowser } from '../chromium.ts';

export type { Collector, Faults, Snapshot };

export interface Stack {
  /** e.g. http://127.0.0.1:PORT — the store's origin. */
  origin: string;
  /** e.g. http://127.0.0.1:PORT/v1 — the collector's base URL. */
  collectorUrl: string;
  collector: Collector;
  browser: Browser;
  /** Serves `html` at `path` (query string ignored); returns the page's full URL. */
  page(path: string, html: string, headers?: Record<string, string>): string;
  close(): Promise<void>;
}

// From the working directory, not import.meta.url: the benchmark runs this file bundled into dist/.
const DIST_DIR = resolve('dist') + sep;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface PageEntry {
  html: string;
  headers: Record<string, string>;
}

function serveDist(pathname: string, res: ServerResponse): void {
  let file: string;
  let body: Buffer;
  try {
    file = normalize(join(DIST_DIR, decodeURIComponent(pathname.slice('/dist/'.length))));
    // URL parsing collapses `..` segments, but `..%2f..%2f` survives it until decoded.
    if (!file.startsWith(DIST_DIR) || !statSync(file).isFile()) return notFound(res);
    body = readFileSync(file); // read per request: tests may rebuild between runs
  } catch {
    return notFound(res);
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found');
}

function startStatic(pages: Map<string, PageEntry>): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const { pathname } = new URL(req.url ?? '/', 'http://x');
    if (pathname.startsWith('/dist/')) return serveDist(pathname, res);
    const page = pages.get(pathname);
    if (!page) return notFound(res);
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      ...page.headers,
    });
    res.end(page.html);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function stopServer(server: Server): Promise<void> {
  // Chromium keeps connections alive; without this close() waits for them.
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startStack(): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'onsite-collector-'));
  const cleanups: Array<() => unknown> = [() => rmSync(dataDir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch {
        // best effort: one failed teardown must not hide the others
      }
    }
  };
  try {
    const collector = await startCollector({ port: 0, dataFile: join(dataDir, 'events.jsonl'), quiet: true });
    cleanups.push(() => collector.close());
    const pages = new Map<string, PageEntry>();
    const server = await startStatic(pages);
    cleanups.push(() => stopServer(server));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchBrowser();
    cleanups.push(() => browser.close());
    return {
      origin,
      collectorUrl: collector.url,
      collector,
      browser,
      page(path, html, headers = {}) {
        pages.set(new URL(path, origin).pathname, { html, headers });
        return new URL(path, origin).href;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export async function collectorEvents(url: string): Promise<Snapshot> {
  const res = await fetch(`${url}/_events`);
  if (!res.ok) throw new Error(`GET ${url}/_events: ${res.status}`);
  return (await res.json()) as Snapshot;
}

export async function setFaults(url: string, faults: Faults): Promise<void> {
  const res = await fetch(`${url}/_faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`POST ${url}/_faults: ${res.status}`);
}

export async function resetCollector(url: string): Promise<void> {
  const res = await fetch(`${url}/_events`, { method: 'DELETE' });
  if (!res.ok) throw new Error(`DELETE ${url}/_events: ${res.status}`);
}

/** Polls `fn` every 50 ms until it returns a truthy value, which is returned. Generous by default: CI machines
 * are slower and busier than this one, and the wait only costs time when the condition never comes. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err; // the condition may throw until the system catches up
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface LoaderOptions {
  config: unknown;
  before?: string;
  after?: string;
}

/** A store page that loads the bundle the way the install snippet does: stub queue first, bundle async. */
export function loaderPage({ config, before = '', after = '' }: LoaderOptions): string {
  // `<` escaped so a hostile config value cannot close the script element.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><title>Test store</title>
<script type="application/json" id="onsite-config">${json}</script>
<script>!function(w,s){s=w.onsite;if(s&&(s._q||s.version||s.push))return;s=w.onsite={_q:[],anonymousId:function(){return""},explain:function(){}};"init page track identify reset flush consent".split(" ").forEach(function(m){s[m]=function(){s._q.push([m,[].slice.call(arguments),Date.now()]);if(m=="flush")return Promise.resolve()}})}(window);</script>
${before}
<script async src="/dist/onsite.js"></script></head><body>${after}</body></html>`;
}
