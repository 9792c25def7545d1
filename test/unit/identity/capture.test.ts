import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { formTraits, takeCioId, watchCaptureForms } from '../../../src/identity/capture.ts'
import type { Traits } from '../../../src/identity/identity.ts'

const HOME = 'http://localhost:3000/'
const happyDOM = () => (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM

const form = (html: string, attrs = 'data-onsite-capture'): HTMLFormElement => {
  document.body.innerHTML = `<form ${attrs}>${html}</form>`
  return document.querySelector('form')!
}

/** A submit as the browser fires it: bubbles, cancelable. Returns whether it was allowed (not prevented). */
const submit = (target: Element): { allowed: boolean; event: Event } => {
  const event = new Event('submit', { bubbles: true, cancelable: true })
  const allowed = target.dispatchEvent(event)
  return { allowed, event }
}

beforeEach(() => {
  document.body.innerHTML = ''
})
afterEach(() => {
  document.body.innerHTML = ''
  happyDOM().setURL(HOME)
})

describe('formTraits', () => {
  it('reads an email field by type and a phone field by type', () => {
    expect(formTraits(form('<input type="email" name="contact" value="jane@example.com"><input type="tel" name="mobile" value="+15555550123">'))).toEqual({
      email: 'jane@example.com',
      phone: '+15555550123',
    })
  })

  it('reads them by name when the type is text', () => {
    expect(formTraits(form('<input type="text" name="email" value="jane@example.com"><input type="text" name="phone" value="555 555 0123">'))).toEqual({
      email: 'jane@example.com',
      phone: '555 555 0123',
    })
  })

  it('returns the raw values (normalising is cleanTraits’ job)', () => {
    expect(formTraits(form('<input type="email" value="  Jane@Example.COM ">'))).toEqual({ email: '  Jane@Example.COM ' })
  })

  it('reads what the shopper typed, not the initial attribute', () => {
    const f = form('<input type="email" value="">')
    f.querySelector('input')!.value = 'typed@example.com'
    expect(formTraits(f)).toEqual({ email: 'typed@example.com' })
  })

  it('leaves out empty fields and fields the form does not have', () => {
    expect(formTraits(form('<input type="email" value=""><input type="tel" value="">'))).toEqual({})
    expect(formTraits(form('<input type="text" name="first_name" value="Jane"><input type="password" name="pw" value="x">'))).toEqual({})
  })

  it('reads only its own form', () => {
    document.body.innerHTML = '<input type="email" value="outside@example.com"><form><input type="tel" value="+15555550123"></form>'
    expect(formTraits(document.querySelector('form')!)).toEqual({ phone: '+15555550123' })
  })

  it('a consent checkbox counts only when ticked: an unticked one never overwrites an earlier yes', () => {
    expect(formTraits(form('<input type="email" value="a@x.io">'))).toEqual({ email: 'a@x.io' })
    expect(
      formTraits(form('<input type="email" value="a@x.io"><input type="checkbox" name="email_consent" checked><input type="checkbox" name="sms_consent">')),
    ).toEqual({ email: 'a@x.io', email_consent: true })
  })

  it('reads the checked state at submit time', () => {
    const f = form('<input type="checkbox" name="sms_consent">')
    const box = f.querySelector('input')!
    expect(formTraits(f)).toEqual({})
    box.checked = true
    expect(formTraits(f)).toEqual({ sms_consent: true })
  })

  it('a consent field that is not a checkbox is not read as consent', () => {
    expect(formTraits(form('<input type="hidden" name="email_consent" value="true">'))).toEqual({})
  })
})

describe('watchCaptureForms', () => {
  let identified: Traits[]
  let stop: () => void
  beforeEach(() => {
    identified = []
    stop = watchCaptureForms(document, (t) => identified.push(t))
  })
  afterEach(() => stop())

  it('identifies with the traits of a form marked data-onsite-capture', () => {
    const f = form('<input type="email" value="jane@example.com"><input type="checkbox" name="email_consent" checked>')
    submit(f)
    expect(identified).toEqual([{ email: 'jane@example.com', email_consent: true }])
  })

  // A named input hides the form's own method of that name (form.matches is the input): onsite threw into
  // the page on every submit of such a form and lost the identify.
  it.each(['matches', 'querySelector'])('a form with an input named %j: identifies, never throws', (name) => {
    // as browsers do it (happy-dom does not): the named input shadows the method
    const clobber = (f: HTMLFormElement) => Object.defineProperty(f, name, { value: f.querySelector(`[name=${name}]`) })
    const f = clobber(form(`<input name="${name}" value="x"><input type="email" value="jane@example.com">`))
    expect(() => submit(f)).not.toThrow()
    expect(identified).toEqual([{ email: 'jane@example.com' }])
    const plain = clobber(form(`<input name="${name}">`, 'action="/search"'))
    expect(() => submit(plain)).not.toThrow()
    expect(identified).toHaveLength(1)
  })

  it('a submit from something that is not an element is ignored', () => {
    expect(() => document.dispatchEvent(new Event('submit'))).not.toThrow()
    expect(identified).toEqual([])
  })

  it('ignores forms without data-onsite-capture', () => {
    const f = form('<input type="email" value="jane@example.com">', 'action="/search"')
    submit(f)
    expect(identified).toEqual([])
  })

  it('reads the form that was submitted when a page has several', () => {
    document.body.innerHTML =
      '<form data-onsite-capture id="a"><input type="email" value="a@x.io"></form><form id="b"><input type="email" value="b@x.io"></form><form data-onsite-capture id="c"><input type="email" value="c@x.io"></form>'
    submit(document.getElementById('b')!)
    submit(document.getElementById('c')!)
    expect(identified).toEqual([{ email: 'c@x.io' }])
  })

  it('ignores submit events whose target is not a form', () => {
    document.body.innerHTML = '<div data-onsite-capture><input type="email" value="a@x.io"></div>'
    submit(document.querySelector('div')!)
    expect(identified).toEqual([])
  })

  it('runs in the capture phase, even when the store’s handler stops the event', () => {
    const f = form('<input type="email" value="jane@example.com">')
    const bubbled = vi.fn()
    document.addEventListener('submit', bubbled)
    f.addEventListener('submit', (e) => e.stopPropagation())
    try {
      submit(f)
    } finally {
      document.removeEventListener('submit', bubbled)
    }
    expect(bubbled).not.toHaveBeenCalled() // the store's handler did stop it
    expect(identified).toEqual([{ email: 'jane@example.com' }])
  })

  it('runs before the store’s own handlers see the event', () => {
    const f = form('<input type="email" value="jane@example.com">')
    const order: string[] = []
    f.addEventListener('submit', () => order.push(`store saw ${identified.length} identify`))
    submit(f)
    expect(order).toEqual(['store saw 1 identify'])
  })

  it('never prevents the form from submitting', () => {
    const f = form('<input type="email" value="jane@example.com">')
    const { allowed, event } = submit(f)
    expect(identified).toHaveLength(1)
    expect(allowed).toBe(true)
    expect(event.defaultPrevented).toBe(false)
  })

  it('the returned function stops watching', () => {
    const f = form('<input type="email" value="jane@example.com">')
    submit(f)
    stop()
    submit(f)
    expect(identified).toHaveLength(1)
  })

  it('only watches the document it was given', () => {
    const other = document.implementation.createHTMLDocument('other')
    other.body.innerHTML = '<form data-onsite-capture><input type="email" value="a@x.io"></form>'
    submit(other.querySelector('form')!)
    expect(identified).toEqual([])
  })
})

describe('takeCioId', () => {
  it.each(['$&', '$`$`', 'a b', 'x'.repeat(129), '<img>'])('an id not shaped like one (%j) is removed from the URL but not used', (id) => {
    const w = { location: { href: 'https://shop.example/?_cio_id=' + encodeURIComponent(id) }, history: { state: null, replaceState: vi.fn() } } as unknown as Window
    expect(takeCioId(w)).toBe('')
    expect(w.history.replaceState).toHaveBeenCalledWith(null, '', '/')
  })

  it.each(['abc123', 'dGVzdA==', 'a.b-c_d+e'])('an id-shaped value (%j) is used', (id) => {
    const w = { location: { href: 'https://shop.example/?_cio_id=' + encodeURIComponent(id) }, history: { state: null, replaceState: () => {} } } as unknown as Window
    expect(takeCioId(w)).toBe(id)
  })

  it('removes only that parameter: every other byte of the query stays as it was', () => {
    const search = '?q=red%20shirt&tag=a+b&flag&_cio_id=abc&%5Fcio_id=def&x=%E2%82%AC'
    const w = { location: { href: 'https://shop.example/search' + search + '#top' }, history: { state: null, replaceState: vi.fn() } } as unknown as Window
    expect(takeCioId(w)).toBe('abc')
    expect(w.history.replaceState).toHaveBeenCalledWith(null, '', '/search?q=red%20shirt&tag=a+b&flag&x=%E2%82%AC#top')
  })

  it('still returns the id when history.replaceState throws', () => {
    const w = { location: { href: 'https://shop.example/?_cio_id=abc' }, history: { state: null, replaceState: () => { throw new Error('sandboxed') } } } as unknown as Window
    expect(takeCioId(w)).toBe('abc')
  })

  it('returns the _cio_id and removes it from the address bar, keeping the other params and the hash', () => {
    happyDOM().setURL('https://shop.example/products/tee?utm_source=email&_cio_id=abc123&variant=2#reviews')
    history.replaceState({ scroll: 120 }, '')
    expect(takeCioId(window)).toBe('abc123')
    expect(location.href).toBe('https://shop.example/products/tee?utm_source=email&variant=2#reviews')
    expect(history.state).toEqual({ scroll: 120 })
  })

  it('drops the ? when _cio_id was the only parameter', () => {
    happyDOM().setURL('https://shop.example/?_cio_id=abc123')
    expect(takeCioId(window)).toBe('abc123')
    expect(location.href).toBe('https://shop.example/')
  })

  it('trims the value', () => {
    happyDOM().setURL('https://shop.example/?_cio_id=%20abc123%20')
    expect(takeCioId(window)).toBe('abc123')
  })

  it.each([
    ['no parameter', 'https://shop.example/p?utm_source=email#x'],
    ['an empty parameter', 'https://shop.example/p?_cio_id=&utm_source=email'],
    ['a blank parameter', 'https://shop.example/p?_cio_id=%20%20'],
    ['a similar name', 'https://shop.example/p?cio_id=abc&_cio_idx=1'],
  ])('returns "" with %s, and leaves the URL alone', (_label, url) => {
    happyDOM().setURL(url)
    const replace = vi.spyOn(history, 'replaceState')
    try {
      expect(takeCioId(window)).toBe('')
      expect(replace).not.toHaveBeenCalled()
      expect(location.href).toBe(url)
    } finally {
      replace.mockRestore()
    }
  })

  it('passes the current history state and a same-document path to replaceState (fake window)', () => {
    const state = { page: 3 }
    const replaceState = vi.fn()
    const w = { location: { href: 'https://shop.example/c/tees?page=3&_cio_id=xyz#grid' }, history: { state, replaceState } } as unknown as Window
    expect(takeCioId(w)).toBe('xyz')
    expect(replaceState).toHaveBeenCalledExactlyOnceWith(state, '', '/c/tees?page=3#grid')
  })

  it('never throws: unreadable location or a failing replaceState', () => {
    const noLocation = {
      get location(): Location {
        throw new DOMException('denied', 'SecurityError')
      },
    } as unknown as Window
    expect(takeCioId(noLocation)).toBe('')
    const failing = {
      location: { href: 'https://shop.example/?_cio_id=xyz' },
      history: {
        state: null,
        replaceState: () => {
          throw new DOMException('too many calls', 'SecurityError')
        },
      },
    } as unknown as Window
    expect(() => takeCioId(failing)).not.toThrow()
  })
})
