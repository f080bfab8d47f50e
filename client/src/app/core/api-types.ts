/**
 * The API's shapes under the names the client uses, from the generated models (snake_case, ISO
 * times), so components import from one place.
 */
import type { ErrorBody } from '../api/models/error-body';

export type { PersonaDto as Persona } from '../api/models/persona-dto';
export type { GuestIdentityDto as Identity } from '../api/models/guest-identity-dto';
export type { SessionDto as Session } from '../api/models/session-dto';
export type { SessionListDto as SessionPage } from '../api/models/session-list-dto';
export type { SessionCreateDto as NewSession } from '../api/models/session-create-dto';
export type { SessionUpdateDto as SessionUpdate } from '../api/models/session-update-dto';
export type { SessionUpdatedDto as SessionUpdated } from '../api/models/session-updated-dto';
export type { SessionSettingsUpdateDto as SettingsUpdate } from '../api/models/session-settings-update-dto';
export type { MessageContextViewDto as MessageContextView } from '../api/models/message-context-view-dto';
export type { MessageDto as Message } from '../api/models/message-dto';
export type { MessageListDto as MessagePage } from '../api/models/message-list-dto';
export type { ChatErrorEventDto as ChatErrorEvent } from '../api/models/chat-error-event-dto';

/** The error body every failing route answers with. */
export type ApiErrorBody = ErrorBody;
export type { AuthSettingsDto as AuthSettings } from '../api/models/auth-settings-dto';
export type { SignedInDto as SignedIn } from '../api/models/signed-in-dto';
export type { IdentityDto as Me } from '../api/models/identity-dto';
export type { IdentityKind } from '../api/models/identity-kind';
export type { ApiTokenDto as ApiToken } from '../api/models/api-token-dto';
export type { ApiTokenCreatedDto as ApiTokenCreated } from '../api/models/api-token-created-dto';
export type { ApiTokenCreateDto as NewApiToken } from '../api/models/api-token-create-dto';
