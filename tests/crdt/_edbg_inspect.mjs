import fs from 'node:fs';
import * as Y from 'yjs';
const data = JSON.parse(fs.readFileSync('/work/main/src/crdt/testdata/editing_cases.json'));
const seed = Number(process.argv[2]);
const upto = Number(process.argv[3] ?? 0);
const c = data.cases.find((x) => x.seed === seed);
const doc = new Y.Doc({ gc: c.gc });
doc.clientID = c.client;
Y.applyUpdate(doc, Buffer.from(c.init, 'hex'));
const text = doc.getText('text');
const show = () => {
  let n = text._start; let out = [];
  while (n) {
    const k = n.content.constructor.name.replace('Content', '');
    let v = k === 'String' ? JSON.stringify(n.content.str) : k === 'Format' ? `${n.content.key}=${JSON.stringify(n.content.value)}` : k === 'Deleted' ? n.length : '';
    out.push(`${n.id.client}:${n.id.clock}${n.deleted ? 'D' : ''} ${k} ${v}`);
    n = n.right;
  }
  console.log(out.join('\n'));
  console.log('hasFormatting', text._hasFormatting, 'marker', text._searchMarker && text._searchMarker.map(m => `${m.p.id.client}:${m.p.id.clock}@${m.index}`));
};
show();
