// The cart capture's last snapshot: what the next /cart.js answer is diffed against. In localStorage, so
// tabs share it and a reload keeps it.

export const CART_KEY = 'onsite:cart'

export interface Snapshots {
  raw(): string | null
  save(s: string): void
}

/** In memory once storage throws (sandbox, quota): a failed write must not leave the old value to be re-read and re-diffed forever. */
export const snapshots = (ls: Storage | undefined): Snapshots => {
  let mem: string | null = null
  let ok = !!ls
  const use = (fn: () => unknown) => {
    try {
      if (ok) fn()
    } catch {
      ok = false
    }
  }
  return {
    raw: (): string | null => (use(() => (mem = ls!.getItem(CART_KEY))), mem),
    save(s: string) {
      mem = s
      use(() => ls!.setItem(CART_KEY, s))
    },
  }
}
