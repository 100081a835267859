// The y-websocket anchor of bench/collab: @y/websocket-server's setupWSConnection on a `ws`
// server, as its own bin/server.js does, in memory (no YPERSISTENCE). A document is named by the
// URL's path, e.g. ws://127.0.0.1:PORT/doc-17.
//
//   node --expose-gc bench/collab/servers/y-websocket.mjs PORT
//
// Prints "listening PORT" once it accepts connections. SIGUSR2 runs a full garbage collection (so
// that the bench reads resident memory without garbage awaiting collection); SIGTERM stops it.

import http from 'node:http';
import { importPackage } from '../modules.mjs';

const { WebSocketServer } = await importPackage('ws');
const { setupWSConnection } = await importPackage('@y/websocket-server/utils');
const port = Number(process.argv[2]);
if (!(port > 0)) {
  process.stderr.write('usage: node --expose-gc y-websocket.mjs PORT\n');
  process.exit(2);
}

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('okay');
});
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', setupWSConnection);
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});
process.on('SIGUSR2', () => globalThis.gc?.());
process.on('SIGTERM', () => process.exit(0));
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
