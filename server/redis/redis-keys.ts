import { Inject, Injectable } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/config';

/**
 * Key naming, in one place. All keys of one identity share the hash tag `{u:<userId>}` so a MULTI
 * covering a session, its messages and the identity's index stays on one Redis Cluster slot.
 */
@Injectable()
export class RedisKeys {
  readonly prefix: string;

  constructor(@Inject(redisConfig.KEY) config: Pick<RedisConfig, 'keyPrefix'> & Partial<RedisConfig>) {
    this.prefix = config.keyPrefix;
  }

  private user(userId: string): string {
    return `${this.prefix}:{u:${userId}}`;
  }

  identity(userId: string): string {
    return `${this.user(userId)}:identity`;
  }

  /**
   * ZSET of the identity's sessions that are neither pinned nor archived, score = last activity (ms).
   * With pinnedSessionIndex and archivedSessionIndex it partitions the sessions: each is in one of the three.
   */
  sessionIndex(userId: string): string {
    return `${this.user(userId)}:sessions`;
  }

  /** ZSET of the pinned sessions that are not archived, score = last activity (ms). */
  pinnedSessionIndex(userId: string): string {
    return `${this.user(userId)}:sessions:pinned`;
  }

  /** ZSET of the archived sessions (pinned or not), score = last activity (ms). */
  archivedSessionIndex(userId: string): string {
    return `${this.user(userId)}:sessions:archived`;
  }

  /** ZSET (scores 0) of the ids of the identity's sessions carrying a tag: a list filter, checked against each session's hash. */
  sessionTag(userId: string, tag: string): string {
    return `${this.user(userId)}:tag:${encodeURIComponent(tag)}`;
  }

  /** ZSET (scores 0) of the tag names the identity's sessions carry: how GET /api/tags finds each sessionTag set. */
  tagNames(userId: string): string {
    return `${this.user(userId)}:tags`;
  }

  /** ZSET id of each of the identity's sessions that has tags → when it was last known to exist (ms): finds expired ones to purge from the tag sets. */
  taggedSessions(userId: string): string {
    return `${this.user(userId)}:tags:sessions`;
  }

  /** ZSET (scores 0) of the ids of the identity's sessions with a persona: a list filter, checked against each session's hash. */
  sessionPersona(userId: string, persona: string): string {
    return `${this.user(userId)}:persona:${encodeURIComponent(persona)}`;
  }

