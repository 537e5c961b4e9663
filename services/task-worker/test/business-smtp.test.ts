import { SMTPServer } from 'smtp-server'
import t from 'tap'
import { freePort, queryDatabase, waitFor } from '@latchkey/testing'
import { runTask, startBusinessPlatform } from './business-helpers.ts'

interface Received {
  from: string
  to: string[]
  subject: string
  messageId: string
  text: string
}

/** A real SMTP server on a free port that keeps what it receives. */
async function startSmtpServer(t: { teardown(fn: () => unknown): void }): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const [head = '', ...body] = raw.split(/\r?\n\r?\n/)
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim() ?? ''
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header('Subject'),
          messageId: header('Message-ID'),
          text: body.join('\n\n'),
        })
        callback()
      })
    },
  })
  const port = await freePort()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `smtp://127.0.0.1:${port}`, received }
}

t.test('with SMTP_URL, notifications.email sends through the SMTP server and marks the notification sent', async (t) => {
  const smtp = await startSmtpServer(t)
  const platform = await startBusinessPlatform(t, { SMTP_URL: smtp.url, MAIL_FROM: 'Latchkey <robot@latchkey.test>' })
  const task = await runTask(platform, { queue: 'auth', type: 'auth.password_expiration_check' })
  t.equal(task.status, 'succeeded', task.error ?? '')
  const expected = (task.result as { created: number }).created
  t.ok(expected > 0, `${expected} users have an expired password`)

  await waitFor('every e-mail to reach the SMTP server', () => (smtp.received.length >= expected ? true : undefined), { timeoutMs: 30_000 })
  const notifications = await waitFor('the notifications to be marked sent', async () => {
    const rows = await queryDatabase<{ id: string; sent_at: Date | null; message_id: string; email: string }>(
      platform.databaseUrl,
      'SELECT n.id, n.sent_at, n.message_id, u.email FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY n.id',
    )
    return rows.every((row) => row.sent_at) ? rows : undefined
  })
  t.equal(smtp.received.length, expected, 'one message per notification')
  for (const notification of notifications) {
    const message = smtp.received.find((m) => m.messageId === notification.message_id)
    t.ok(message, `notification ${notification.id.slice(0, 8)} arrived with its Message-ID`)
    t.same(message?.to, [notification.email], 'to the user')
    t.equal(message?.from, 'robot@latchkey.test', 'from MAIL_FROM')
    t.equal(message?.subject, 'Your password has expired')
    t.match(message?.text, 'your password was last changed on', 'with the rendered body')
  }
  t.same(await queryDatabase(platform.databaseUrl, 'SELECT 1 FROM notifications WHERE sent_at IS NULL'), [], 'nothing left unsent')
})
