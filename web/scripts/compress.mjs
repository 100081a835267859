// Writes NAME.gz and NAME.br beside every text asset in the given folder (default: dist), so the
// server can send pre-compressed bytes without compressing on each request. A compressed copy
// that would not be smaller than the original is not written.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join, extname } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const textExtensions = new Set([
  '.css', '.js', '.mjs', '.html', '.svg', '.json', '.txt', '.xml', '.map', '.webmanifest',
]);

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // .vite/ holds the build manifest, which the server reads from disk and never serves.
    if (entry.isDirectory()) {
      if (entry.name !== '.vite') yield* files(path);
    } else if (entry.isFile() && textExtensions.has(extname(entry.name))) {
      yield path;
    }
  }
}

const root = process.argv[2] ?? 'dist';
let written = 0;
for (const path of files(root)) {
  const original = readFileSync(path);
  const gzip = gzipSync(original, { level: constants.Z_BEST_COMPRESSION });
  const brotli = brotliCompressSync(original, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: statSync(path).size,
    },
  });
  if (gzip.length < original.length) {
    writeFileSync(`${path}.gz`, gzip);
    written++;
  }
  if (brotli.length < original.length) {
    writeFileSync(`${path}.br`, brotli);
    written++;
  }
}
if (written === 0) {
  console.error(`compress: no text assets found in ${root}; did vite build run?`);
  process.exit(1);
}
