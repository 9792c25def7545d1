// Wisepops as a renderer (`config.wisepops: true`): its popup on screen holds ours back (never two popups
// at once), and what it shows and what the shopper does with it become the same offer_* events as ours.
import { connectWisepops } from '../wisepops/wisepops.ts'
import { debug } from '../util/log.ts'
import { record, type OfferState } from './state.ts'

export const wisepopsHandover = (s: OfferState) =>
  connectWisepops(s.d.w, {
    display(id) {
      if (s.open?.offer.kind === 'popup') debug('a Wisepops popup opened: closing ours'), s.open.close(), (s.open = undefined)
      const own = { offer_id: 'wisepops_' + (id || 'popup'), offer_name: 'wisepops ' + id, variant: 'a', kind: 'popup', decision_id: s.last?.decisionId ?? '', audiences: [], incentive: false, holdout: false, trigger: 'wisepops', page_type: s.page.type }
      s.current = { ...(s.handed ?? own), source: 'wisepops' }
      s.handed = undefined
      s.submitted = false
      record(s, s.current, 'view', 'offer_seen')
    },
    submit(_, traits) {
      if (!s.current) return
      if (traits.email || traits.phone) s.d.identify(traits)
      s.submitted = true
      record(s, s.current, 'submit', 'offer_submitted')
    },
    click: () => s.current && !s.stopped && s.d.track('offer_clicked', s.current),
    close() {
      if (s.current && !s.submitted) record(s, s.current, 'dismiss', 'offer_dismissed')
      s.current = undefined
      const h = s.held
      s.held = undefined
      h?.()
    },
  })
