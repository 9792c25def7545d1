// The one way the renderer makes elements: properties and children, never markup. Text reaches the DOM
// as text nodes (append of a string) or properties such as textContent, so no config or shopper string is
// ever parsed as HTML.

export type El = <K extends keyof HTMLElementTagNameMap>(tag: K, props?: Partial<HTMLElementTagNameMap[K]>, ...kids: Array<Node | string>) => HTMLElementTagNameMap[K]

export const elements = (doc: Document): El => (tag, props, ...kids) => {
  const e = doc.createElement(tag)
  Object.assign(e, props)
  e.append(...kids)
  return e
}
