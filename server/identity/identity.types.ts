/** The caller of a request, as the bearer-token guard established it. */
export interface Identity {
  user_id: string;
}

/** Where the guard keeps the caller on the request object. */
export const IDENTITY_REQUEST_KEY = 'identity';

export interface RequestWithIdentity {
  [IDENTITY_REQUEST_KEY]?: Identity;
}
