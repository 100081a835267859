// Agora's side of bench/collab: a temporary data folder with the demo staff, documents made with
// `agora doc create` and tokens from `agora collab token`, then `agora serve` on it.
// Used by run.mjs; the data folder persists across the server restarts between measurements.

import { execFile } from 'node:child_process';
import path from 'node:path';

// The demo staff `agora demo load` creates (the collab contract lists them): documents are owned
// round-robin by them, so that no single user owns them all.
const kStaff = [
  'sian.pritchard@afonvalley.gov.uk', 'gareth.llewellyn@afonvalley.gov.uk',
  'rhiannon.price@afonvalley.gov.uk', 'owain.jenkins@afonvalley.gov.uk',
  'catrin.morgan@broafon.wales.nhs.uk', 'elin.davies@broafon.wales.nhs.uk',
  'tomos.evans@broafon.wales.nhs.uk', 'amara.okafor@broafon.wales.nhs.uk',
  'dafydd.hughes@afonvalley.police.uk', 'ffion.thomas@afonvalley.police.uk',
  'mark.bevan@afonvalley.police.uk', 'lowri.jones@cartrefiafon.org.uk',
  'huw.griffiths@cartrefiafon.org.uk', 'priya.shah@cartrefiafon.org.uk',
];

// Tokens outlive the whole bench, whatever the default ttl.
const kTokenTtlS = 24 * 3600;

function run(agora, args) {
  return new Promise((resolve, reject) => {
    execFile(agora, args, { encoding: 'utf8', timeout: 60000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`\`agora ${args.join(' ')}\` failed: ${(stderr || error.message).trim()}`));
      } else {
        resolve(stdout.trim());
      }
    });
  });
}

/** Fresh documents and their tokens in one data folder, made on demand. */
export class AgoraDocuments {
  constructor(agora, dataDir) {
    this.agora = agora;
    this.dataDir = dataDir;
    this.made = 0;
    this.loaded = false;
  }

  /**
   * `count` documents never handed out before, each as { id, owner, token }: every measurement
   * starts from empty documents, as it does on the in-memory anchors.
   */
  async fresh(count) {
    if (!this.loaded) {
      await run(this.agora, ['demo', 'load', '--data', this.dataDir]);
      this.loaded = true;
    }
    const documents = new Array(count);
    const make = async (slot) => {
      const index = this.made + slot;
      const owner = kStaff[index % kStaff.length];
      const id = await run(this.agora, ['doc', 'create', '--data', this.dataDir, '--owner', owner,
        '--title', `bench document ${index + 1}`]);
      if (!/^\d+$/.test(id)) throw new Error(`agora doc create printed ${JSON.stringify(id)}, not an id`);
      const token = await run(this.agora, ['collab', 'token', '--data', this.dataDir, '--user', owner,
        '--document', id, '--ttl', String(kTokenTtlS)]);
      documents[slot] = { id, owner, token };
    };
    // Two at a time: the machine has two cores, and each command opens the database.
    let next = 0;
    const worker = async () => {
      while (next < count) await make(next++);
    };
    await Promise.all([worker(), worker()]);
    this.made += count;
    return documents;
  }
}

/** The `agora serve` command line for the data folder and port. */
export function agoraServeArgs(dataDir, port, maxConnections) {
  return ['serve', '--data', dataDir, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', '--shutdown-grace', '1s',
    '--max-connections', String(maxConnections)];
}

/** Where a client of document `id` connects, under each protocol Agora speaks. */
export function agoraUrl(port, protocol, id, token) {
  return protocol === 'hocuspocus'
    ? `ws://127.0.0.1:${port}/collab/ws`
    : `ws://127.0.0.1:${port}/collab/ws/${id}?token=${encodeURIComponent(token)}`;
}

export const agoraDataDir = (work) => path.join(work, 'agora-data');
