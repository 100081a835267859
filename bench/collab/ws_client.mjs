// A minimal WebSocket client (RFC 6455) for the load generator: binary messages, ping/pong and
// close, no extensions. Thousands of them share one core with Yjs in load.mjs, where the `ws`
// package's streams and events cost more CPU per small message than the generator can spare.

import crypto from 'node:crypto';
import net from 'node:net';

const kOpContinuation = 0x0;
const kOpText = 0x1;
const kOpBinary = 0x2;
const kOpClose = 0x8;
const kOpPing = 0x9;
const kOpPong = 0xa;
const kGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// Masking keys are drawn from a pool refilled in bulk: one crypto call per 1,024 frames.
let maskPool = Buffer.alloc(0);
let maskOffset = 0;
function nextMask() {
  if (maskOffset + 4 > maskPool.length) {
    maskPool = crypto.randomBytes(4096);
    maskOffset = 0;
  }
  const mask = maskPool.subarray(maskOffset, maskOffset + 4);
  maskOffset += 4;
  return mask;
}

/** One client frame: FIN set, the given opcode, masked payload. */
function encodeFrame(opcode, payload) {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  const mask = nextMask();
  mask.copy(frame, headerLength);
  const start = headerLength + 4;
  for (let i = 0; i < length; i++) frame[start + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/**
 * A WebSocket to `url` (ws:// only). Callbacks: onopen(), onmessage(Uint8Array; valid only during
 * the call), onclose(code, reason), onerror(Error). The socket has TCP_NODELAY, as browsers do.
 */
export class WsClient {
  constructor(url) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'ws:') throw new Error(`only ws:// URLs: ${url}`);
    this.open = false;
    this.closed = false;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    this.key = crypto.randomBytes(16).toString('base64');
    this.buffer = null; // bytes received and not yet parsed
    this.fragments = null; // payloads of a fragmented message so far
    this.socket = net.connect({ host: parsed.hostname, port: Number(parsed.port || 80) });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(`GET ${parsed.pathname}${parsed.search} HTTP/1.1\r\n` +
        `Host: ${parsed.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (chunk) => (this.open ? this.receive(chunk) : this.handshake(chunk)));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.finish(1006, 'connection lost'));
  }

  /** Sends one binary message. */
  send(payload) {
    if (this.open && !this.closed) this.socket.write(encodeFrame(kOpBinary, payload));
  }

  /** Starts the closing handshake. */
  close(code = 1000) {
    if (!this.open || this.closed) {
      this.socket.destroy();
      return;
    }
    const body = Buffer.alloc(2);
    body.writeUInt16BE(code, 0);
    this.socket.write(encodeFrame(kOpClose, body));
    this.socket.end();
  }

  handshake(chunk) {
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const rest = this.buffer.subarray(end + 4);
    this.buffer = null;
    const status = head.slice(0, head.indexOf('\r\n'));
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      this.fail(new Error(`handshake refused: ${status}`));
      return;
    }
    const accept = head.match(/^sec-websocket-accept:\s*(\S+)/im)?.[1];
    const expected = crypto.createHash('sha1').update(this.key + kGuid).digest('base64');
    if (accept !== expected) {
      this.fail(new Error('handshake: wrong Sec-WebSocket-Accept'));
      return;
    }
    this.open = true;
    this.onopen?.();
    if (rest.length > 0) this.receive(rest);
  }

  receive(chunk) {
    let data = chunk;
    if (this.buffer !== null) {
      data = Buffer.concat([this.buffer, chunk]);
      this.buffer = null;
    }
    let offset = 0;
    while (!this.closed) {
      if (data.length - offset < 2) break;
      const b0 = data[offset];
      const b1 = data[offset + 1];
      let length = b1 & 0x7f;
      let header = 2;
      if (length === 126) {
        if (data.length - offset < 4) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (data.length - offset < 10) break;
        length = data.readUInt32BE(offset + 2) * 2 ** 32 + data.readUInt32BE(offset + 6);
        header = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) header += 4;
      if (data.length - offset < header + length) break;
      let payload = data.subarray(offset + header, offset + header + length);
      if (masked) {
        // Servers must not mask; unmask anyway rather than misread.
        const mask = data.subarray(offset + header - 4, offset + header);
        payload = Buffer.from(payload);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      }
      offset += header + length;
      this.frame(b0 & 0x80, b0 & 0x0f, payload);
    }
    if (offset < data.length && !this.closed) this.buffer = Buffer.from(data.subarray(offset));
  }

  frame(fin, opcode, payload) {
    switch (opcode) {
      case kOpBinary:
      case kOpText:
      case kOpContinuation:
        if (!fin) {
          (this.fragments ??= []).push(Buffer.from(payload));
          return;
        }
        if (this.fragments !== null) {
          this.fragments.push(payload);
          payload = Buffer.concat(this.fragments);
          this.fragments = null;
        }
        this.onmessage?.(payload);
        return;
      case kOpPing:
        this.socket.write(encodeFrame(kOpPong, payload));
        return;
      case kOpPong:
        return;
      case kOpClose: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
        if (!this.closed) this.socket.write(encodeFrame(kOpClose, payload.subarray(0, 2)));
        this.socket.end();
        this.finish(code, reason);
        return;
      }
      default:
        this.fail(new Error(`unknown opcode ${opcode}`));
    }
  }

  fail(error) {
    if (this.closed) return;
    this.onerror?.(error);
    this.socket.destroy();
    this.finish(1006, error.message);
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    this.onclose?.(code, reason);
  }
}
