// The report as one self-contained HTML page: no script, no external file; a chart per offer (each arm's
// conversion rate and revenue per visitor as bars with 95% interval whiskers) above the tables. Every piece
// of text from the data (offer and variant ids come from events anyone can send) is escaped.
import type { ArmRow } from './analyze.ts'
import type { Interval } from './stats.ts'
import type { Report } from './report.ts'
import { formatReport } from './format.ts'

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** Text safe in HTML content and in quoted attributes. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!)

const W = 720
const LABEL = 200
const ROW = 26
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '0')

interface Bar {
  label: string
  value: number
  ci: Interval | null
  text: string
  held: boolean
}

/** One panel: a bar per arm from 0 to its value, a whisker across its interval. */
const panel = (title: string, bars: Bar[]): string => {
  const max = Math.max(1e-9, ...bars.map((b) => Math.max(b.value, b.ci?.[1] ?? 0))) * 1.1
  const x = (v: number) => LABEL + (Math.max(0, v) / max) * (W - LABEL - 90)
  const rows = bars.map((b, i) => {
    const y = 24 + i * ROW
    const whisker = b.ci
      ? `<line x1="${f(x(b.ci[0]))}" x2="${f(x(b.ci[1]))}" y1="${y + 9}" y2="${y + 9}" class="ci"/>` +
        `<line x1="${f(x(b.ci[0]))}" x2="${f(x(b.ci[0]))}" y1="${y + 4}" y2="${y + 14}" class="ci"/>` +
        `<line x1="${f(x(b.ci[1]))}" x2="${f(x(b.ci[1]))}" y1="${y + 4}" y2="${y + 14}" class="ci"/>`
      : ''
    return `<text x="${LABEL - 8}" y="${y + 13}" text-anchor="end">${esc(b.label)}</text>` +
      `<rect x="${LABEL}" y="${y + 2}" width="${f(x(b.value) - LABEL)}" height="14" class="${b.held ? 'held' : 'bar'}"/>` + whisker +
      `<text x="${f(Math.max(x(b.value), x(b.ci?.[1] ?? 0)) + 6)}" y="${y + 13}" class="val">${esc(b.text)}</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${30 + bars.length * ROW}" role="img" aria-label="${esc(title)}">` +
    `<text x="0" y="14" class="title">${esc(title)}</text>${rows.join('')}</svg>`
}

const label = (o: ArmRow) => (o.group === 'held_out' ? 'held out (all)' : `variant ${o.variant ?? '(none)'}`)

const offerSection = (id: string, arms: ArmRow[]): string => {
  const conv = panel('Conversion rate, 95% CI (Wilson)', arms.map((o) => ({ label: label(o), value: o.conversion_rate, ci: o.conversion_ci95, text: `${(o.conversion_rate * 100).toFixed(2)}% of ${o.visitors}`, held: o.group === 'held_out' })))
  const rpv = panel('Revenue per visitor, 95% CI (t)', arms.map((o) => ({ label: label(o), value: o.revenue_per_visitor, ci: o.revenue_per_visitor_ci95, text: o.revenue_per_visitor.toFixed(2), held: o.group === 'held_out' })))
  const lifts = arms.filter((o) => o.lift).map((o) => {
    const c = o.lift!.conversion
    const r = o.lift!.revenue_per_visitor
    const ci = (i: Interval | null, k: number, u: string) => (i ? ` [${(i[0] * k).toFixed(2)}, ${(i[1] * k).toFixed(2)}]${u}` : '')
    return `<li>variant ${esc(o.variant ?? '')}: conversion ${(c.abs * 100).toFixed(2)} pp${ci(c.ci95, 100, ' pp')}; revenue per visitor ${r.abs.toFixed(2)}${ci(r.ci95, 1, '')}</li>`
  })
  return `<section><h2>${esc(id)}</h2>${conv}${rpv}${lifts.length ? `<ul>${lifts.join('')}</ul>` : '<p>No held-out visitors to compare against.</p>'}</section>`
}

const CSS = 'body{font:14px system-ui,sans-serif;margin:2em;color:#222}svg{display:block;margin:.5em 0}text{font-size:12px;fill:#222}' +
  '.title{font-weight:600}.bar{fill:#4c78a8}.held{fill:#aaa}.ci{stroke:#222;stroke-width:1.5}.val{fill:#555}pre{font-size:12px;background:#f6f6f6;padding:1em;overflow:auto}'

/** The page. */
export const reportHtml = (r: Report): string => {
  const byOffer = new Map<string, ArmRow[]>()
  for (const o of r.offers) byOffer.set(o.offer_id, [...(byOffer.get(o.offer_id) ?? []), o])
  const sections = [...byOffer].map(([id, arms]) => offerSection(id, arms)).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>onsite lift report</title>` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><style>${CSS}</style></head>` +
    `<body><h1>onsite lift report</h1><p>Window ${r.window_days} days after each visitor's first decision.</p>${sections || '<p>No offer decisions in the input.</p>'}` +
    `<h2>Tables</h2><pre>${esc(formatReport(r))}</pre></body></html>\n`
}
