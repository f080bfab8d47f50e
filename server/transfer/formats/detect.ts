import { ConversationTree, ImportFormatError } from '../conversation-tree';
import { fromChatGpt, isChatGptConversation } from './chatgpt';
import { fromClaude, isClaudeConversation } from './claude';
import { isObject } from './format-checks';
import { fromSessionExport, isSessionExport } from './nono';

/** One conversation of an import file as a tree, whichever format it is in (told by its content). */
export function toConversationTree(value: unknown, index: number): ConversationTree {
  if (!isObject(value)) throw new ImportFormatError(`Conversation ${index + 1} is not a JSON object.`);
  if (isSessionExport(value)) return fromSessionExport(value, index);
  if (isChatGptConversation(value)) return fromChatGpt(value, index);
  if (isClaudeConversation(value)) return fromClaude(value, index);
  throw new ImportFormatError(
    `Conversation ${index + 1} is in no format this server imports: expected a ChatGPT conversation (with "mapping"), ` +
      'a Claude conversation (with "chat_messages") or an export of this server (with "format": "nono-chat.session").',
  );
}
