// `?onsite_debug=1` (or config.debug): a corner panel for the merchant and QA, drawn from explain().
import type { Explained } from '../offers/decide.ts'

/** `?onsite_debug=1`: a corner panel listing every offer and why it shows or not (text only), kept current. */
export const overlay = (doc: Document) => {
  const host = doc.createElement('div')
  const pre = doc.createElement('pre')
  // CSSOM, not a style attribute in markup: allowed under a strict Content-Security-Policy
  pre.style.cssText = 'position:fixed;left:8px;bottom:8px;z-index:2147483647;max-width:50vw;margin:0;padding:8px;font:11px/1.4 monospace;white-space:pre-wrap;background:#111;color:#eee;pointer-events:none'
  host.attachShadow({ mode: 'open' }).append(pre)
  doc.body.append(host)
  return (e: Explained) => {
    pre.textContent = `onsite ${e.decisionId}\n` + e.candidates.map((c) => `${c.offerId}: ${c.outcome} (${c.reasons.join('; ')})`).join('\n')
  }
}
