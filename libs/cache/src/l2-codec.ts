import { deflateRawSync, inflateRawSync } from 'node:zlib'

// Encoded values are JSON (they start with `[`, `{`, `"`, a digit or `n`), so a `z:` prefix marks
// a compressed one without ambiguity.
const marker = 'z:'

/**
 * How values are written to Redis: as they are, or, above `thresholdBytes`, deflated and base64'd
 * (the seed review asked for compression of large values; a large organization's role list or a
 * broad user's permissions shrink several times).
 */
export class L2Codec {
  savedBytes = 0

  constructor(private readonly thresholdBytes: number) {}

  encode(text: string): string {
    if (this.thresholdBytes <= 0 || text.length < this.thresholdBytes) return text
    const packed = marker + deflateRawSync(text).toString('base64')
    if (packed.length >= text.length) return text
    this.savedBytes += text.length - packed.length
    return packed
  }

  decode(stored: string): string {
    return stored.startsWith(marker) ? inflateRawSync(Buffer.from(stored.slice(marker.length), 'base64')).toString() : stored
  }
}
