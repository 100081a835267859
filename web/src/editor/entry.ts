// The `editor` entry: a few bytes that every page loads, and that fetch the collaborative editor
// (TipTap, Yjs, the Hocuspocus provider: several hundred kilobytes) only on a page that has a
// document on it. The server links every Vite entry from the page shell, so the weight stays out
// of the other pages this way.
const root = document.getElementById('agora-document');
if (root) {
  import('./document').then(
    ({ startDocument }) => startDocument(root),
    (error: unknown) => {
      // The page still shows the document as it was when loaded (the no-JavaScript view).
      console.error('agora: the editor could not be loaded', error);
    },
  );
}
