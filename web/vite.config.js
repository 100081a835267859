// Builds Agora's browser assets into web/dist. The server reads dist/.vite/manifest.json at start
// (src/http/assets.cpp) to link the hashed file names, and serves dist/ under /static/.
import { defineConfig } from 'vite';

// GOV.UK Frontend keeps a few `@media ... (min-width: 0\0)` rules that only Internet Explorer 8-10
// ever matched. Sass turns the `\0` into U+FFFD; the rules are dead code for every browser we
// support and the CSS minifier rejects them as invalid, so they are dropped before minifying.
const dropInternetExplorerHacks = {
  postcssPlugin: 'agora-drop-internet-explorer-hacks',
  AtRule: {
    media(rule) {
      if (/\\0|\uFFFD|\u0000/.test(rule.params)) rule.remove();
    },
  },
};

export default defineConfig({
  base: '/static/',
  resolve: {
    // One copy of each, whoever imports it: two Yjs copies break `instanceof` checks between the
    // editor binding and the provider (Yjs warns "Yjs was already imported").
    dedupe: ['yjs', 'lib0', 'y-protocols', '@tiptap/pm', '@tiptap/core', '@tiptap/y-tiptap'],
  },
  // Nothing is copied verbatim: every asset goes through the bundler and gets a hashed name.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    assetsDir: 'assets',
    // The modulepreload polyfill is not needed by the single module entry and adds code.
    modulePreload: { polyfill: false },
    // Public pages must load fast on a slow phone: skip source maps in what we serve.
    sourcemap: false,
    // The editor's chunk (TipTap, ProseMirror, Yjs: about 600 kB, 160 kB compressed) is fetched
    // only by the document page; every other page loads the small entries alone.
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      // Sass dominates the build time; Rolldown's note saying so on every build is noise.
      checks: { pluginTimings: false },
      input: {
        main: 'src/main.ts',
        styles: 'src/main.scss',
        // A small loader on every page; the editor it imports loads only where a document is.
        editor: 'src/editor/entry.ts',
      },
    },
  },
  css: {
    postcss: { plugins: [dropInternetExplorerHacks] },
    preprocessorOptions: {
      scss: {
        // govuk-frontend 5 is written with @import; its own deprecation notices are not ours to fix.
        quietDeps: true,
        silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'if-function'],
      },
    },
  },
});
