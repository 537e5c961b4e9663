import Type, { type Static } from 'typebox'

// The contract's names, declared once and used by HTTP validation, gRPC validation and OpenAPI.
export const OrgSlug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$', description: 'Organization slug' })
export const PermissionKey = Type.String({
  pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$',
  maxLength: 128,
  description: 'Permission key, lowercase and dotted (deals.view)',
})
export const RoleName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' })
export const UserId = Type.String({ pattern: '^[A-Za-z0-9_.@:-]{1,128}$', description: "The host application's user id" })
export const Revision = Type.String({ pattern: '^[0-9]+$', description: 'An organization revision: a growing non-negative integer' })
export const AtLeastRevision = Type.Union([Type.String({ pattern: '^[0-9]{1,15}$' }), Type.Integer({ minimum: 0, maximum: 999_999_999_999_999 })], {
  description: 'Answer from a state at least this new',
})

export const OrgParams = Type.Object({ org: OrgSlug })
export const RoleParams = Type.Object({ org: OrgSlug, role: RoleName })
export const MemberParams = Type.Object({ org: OrgSlug, user: UserId })
export const UserParams = Type.Object({ user: UserId })

export const PermissionBody = Type.Object({ key: PermissionKey, description: Type.Optional(Type.String({ maxLength: 1024 })) })
export const Permission = Type.Object({ key: Type.String(), description: Type.String() })

export const CreateOrgBody = Type.Object({ slug: OrgSlug, name: Type.String({ minLength: 1, maxLength: 200 }) })
export const UpdateOrgBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) })
export const Organization = Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), revision: Revision })

export const UserBody = Type.Object({
  email: Type.String({ format: 'email', maxLength: 320 }),
  name: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  passwordChangedAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
})
export const User = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  passwordChangedAt: Type.Union([Type.String(), Type.Null()]),
})

const PermissionList = Type.Array(PermissionKey, { maxItems: 1000, uniqueItems: true })
const RoleList = Type.Array(RoleName, { maxItems: 100, uniqueItems: true })
export const CreateRoleBody = Type.Object({ name: RoleName, permissions: PermissionList, inherits: Type.Optional(RoleList) })
export const ReplaceRoleBody = Type.Object({ permissions: PermissionList, inherits: Type.Optional(RoleList) })
export const Role = Type.Object({
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  inherits: Type.Array(Type.String()),
  effectivePermissions: Type.Array(Type.String(), { description: 'Its own and every inherited permission' }),
})
export const RoleWritten = Type.Object({ name: Type.String(), permissions: Type.Array(Type.String()), inherits: Type.Array(Type.String()), revision: Revision })

export const MembershipBody = Type.Object({ roles: RoleList })
export const Membership = Type.Object({ user: Type.String(), roles: Type.Array(Type.String()), revision: Revision })
export const RevisionOnly = Type.Object({ revision: Revision })

export const CheckBody = Type.Object({ org: OrgSlug, user: UserId, permission: PermissionKey, atLeastRevision: Type.Optional(AtLeastRevision) })
export const CheckResult = Type.Object({ allowed: Type.Boolean(), revision: Revision })
export const BulkCheckBody = Type.Object({ checks: Type.Array(CheckBody, { minItems: 1, maxItems: 1000 }) })
export const BulkCheckResult = Type.Object({
  results: Type.Array(Type.Object({ allowed: Type.Boolean() })),
  revisions: Type.Record(Type.String(), Revision),
})
export const UserPermissionsQuery = Type.Object({ atLeastRevision: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) })
export const UserPermissions = Type.Object({ user: Type.String(), permissions: Type.Array(Type.String()), revision: Revision })

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

export type CheckInput = Static<typeof CheckBody>
export type RoleInput = Static<typeof CreateRoleBody>
