import type Redis from 'ioredis';
import { REPLY_STREAM_TTL_MS } from '@falaj/contracts';

/**
 * Makes an instance's reply stream, empty, with its expiry. XGROUP CREATE ... MKSTREAM creates a
 * stream without adding an entry (the group itself is never read), so the readers need no XADD:
 * only workers ever add to a reply stream, which the ACL then enforces (redis-acl.policy.ts).
 */
export async function openReplyStream(redis: Redis, stream: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', stream, 'open', '$', 'MKSTREAM');
  } catch (error) {
    // The stream and its group exist already (a refresh after a lost expiry, a second opener).
    if (!/BUSYGROUP/.test((error as Error).message)) throw error;
  }
  await redis.pexpire(stream, REPLY_STREAM_TTL_MS);
}
