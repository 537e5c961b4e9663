import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import nodemailer from 'nodemailer'

export interface MailMessage {
  /** A stable id (the notification's): names the .eml file and makes the Message-ID. */
  id: string
  from: string
  to: string
  subject: string
  text: string
}

export interface MailTransport {
  /** Where mail goes, for logs and results: `smtp://host:port` or the mail directory. */
  readonly destination: string
  send(message: MailMessage): Promise<{ messageId: string }>
  close(): void
}

/**
 * The Message-ID is derived from the notification, so that a message sent twice (a crash between
 * the SMTP server's acceptance and the row being marked sent) can be recognized as one.
 */
const messageIdOf = (id: string) => `<notification-${id}@latchkey>`

/** SMTP through nodemailer (`smtp://user:pass@host:port`, `smtps://...`). */
function smtpTransport(smtpUrl: string): MailTransport {
  const transporter = nodemailer.createTransport(smtpUrl)
  const url = new URL(smtpUrl)
  return {
    destination: `${url.protocol}//${url.host}`,
    async send(message) {
      const messageId = messageIdOf(message.id)
      await transporter.sendMail({ from: message.from, to: message.to, subject: message.subject, text: message.text, messageId })
      return { messageId }
    },
    close: () => transporter.close(),
  }
}

/**
 * Without an SMTP server: each message is rendered by nodemailer as an RFC 5322 file,
 * `<mailDir>/<id>.eml` (written to a temporary name and renamed, so a reader never sees half).
 */
function directoryTransport(mailDir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    destination: mailDir,
    async send(message) {
      const messageId = messageIdOf(message.id)
      const info = await transporter.sendMail({ from: message.from, to: message.to, subject: message.subject, text: message.text, messageId })
      await mkdir(mailDir, { recursive: true })
      const file = join(mailDir, `${message.id}.eml`)
      await writeFile(`${file}.tmp`, info.message as Buffer)
      await rename(`${file}.tmp`, file)
      return { messageId }
    },
    close: () => transporter.close(),
  }
}

export function createMailTransport(options: { smtpUrl?: string | undefined; mailDir: string }): MailTransport {
  return options.smtpUrl ? smtpTransport(options.smtpUrl) : directoryTransport(options.mailDir)
}