  session(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}`;
  }

  /** HASH display name → id of the newest session with that name (resolves the v0 API's name lookups). */
  sessionNames(userId: string): string {
    return `${this.user(userId)}:session-names`;
  }

  messages(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:msgs`;
  }

  /**
   * HASH of the session's conversation tree: `n:<message id>` → the message's record, `c:<parent id>`
   * → its children's ids (`c:` for first messages). `messages` is the active path through it.
   */
  messageTree(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:tree`;
  }

  /** Held while a generation runs in the session (SET NX PX), so only one runs, across instances. */
  generationLock(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:gen`;
  }

  /** STREAM of the running (or just finished) generation's events, read by GET .../generation on any instance. */
  generationEvents(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:events`;
  }

  /** Pub/sub channel announcing new entries of generationEvents to the instances following them. */
  generationChannel(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:events:live`;
  }

  /** STRING outcome of a send or regenerate made with an Idempotency-Key (hashed), with a TTL. */
  idempotency(userId: string, sessionId: string, keyHash: string): string {
    return `${this.user(userId)}:s:${sessionId}:idem:${keyHash}`;
  }

  /** HASH source key of an imported conversation (format, its id, a hash of its content) → the session it became. */
  imports(userId: string): string {
    return `${this.user(userId)}:imports`;
  }

  /** HASH share id → JSON summary of each of the identity's share links (lists and revokes them). */
  shares(userId: string): string {
    return `${this.user(userId)}:shares`;
  }

  /** Global: a share link's snapshot (JSON), with the link's lifetime as TTL; the id is unguessable. */
  share(shareId: string): string {
    return `${this.prefix}:share:${shareId}`;
  }

  /** Pub/sub channel of one identity's live events (GET /api/events). */
  userEvents(userId: string): string {
    return `${this.user(userId)}:events`;
  }

  // ---- search index (server/search/search-index.repository.ts) ----------------------------------

  /** STRING: one segment of the identity's index (search-segments.ts), immutable. */
  searchSegment(userId: string, segmentId: number): string {
    return `${this.user(userId)}:search:g:${segmentId}`;
  }

  /** STRING: the sparse index of one segment (JSON), immutable. */
  searchSegmentIndex(userId: string, segmentId: number): string {
    return `${this.user(userId)}:search:gi:${segmentId}`;
  }

  /** HASH segment id → `level messages bytes`: the identity's live segments. */
  searchSegments(userId: string): string {
    return `${this.user(userId)}:search:segments`;
  }

  /** Counter: the last segment id given out. */
  searchSegmentCounter(userId: string): string {
    return `${this.user(userId)}:search:segment`;
  }

  /** ZSET segment id → when it was merged into another (ms): deleted a while later, once no search still reads it. */
  searchRetired(userId: string): string {
    return `${this.user(userId)}:search:retired`;
  }

  /** Held (short PX) while a server merges the identity's segments. */
  searchMergeLock(userId: string): string {
    return `${this.user(userId)}:search:merging`;
  }

  /** STRING: per session number, when the session was last written (5 letters at 5 × number), for ranking. */
  searchTimes(userId: string): string {
    return `${this.user(userId)}:search:times`;
  }

  /** STRING: the numbers of the identity's indexed sessions that have gone (deleted, cleared, expired), fixed width, appended. */
  searchDead(userId: string): string {
    return `${this.user(userId)}:search:dead`;
  }

  /** HASH session number → session id, for the identity's indexed sessions. */
  searchNumbers(userId: string): string {
    return `${this.user(userId)}:search:ords`;
  }

  /** Counter: the last session number given out in the identity's index. */
  searchNumberCounter(userId: string): string {
    return `${this.user(userId)}:search:ord`;
  }

  /** STRING `number count lastId`: one session's number in the index, how many of its messages are indexed, the newest of them. */
  searchState(userId: string, sessionId: string): string {
    return `${this.user(userId)}:search:s:${sessionId}:state`;
  }

  /** LIST of the ids of one session's indexed messages, in the order they were indexed (a posting names a message by its position here). */
  searchMessageIds(userId: string, sessionId: string): string {
    return `${this.user(userId)}:search:s:${sessionId}:ids`;
  }

  /** STRING: sessions written before this time (ms) are taken into the index (catch-ups scan the session lists from a little before it). */
  searchThrough(userId: string): string {
    return `${this.user(userId)}:search:through`;
  }

  /** Held (short PX) while a server takes the identity's new messages into the index. */
  searchCatchUpLock(userId: string): string {
    return `${this.user(userId)}:search:catching`;
  }

  /** ZSET session id → when a session was made, imported, cleared or renamed before it was indexed (ms): to be indexed at the next catch-up. */
  searchPending(userId: string): string {
    return `${this.user(userId)}:search:pending`;
  }

  /** ZSET session id → when the session's index entries were last written (ms): finds expired sessions to purge. */
  searchSessions(userId: string): string {
    return `${this.user(userId)}:search:sessions`;
  }

  /**
   * Keys of the index layout before postings logs (per-term ZSETs, the vocabulary ZSET, per-session
   * term lists, time sets, title terms and newest-indexed pointers): read only to delete them when
   * an identity's index is first used by this version.
   */
  searchLegacyTerm(userId: string, term: string): string {
    return `${this.user(userId)}:search:t:${term}`;
  }

  searchLegacyVocabulary(userId: string): string {
    return `${this.user(userId)}:search:terms`;
  }

  searchLegacySessionKeys(userId: string, sessionId: string): string[] {
    return ['w', 'm', 'p', 'title', 'last'].map((suffix) => `${this.user(userId)}:search:s:${sessionId}:${suffix}`);
  }

  /** Exists while the server instance with this id is alive (short PX, renewed). */
  instanceAlive(instanceId: string): string {
    return `${this.prefix}:instance:${instanceId}`;
  }

  /** HASH token id → JSON record of each of the identity's tokens (lets it list and revoke them). */
  tokens(userId: string): string {
    return `${this.user(userId)}:tokens`;
  }

  /** HASH token id → when the token was last used (ms), written at most about once a minute. */
  tokenUse(userId: string): string {
    return `${this.user(userId)}:token-use`;
  }

  /** Global: a user name (account or proxied) → the identity's id; SET NX keeps names unique. */
  username(name: string): string {
    return `${this.prefix}:username:${encodeURIComponent(name)}`;
  }

  /** Global: a pending OpenID Connect sign-in (PKCE verifier, nonce), for a few minutes. */
  oidcState(state: string): string {
    return `${this.prefix}:oidc-state:${state}`;
  }

  /** Global: sha256(issuer + subject) of an OpenID Connect user → the identity's id. */
  oidcSubject(subjectHash: string): string {
    return `${this.prefix}:oidc-sub:${subjectHash}`;
  }

  /**
   * Global: a system prompt's text by its id (a hash of the text), written once per text, so the
   * context of any answer can be shown as it was sent even after the persona file changed.
   */
  promptSnapshot(promptId: string): string {
    return `${this.prefix}:prompt:${promptId}`;
  }

  token(tokenHash: string): string {
    return `${this.prefix}:token:${tokenHash}`;
  }

  /** Pub/sub channel on which "stop this generation" is announced to whichever instance runs it. */
  stopChannel(): string {
    return `${this.prefix}:chat:stop`;
  }
}
