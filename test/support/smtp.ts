import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
}

type Refusal = { code: number; message: string } | undefined;

/**
 * A real SMTP server on 127.0.0.1 (smtp-server). `reject` can answer a message with an SMTP error
 * (e.g. 451 or 550) instead of accepting it; `refuseRecipient` one recipient, at RCPT TO; `answerAfterMs`
 * holds each answer to a message that long (a slow server), and `mostAtOnce` says how many it held at once.
 */
export async function startSmtp(reject: (n: number) => Refusal = () => undefined, port = 0, refuseRecipient: (address: string) => Refusal = () => undefined, answerAfterMs = 0) {
  const received: Received[] = [];
  let attempts = 0;
  let open = 0;
  let mostAtOnce = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const no = refuseRecipient(address.address);
      callback(no ? Object.assign(new Error(no.message), { responseCode: no.code }) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        mostAtOnce = Math.max(mostAtOnce, ++open);
        if (answerAfterMs) await new Promise((r) => setTimeout(r, answerAfterMs));
        open -= 1;
        attempts += 1;
        const no = reject(attempts);
        if (no) {
          const err = Object.assign(new Error(no.message), { responseCode: no.code });
          return callback(err);
        }
        const mail = await simpleParser(Buffer.concat(chunks));
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          mail,
        });
        callback();
      });
    },
  });
  // A client killed mid-conversation (the kill -9 test) resets its connection; smtp-server reports
  // that as an 'error' event, which would otherwise be thrown.
  server.on('error', () => {});
  await new Promise<void>((ready) => server.listen(port, '127.0.0.1', ready));
  const bound = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    port: bound,
    received,
    attempts: () => attempts,
    mostAtOnce: () => mostAtOnce,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
