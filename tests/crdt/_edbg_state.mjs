// Replays a case in Yjs up to step N (exclusive), prints the state; then applies step N's remote
// update and prints the state again; and the text items.
import fs from 'node:fs';
import * as Y from 'yjs';
import { applyOp } from './editing_fixtures.mjs';
const [file, seedArg, nArg] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(file)).cases.find((x) => x.seed === Number(seedArg));
const doc = new Y.Doc({ gc: c.gc });
doc.clientID = c.client;
doc.getText('text'); doc.getMap('map'); doc.getArray('array'); doc.getXmlFragment('xml');
Y.applyUpdate(doc, Buffer.from(c.init, 'hex'));
const n = Number(nArg);
for (const s of c.steps.slice(0, n)) {
  if (s.apply) Y.applyUpdate(doc, Buffer.from(s.apply, 'hex'));
  else doc.transact(() => s.ops.forEach((op) => applyOp(doc, op)));
}
const before = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('hex');
const dump = (t) => { let n = t._start; const out = []; while (n) { const k = n.content.constructor.name.replace('Content', ''); out.push(`${n.id.client % 100000}:${n.id.clock}${n.deleted ? 'D' : ''} ${k} ${k === 'String' ? JSON.stringify(n.content.str) : k === 'Format' ? n.content.key + '=' + JSON.stringify(n.content.value) : ''}`); n = n.right; } return out.join('\n'); };
if (process.argv[5] === 'dump') console.error(dump(doc.getText('text')));
Y.applyUpdate(doc, Buffer.from(c.steps[n].apply, 'hex'));
const after = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('hex');
if (process.argv[5] === 'dump') console.error('---after\n' + dump(doc.getText('text')));
console.log(before);
console.log(c.steps[n].apply);
console.log(after);
