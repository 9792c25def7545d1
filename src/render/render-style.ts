// The offer stylesheet, kept apart so render.ts reads as logic. It lives inside each offer's shadow root,
// so the selectors can be this short without ever matching a store element (and store rules never reach in).
//
// Why some rules exist:
// - `:host{all:initial!important}`: the host is a light-DOM element, so store rules (`body > * {margin...}`,
//   inherited fonts and colours) would reach it; `!important` in the inner context beats the page's normal
//   and important rules (CSS Cascade 4, "context"). `all` leaves custom properties alone, so a store can
//   theme the accent with `--onsite-accent` on :root.
// - The dialog has no padding: a click whose target is the dialog itself is then a backdrop click.
// - The bar is position:fixed and not animated: it is drawn over the page and moves nothing, so it adds 0
//   to CLS (https://web.dev/articles/cls: an element that appears is not a shift, only one that moves is).
//   reserveSpace (reserve.ts) is the store's choice to move the page instead.
// - The image box is fixed at 2:1 (`aspect-ratio`; Safari 15+) so its load does not shift the content.
export const CSS =
  ':host{all:initial!important;display:block!important}' +
  // a long word ("Sommerschlussverkaufsrabatt" at 390 px) wraps instead of widening the popup
  '.o{position:relative;padding:24px;font:15px/1.4 sans-serif;color:#111;background:#fff;text-align:center;overflow-wrap:break-word}' +
  'dialog{padding:0;border:0;border-radius:8px;width:min(420px,90%);animation:a .3s}' +
  'dialog::backdrop{background:#0008}' +
  '@keyframes a{from{opacity:0;transform:translateY(9px)}}' +
  '@media (prefers-reduced-motion:reduce){dialog{animation:none}}' +
  '.bar{position:fixed;z-index:99999999;left:0;right:0;bottom:0;padding:8px 48px;box-shadow:0 0 9px #0004}' +
  '.top{top:0;bottom:auto}' +
  // the close button sits top right, over the title's first line unless the title keeps clear of it
  'h2{margin:0;outline:0}dialog h2{padding:0 28px}' +
  // a bar's button stays one box on a narrow screen: it moves to the next line whole instead of breaking
  '.bar *{margin:0 8px;font-size:1em}.bar :not(a,button){display:inline}' +
  'img{width:100%;aspect-ratio:2;object-fit:cover}' +
  'label{display:block;margin:9px 0;text-align:left}' +
  'input{box-sizing:border-box;width:100%;padding:8px;font:inherit}' +
  '.bar input,[type=checkbox]{width:auto;margin-right:8px}' +
  'a,button{display:inline-block;padding:8px 20px;font:inherit;color:#fff;background:var(--onsite-accent,#111);border:0;border-radius:8px;text-decoration:none;cursor:pointer}' +
  '.o .x{position:absolute;top:0;right:0;font-size:20px;color:inherit;background:none}' +
  '.k{font:700 1.4em monospace;user-select:all}' +
  // the phone's error line: empty until a number is refused, so it takes no room
  '.e{margin:0;color:#b00020;font-size:.9em;text-align:left}[aria-invalid]{border-color:#b00020}'
