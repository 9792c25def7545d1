// Calls between the checkout pixel and Shopify's sandbox: its APIs are async and may be missing or throw,
// and nothing of ours may throw back into its event bus.
import { at } from './pixel-map.ts'
import { error } from '../util/log.ts'

/** Calls o.m(...a) as a promise: a missing method or a throw rejects instead of throwing. */
export const invoke = (o: unknown, m: string, ...a: unknown[]): Promise<any> => new Promise((done) => done(at(o, m).apply(o, a)))

/** A callback that never throws into Shopify's event bus. */
export const guard =
  (f: (e: unknown) => unknown) =>
  (e: unknown): void => {
    try {
      void f(e)
    } catch (err) {
      error('pixel: ' + err)
    }
  }
