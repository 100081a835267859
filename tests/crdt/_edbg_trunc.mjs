// Writes a one-case fixture truncated after N steps, its state recomputed by Yjs.
import fs from 'node:fs';
import * as Y from 'yjs';
const [file, seedArg, nArg, out] = process.argv.slice(2);
const data = JSON.parse(fs.readFileSync(file));
const c = structuredClone(data.cases.find((x) => x.seed === Number(seedArg)));
const n = Number(nArg);
const mod = await import('./editing_fixtures.mjs');
const doc = new Y.Doc({ gc: c.gc });
doc.clientID = c.client;
doc.getText('text'); doc.getMap('map'); doc.getArray('array'); doc.getXmlFragment('xml');
Y.applyUpdate(doc, Buffer.from(c.init, 'hex'));
c.steps = c.steps.slice(0, n);
for (const s of c.steps) {
  if (s.apply) Y.applyUpdate(doc, Buffer.from(s.apply, 'hex'));
  else doc.transact(() => s.ops.forEach((op) => mod.applyOp(doc, op)));
}
c.state = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('hex');
c.text = doc.getText('text').toString();
c.positions = [];
c.snapshots = [];
console.log('snapshot', Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('hex'));
fs.writeFileSync(out, JSON.stringify({ cases: [c] }));
