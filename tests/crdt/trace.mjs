// Editing traces (../shared/traces, format in its README.md) replayed in Yjs as local edits.

import fs from 'node:fs';
import zlib from 'node:zlib';

import * as Y from 'yjs';

/** The parsed trace in a .json.gz file. */
export function readTrace(file) {
  const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  if (typeof trace.endContent !== 'string' || !Array.isArray(trace.txns)) throw new Error(`${file} is not an editing trace (no endContent or txns)`);
  return trace;
}

/**
 * Converts positions in code points (as traces give them) to UTF-16 indices (as Y.Text takes
 * them) while the text changes, by remembering where the astral characters are; with none (the
 * usual case) positions pass through unchanged.
 */
class CodePointIndex {
  constructor() {
    this.astral = []; // sorted code point positions of characters outside the BMP
  }

  /** UTF-16 index of code point position `pos`. */
  utf16(pos) {
    let n = 0;
    while (n < this.astral.length && this.astral[n] < pos) n++;
    return pos + n;
  }

  /** Records that `count` code points at `pos` were deleted. */
  deleted(pos, count) {
    if (this.astral.length === 0) return;
    this.astral = this.astral.filter((p) => p < pos || p >= pos + count).map((p) => (p >= pos + count ? p - count : p));
  }

  /** Records that `text` was inserted at code point `pos`; returns its length in code points. */
  inserted(pos, text) {
    const chars = Array.from(text);
    if (chars.length === text.length && this.astral.length === 0) return chars.length;
    this.astral = this.astral.map((p) => (p >= pos ? p + chars.length : p));
    chars.forEach((c, i) => { if (c.length === 2) this.astral.push(pos + i); });
    this.astral.sort((a, b) => a - b);
    return chars.length;
  }
}

/**
 * Replays `trace` as local edits on getText('text') of a new Y.Doc whose clientID is `clientId`:
 * one transaction per patch, deleting first and then inserting. Returns the doc, the number of
 * patches and every update the doc emitted.
 */
export function replayTraceInYjs(trace, { clientId = 1, collectUpdates = false } = {}) {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const text = doc.getText('text');
  const updates = [];
  if (collectUpdates) doc.on('update', (u) => updates.push(u));
  const index = new CodePointIndex();
  let patches = 0;
  if (trace.startContent) {
    doc.transact(() => text.insert(0, trace.startContent));
    index.inserted(0, trace.startContent);
  }
  for (const txn of trace.txns) {
    for (const [pos, del, ins] of txn.patches) {
      doc.transact(() => {
        if (del > 0) {
          const from = index.utf16(pos);
          text.delete(from, index.utf16(pos + del) - from);
          index.deleted(pos, del);
        }
        if (ins) {
          text.insert(index.utf16(pos), ins);
          index.inserted(pos, ins);
        }
      });
      patches++;
    }
  }
  return { doc, text, patches, updates };
}
