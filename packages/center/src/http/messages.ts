/** The center's named messages (protocol's `wire/center.ts`): shared schemas, and `$ref`s to them for the routes. */
import { messageRefs } from '@lictor/http-service';
import { CENTER_MESSAGES } from '@lictor/protocol/wire';

/** `$ref`s to {@link CENTER_MESSAGES}, typed as the messages (request bodies and replies are typed by them). */
export const ref = messageRefs(CENTER_MESSAGES);
