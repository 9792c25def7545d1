// Every message the script prints starts with `[onsite]`, is one line, and never throws: a store's
// console may be patched by other scripts (error trackers, consent tools) that throw themselves.
type Level = 'error' | 'warn' | 'info'

let verbose = false
export const setVerbose = (on: boolean): void => {
  verbose = on
}

const out = (level: Level, msg: string): void => {
  try {
    // shopper or page text inside a message (an event name, an exception's text) may hold line breaks
    // or be 40 KB long: one line, errors and warnings cut at 2000 characters; debug lines
    // (asked for) are whole, or a decision over many offers would lose its end
    const line = ('[onsite] ' + msg).replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ')
    console[level](level == 'info' ? line : line.slice(0, 2000))
  } catch {
    // a hostile console must not break the host page
  }
}

export const error = (msg: string): void => out('error', msg)
export const warn = (msg: string): void => out('warn', msg)
/** Printed only with `debug: true` or `?onsite_debug=1`. */
export const debug = (msg: string): void => {
  if (verbose) out('info', msg)
}
