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
export type { MessageDto as Message } from '../api/models/message-dto';
export type { MessageListDto as MessagePage } from '../api/models/message-list-dto';
export type { ChatErrorEventDto as ChatErrorEvent } from '../api/models/chat-error-event-dto';

/** The error body every failing route answers with. */
export type ApiErrorBody = ErrorBody;
