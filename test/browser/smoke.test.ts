// Proves the harness end to end without the bundle: Chromium loads a page
// from the store origin and a cross-origin POST reaches the collector.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectorEvents, startStack, waitFor } from './harness.ts';
import type { Stack } from './harness.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

it('serves a page to Chromium and accepts a cross-origin batch', async () => {
  const url = stack.page('/smoke', `<!doctype html><script>document.title='ok'</script>`);
  const page = await stack.browser.newPage();
  await page.goto(url);
  expect(await page.title()).toBe('ok');

  const body = JSON.stringify({
    batch: [{
      type: 'track', event: 'x', properties: {}, messageId: 'm1',
      anonymousId: 'a1', timestamp: '2026-11-22T10:00:00.000Z',
    }],
    writeKey: 'k',
  });
  // text/plain keeps it a CORS "simple" request, as sendBeacon would send it.
  const status = await page.evaluate(async ([endpoint, payload]) => {
    const res = await fetch(`${endpoint}/batch`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: payload,
    });
    return res.status;
  }, [stack.collectorUrl, body] as const);
  expect(status).toBeLessThan(300);

  const events = await waitFor(async () => {
    const { events } = await collectorEvents(stack.collectorUrl);
    return events.length > 0 && events;
  });
  expect(events).toEqual([expect.objectContaining({ type: 'track', event: 'x', messageId: 'm1' })]);
  await page.close();
});
