import { ApiProperty } from '@nestjs/swagger';
import type { StoredIdentity } from '../identity.repository';
import { IDENTITY_KINDS, IdentityKind } from '../identity.types';

export class GuestIdentityDto {
  /** The new identity's id. */
  user_id: string;
  /** Bearer token: send it as `Authorization: Bearer <token>`. It is shown only once; keep it. */
  token: string;
}

export class IdentityDto {
  /** The caller's identity id. */
  user_id: string;
  /** When the identity was created (ISO 8601). */
  @ApiProperty({ format: 'date-time' })
  created_at: string;
  /** guest: anonymous; account: username + password; proxy: named by the sign-in proxy; oidc: signed in with OpenID Connect. */
  @ApiProperty({ enum: IDENTITY_KINDS, enumName: 'IdentityKind' })
  kind: IdentityKind;
  /** The account's or proxied user's name (for OpenID Connect: the provider's preferred name); null for guests. */
  @ApiProperty({ type: String, nullable: true })
  username: string | null;
}

export function mapIdentity(identity: StoredIdentity): IdentityDto {
  return {
    user_id: identity.user_id,
    created_at: new Date(identity.created_at).toISOString(),
    kind: identity.kind,
    username: identity.username ?? null,
  };
}
