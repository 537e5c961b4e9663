import t from 'tap'
import { nextMove, periodBounds, periodOf, type DealFacts } from '../src/index.ts'

const now = new Date('2026-11-15T12:00:00Z')
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000)
const deal = (facts: Partial<DealFacts>): DealFacts => ({ stage: 'lead', verificationStatus: 'unverified', amount: '5000.00', stageChangedAt: daysAgo(1), ...facts })

t.test('the first rule that applies moves a deal one stage', async (t) => {
  t.equal(nextMove(deal({}), now), undefined, 'a fresh unverified lead stays')
  t.match(nextMove(deal({ verificationStatus: 'verified' }), now), { rule: 'verified-lead-qualifies', to: 'qualified' })
  t.match(nextMove(deal({ stageChangedAt: daysAgo(90) }), now), { rule: 'stale-lead-is-lost', to: 'lost' })
  t.equal(nextMove(deal({ stage: 'qualified', stageChangedAt: daysAgo(2.9) }), now), undefined, 'qualified for less than 3 days stays')
  t.match(nextMove(deal({ stage: 'qualified', stageChangedAt: daysAgo(3) }), now), { rule: 'qualified-gets-proposal', to: 'proposal', requestVerification: false })
  t.match(nextMove(deal({ stage: 'proposal', verificationStatus: 'verified' }), now), { rule: 'verified-proposal-negotiates', to: 'negotiation' })
  t.match(nextMove(deal({ stage: 'negotiation', stageChangedAt: daysAgo(30) }), now), { rule: 'stale-negotiation-is-lost', to: 'lost' })
  t.match(nextMove(deal({ stage: 'negotiation', verificationStatus: 'rejected' }), now), { rule: 'rejected-deal-is-lost' }, 'rejection comes first')
  t.equal(nextMove(deal({ stage: 'won', verificationStatus: 'rejected', stageChangedAt: daysAgo(400) }), now), undefined, 'closed deals never move')
})

t.test('a deal entering the proposal unverified at 10,000 or more has its verification requested', async (t) => {
  const qualified = { stage: 'qualified' as const, stageChangedAt: daysAgo(5) }
  t.match(nextMove(deal({ ...qualified, amount: '10000.00' }), now), { to: 'proposal', requestVerification: true })
  t.match(nextMove(deal({ ...qualified, amount: '9999.99' }), now), { to: 'proposal', requestVerification: false })
  t.match(nextMove(deal({ ...qualified, amount: '250000.00', verificationStatus: 'verified' }), now), { requestVerification: false }, 'not when already verified')
})

t.test('commission periods are UTC months', async (t) => {
  t.equal(periodOf(new Date('2026-02-28T23:59:59.999Z')), '2026-02')
  t.same(periodBounds('2026-12'), { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') })
  t.throws(() => periodBounds('2026-13'), { code: 'LK_ERR_INVALID_BUSINESS_INPUT' })
})
