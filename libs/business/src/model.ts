/** The stages of a deal, in the order the workflow moves them; `won` and `lost` are final. */
export const DEAL_STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost'] as const
export type DealStage = (typeof DEAL_STAGES)[number]
export const OPEN_STAGES: readonly DealStage[] = ['lead', 'qualified', 'proposal', 'negotiation']

export const VERIFICATION_STATUSES = ['unverified', 'pending', 'verified', 'rejected'] as const
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number]

/** Amounts are decimal strings with two places ("1250.00"): no floating point on money. */
export type Amount = string

/** Deal statistics of an organization, or of one owner's deals in it (the `deal_stats` cache type). */
export interface DealStats {
  orgId: string
  /** The owner the figures are restricted to; null for the whole organization. */
  ownerId: string | null
  total: number
  byStage: Record<DealStage, { count: number; amount: Amount }>
  byVerification: Record<VerificationStatus, number>
  /** Sum of the open stages' amounts. */
  pipelineAmount: Amount
  wonAmount: Amount
}

/** An organization's dashboard (the `dashboard` cache type). */
export interface Dashboard {
  orgId: string
  deals: { open: number; won: number; lost: number; pipelineAmount: Amount; wonAmount: Amount }
  verification: { pending: number; verified: number; rejected: number }
  /** Commissions of the current month (`YYYY-MM`, UTC). */
  commissions: { period: string; count: number; amount: Amount }
  files: { pending: number; processed: number; failed: number; rows: number }
  /** The latest stage changes, newest first. */
  recentStageChanges: { dealId: string; title: string; from: string | null; to: string; rule: string | null; at: string }[]
}

/** The month (`YYYY-MM`, UTC) a moment falls in: the period of commissions. */
export const periodOf = (at: Date): string => at.toISOString().slice(0, 7)
