/** guest: anonymous; account: username + password; proxy: named by a trusted reverse proxy; oidc: an OpenID Connect provider's user. */
export const IDENTITY_KINDS = ['guest', 'account', 'proxy', 'oidc'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** The caller of a request, as the auth guard established it. */
export interface Identity {
  user_id: string;
  kind?: IdentityKind;
  username?: string;
  /** Hash of the bearer token the request came with (absent when a proxy header named the user). */
  token_hash?: string;
}

/** Where the guard keeps the caller on the request object. */
export const IDENTITY_REQUEST_KEY = 'identity';

export interface RequestWithIdentity {
  [IDENTITY_REQUEST_KEY]?: Identity;
}
