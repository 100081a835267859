// Loads npm packages from tests/node_modules, where the black-box tests keep them
// (tests/package.json): the benchmark has no package of its own, and an ES module's imports resolve
// from its own folder, so a bare `import 'yjs'` would not find them from here.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The folder holding the npm packages the benchmark uses. */
export const nodeModules = fileURLToPath(new URL('../../tests/node_modules/', import.meta.url));

// The conditions Node itself uses for an `import`, in the order it tries them.
const kConditions = ['node', 'import', 'default'];

function pick(target) {
  if (typeof target === 'string') return target;
  if (target === null || typeof target !== 'object') return null;
  for (const condition of kConditions) {
    if (condition in target) {
      const found = pick(target[condition]);
      if (found) return found;
    }
  }
  return null;
}

/** The file an `import` of `specifier` (e.g. 'lib0/encoding') resolves to in tests/node_modules. */
export function resolvePackage(specifier) {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = ['.', ...parts.slice(nameLength)].join('/');
  const dir = path.join(nodeModules, name);
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) {
    throw new Error(`${name} is not installed in ${nodeModules}; run 'make deps'`);
  }
  const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  let entry = null;
  if (pkg.exports !== undefined) {
    const exportsMap = typeof pkg.exports === 'object' && Object.keys(pkg.exports).some((k) => k.startsWith('.'))
      ? pkg.exports
      : { '.': pkg.exports };
    entry = pick(exportsMap[subpath]);
  } else if (subpath === '.') {
    entry = pkg.module ?? pkg.main ?? 'index.js';
  } else {
    entry = subpath;
  }
  if (!entry) throw new Error(`${specifier}: no ES module entry in ${manifest}`);
  return path.join(dir, entry);
}

/** Imports `specifier` from tests/node_modules. */
export function importPackage(specifier) {
  return import(pathToFileURL(resolvePackage(specifier)).href);
}

/** The version of an installed package. */
export function packageVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')).version;
}
