import { Prisma } from '@latchkey/db'
import { OPEN_STAGES, type DealStage, type VerificationStatus } from './model.ts'

/** What the workflow rules look at. */
export interface DealFacts {
  stage: DealStage
  verificationStatus: VerificationStatus
  amount: string
  stageChangedAt: Date
}

export interface WorkflowRule {
  name: string
  description: string
  from: readonly DealStage[]
  to: DealStage
  applies(deal: DealFacts, now: Date): boolean
}

const dayMs = 86_400_000
const daysIn = (deal: DealFacts, now: Date) => (now.getTime() - deal.stageChangedAt.getTime()) / dayMs

/** Deals of at least this amount need verification before they can go past the proposal. */
export const VERIFICATION_THRESHOLD = new Prisma.Decimal('10000.00')

/**
 * The deal workflow (the replaced system's "automated workflow maintenance"), in priority order:
 * the first rule that applies moves the deal, one stage per run at most.
 */
export const WORKFLOW_RULES: readonly WorkflowRule[] = [
  {
    name: 'rejected-deal-is-lost',
    description: 'A deal whose verification was rejected is lost',
    from: OPEN_STAGES,
    to: 'lost',
    applies: (deal) => deal.verificationStatus === 'rejected',
  },
  {
    name: 'verified-lead-qualifies',
    description: 'A verified lead is qualified',
    from: ['lead'],
    to: 'qualified',
    applies: (deal) => deal.verificationStatus === 'verified',
  },
  {
    name: 'qualified-gets-proposal',
    description: 'A deal qualified for 3 days gets a proposal',
    from: ['qualified'],
    to: 'proposal',
    applies: (deal, now) => daysIn(deal, now) >= 3,
  },
  {
    name: 'verified-proposal-negotiates',
    description: 'A proposal whose deal is verified goes to negotiation',
    from: ['proposal'],
    to: 'negotiation',
    applies: (deal) => deal.verificationStatus === 'verified',
  },
  {
    name: 'stale-negotiation-is-lost',
    description: 'A negotiation without progress for 30 days is lost',
    from: ['negotiation'],
    to: 'lost',
    applies: (deal, now) => daysIn(deal, now) >= 30,
  },
  {
    name: 'stale-lead-is-lost',
    description: 'A lead untouched for 90 days is lost',
    from: ['lead'],
    to: 'lost',
    applies: (deal, now) => daysIn(deal, now) >= 90,
  },
]

export interface DealMove {
  rule: string
  to: DealStage
  /** The deal enters the proposal unverified at or above the threshold: verification is requested. */
  requestVerification: boolean
}

/** The move the rules make for a deal now, if any. */
export function nextMove(deal: DealFacts, now: Date, rules: readonly WorkflowRule[] = WORKFLOW_RULES): DealMove | undefined {
  const rule = rules.find((candidate) => candidate.from.includes(deal.stage) && candidate.applies(deal, now))
  if (!rule) return undefined
  const requestVerification = rule.to === 'proposal' && deal.verificationStatus === 'unverified' && new Prisma.Decimal(deal.amount).gte(VERIFICATION_THRESHOLD)
  return { rule: rule.name, to: rule.to, requestVerification }
}
