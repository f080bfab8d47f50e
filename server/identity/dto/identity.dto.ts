import { ApiProperty } from '@nestjs/swagger';
import type { StoredIdentity } from '../identity.repository';

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
}

export function mapIdentity(identity: StoredIdentity): IdentityDto {
  return { user_id: identity.user_id, created_at: new Date(identity.created_at).toISOString() };
}
