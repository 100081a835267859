// Explains how two v1 updates differ, for failure messages: the first differing byte, and the
// first differing struct or delete-set entry as Yjs decodes them.

import * as Y from 'yjs';

function describeId(id) {
  return id ? `${id.client}:${id.clock}` : '-';
}

function describeContent(content) {
  if (!content) return '';
  const name = content.constructor.name;
  let detail;
  if (content instanceof Y.ContentString) detail = JSON.stringify(content.str);
  else if (content instanceof Y.ContentFormat) detail = `${JSON.stringify(content.key)}=${JSON.stringify(content.value)}`;
  else if (content instanceof Y.ContentAny) detail = JSON.stringify(content.arr, (_k, v) => (v instanceof Uint8Array ? `bytes[${v.length}]` : v));
  else if (content instanceof Y.ContentEmbed) detail = JSON.stringify(content.embed);
  else if (content instanceof Y.ContentType) detail = content.type.constructor.name;
  else if (content instanceof Y.ContentBinary) detail = `bytes[${content.content.length}]`;
  else detail = '';
  return `${name} ${detail}`.trim();
}

/** One line per struct and delete-set range of a v1 update (throws if Yjs cannot decode it). */
export function describeUpdate(update) {
  const { structs, ds } = Y.decodeUpdate(update);
  const lines = structs.map((s) => {
    const parent = s.parent === undefined || s.parent === null ? '' : ` parent=${typeof s.parent === 'string' ? JSON.stringify(s.parent) : describeId(s.parent)}`;
    const sub = s.parentSub ? ` key=${JSON.stringify(s.parentSub)}` : '';
    const origins = s.content ? ` origin=${describeId(s.origin)} right=${describeId(s.rightOrigin)}` : '';
    return `${s.constructor.name} ${describeId(s.id)} len ${s.length}${origins}${parent}${sub} ${describeContent(s.content)}`.trimEnd();
  });
  const clients = Array.from(ds.clients.entries()).sort((a, b) => b[0] - a[0]);
  for (const [client, ranges] of clients) lines.push(`delete ${client}: ${ranges.map((r) => `${r.clock}+${r.len}`).join(' ')}`);
  return lines;
}

/** A short explanation of how update `actual` differs from `expected` (both Uint8Array). */
export function updateDifference(actual, expected, { actualName = 'agora', expectedName = 'Yjs' } = {}) {
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const parts = [`${actualName} ${actual.length} B, ${expectedName} ${expected.length} B, first difference at byte ${at}`];
  let a;
  let e;
  try {
    a = describeUpdate(actual);
  } catch (err) {
    parts.push(`Yjs cannot decode the ${actualName} update: ${err.message}`);
    return parts.join('; ');
  }
  try {
    e = describeUpdate(expected);
  } catch (err) {
    parts.push(`Yjs cannot decode the ${expectedName} update: ${err.message}`);
    return parts.join('; ');
  }
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      const width = Math.max(actualName.length, expectedName.length) + 1;
      parts.push(`first differing entry #${i}:\n      ${`${actualName}:`.padEnd(width)} ${a[i] ?? '(none)'}\n      ${`${expectedName}:`.padEnd(width)} ${e[i] ?? '(none)'}`);
      break;
    }
  }
  return parts.join('; ');
}
