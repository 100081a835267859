import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as Y from 'yjs';
const data = JSON.parse(fs.readFileSync(process.argv[2]));
const seed = Number(process.argv[3]);
const c = data.cases.find((x) => x.seed === seed);
const doc = new Y.Doc({ gc: c.gc });
doc.clientID = c.client;
doc.getText('text'); doc.getMap('map'); doc.getArray('array'); doc.getXmlFragment('xml');
const updates = [c.init];
Y.applyUpdate(doc, Buffer.from(c.init, 'hex'));
for (const s of c.steps) { if (!s.apply) break; updates.push(s.apply); Y.applyUpdate(doc, Buffer.from(s.apply, 'hex')); }
const ours = execFileSync('/tmp/edbg/apply', [String(c.client), c.gc ? '1' : '0', ...updates]).toString().split('\n');
const yState = Buffer.from(Y.encodeStateAsUpdate(doc)).toString('hex');
const ySnap = Buffer.from(Y.encodeSnapshot(Y.snapshot(doc))).toString('hex');
console.log('updates', updates.length, 'state equal', ours[0] === yState, 'snapshot equal', ours[1] === ySnap);
if (ours[1] !== ySnap) console.log(' ours', ours[1], '\n yjs ', ySnap);
