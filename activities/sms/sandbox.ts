import type { SmsProvider } from './provider.js';

/**
 * Without Twilio credentials: the outbox row in Postgres *is* the sent message (GET /dev/outbox lists them).
 * The sid is derived from the outbox id, so a retry can never produce a second message.
 */
export function createSandboxProvider(): SmsProvider {
  return {
    name: 'sandbox',
    sender: 'sandbox',
    async send(msg) {
      return { sid: `SB${String(msg.outboxId).padStart(32, '0')}`, status: 'delivered', from: null };
    },
    async findSent() {
      return null;
    },
  };
}
