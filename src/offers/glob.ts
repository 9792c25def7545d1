// Path and host patterns of offer rules: `*` is any run of characters (`/` and `.` included), all else literal.

export const glob = (g: string, s: string): boolean =>
  new RegExp('^' + g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$').test(s)
