// Images in the document: uploaded to the server, stored in the document by their URL
// (/documents/{id}/images/{hash}), and shown through a node view that fetches each with the
// bearer token and draws it from a data: URL. An <img src> alone cannot send the token, and the
// page's Content-Security-Policy allows data: images but not blob: ones.

import Image from '@tiptap/extension-image';

import type { DocumentApi } from './api';

const kImagePath = /^\/documents\/\d+\/images\/[0-9a-f]{64}$/;

/** The image types the server accepts, and its size limit (collab::kMaxImageBytes). */
export const kImageTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
export const kMaxImageBytes = 5 * 1024 * 1024;

export function documentImage(api: DocumentApi) {
  const loaded = new Map<string, Promise<string>>();
  const load = (src: string) => {
    let pending = loaded.get(src);
    if (!pending) {
      pending = api.imageAsDataUrl(src);
      // A failure is forgotten, so the next drawing of the image tries again.
      pending.catch(() => loaded.delete(src));
      loaded.set(src, pending);
    }
    return pending;
  };

  return Image.extend({
    addNodeView() {
      return ({ node }) => {
        const img = document.createElement('img');
        img.className = 'agora-editor__image';
        let current = '';
        const show = (attrs: Record<string, unknown>) => {
          img.alt = typeof attrs.alt === 'string' ? attrs.alt : '';
          if (typeof attrs.title === 'string' && attrs.title) img.title = attrs.title;
          else img.removeAttribute('title');
          const src = typeof attrs.src === 'string' ? attrs.src : '';
          if (src === current) return;
          current = src;
          img.removeAttribute('src');
          // Only this document's own uploads are shown; anything else would be refused by the
          // page's policy anyway, so its description stands in for it.
          if (kImagePath.test(src)) {
            load(src).then(
              (dataUrl) => {
                if (current === src) img.src = dataUrl;
              },
              (error: unknown) => console.warn('agora: image could not be loaded', src, error),
            );
          }
        };
        show(node.attrs);
        return {
          dom: img,
          update(updated) {
            if (updated.type !== node.type) return false;
            show(updated.attrs);
            return true;
          },
        };
      };
    },
  }).configure({ inline: false, allowBase64: false });
}
