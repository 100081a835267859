// The Hocuspocus anchor of bench/collab: @hocuspocus/server as its documentation sets it up, in
// memory, with no extensions and an onAuthenticate hook that accepts any token.
//
//   node --expose-gc bench/collab/servers/hocuspocus.mjs PORT
//
// Prints "listening PORT" once it accepts connections. SIGUSR2 runs a full garbage collection (so
// that the bench reads resident memory without garbage awaiting collection); SIGTERM stops it.

import { importPackage } from '../modules.mjs';

const { Server } = await importPackage('@hocuspocus/server');
const port = Number(process.argv[2]);
if (!(port > 0)) {
  process.stderr.write('usage: node --expose-gc hocuspocus.mjs PORT\n');
  process.exit(2);
}

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: true,
  // Any token is accepted: the bench measures collaboration, not authentication.
  async onAuthenticate() {},
});
process.on('SIGUSR2', () => globalThis.gc?.());
await server.listen();
process.stdout.write(`listening ${port}\n`);
