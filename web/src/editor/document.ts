// The document page's collaborative editor: TipTap bound to the shared Yjs document through the
// Hocuspocus provider, kept on this device with IndexedDB so edits made offline survive and merge
// when the connection returns; carets and the list of who is here from awareness; the status
// line; the toolbar; and comment threads anchored to the text.

import { Editor, Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import { TableKit } from '@tiptap/extension-table';
import StarterKit from '@tiptap/starter-kit';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';

import './editor.scss';

import { DocumentApi } from './api';
import { commentAnchorsPlugin } from './comment_anchors';
import { CommentsPanel } from './comments';
import { ImageForm, LinkForm } from './forms';
import { documentImage } from './images';
import { message, readMessages } from './messages';
import { type PresenceUser, renderPresence } from './presence';
import { type DocumentState, StatusLine } from './status';
import { Toolbar } from './toolbar';

/** How often comments are fetched again when nobody has announced a change. */
const kCommentsPollMs = 20_000;

/** The caret another person's editor draws: their colour, with their name and organisation. */
function renderCaret(user: Record<string, unknown>): HTMLElement {
  const caret = document.createElement('span');
  caret.className = 'collaboration-carets__caret';
  // Screen readers would read every caret as part of the text; "who is here" says it instead.
  caret.setAttribute('aria-hidden', 'true');
  const colour = typeof user.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(user.color) ? user.color : '#505a5f';
  caret.style.setProperty('border-color', colour);
  const label = document.createElement('span');
  label.className = 'collaboration-carets__label';
  label.style.setProperty('background-color', colour);
  const name = document.createElement('span');
  name.className = 'collaboration-carets__name';
  name.textContent = typeof user.name === 'string' ? user.name : '';
  label.append(name);
  if (typeof user.organisation === 'string' && user.organisation) {
    const organisation = document.createElement('span');
    organisation.className = 'collaboration-carets__organisation';
    organisation.textContent = user.organisation;
    label.append(organisation);
  }
  caret.append(label);
  return caret;
}

export function startDocument(root: HTMLElement): void {
  const data = root.dataset;
  const messages = readMessages();
  const documentId = data.documentId ?? '';
  const token = data.token ?? '';
  const readOnly = data.readOnly !== 'false';
  const canComment = data.canComment === 'true';
  const user: PresenceUser = {
    name: data.userName ?? '',
    color: data.userColour ?? '#505a5f',
    organisation: data.organisationName ?? '',
  };

  const ydoc = new Y.Doc();
  // Per document and per person, so two people sharing a browser never merge each other's
  // unsaved edits.
  const persistence = new IndexeddbPersistence(`agora-document-${documentId}-${data.personId ?? ''}`, ydoc);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const provider = new HocuspocusProvider({
    url: `${scheme}://${window.location.host}${data.websocketPath ?? '/collab/ws'}`,
    name: documentId,
    document: ydoc,
    token,
  });
  const api = new DocumentApi(documentId, token);

  let comments: CommentsPanel | null = null;
  const editorElement = document.getElementById('document-editor')!;
  const editorAttributes: Record<string, string> = {
    class: 'agora-editor__content',
    role: 'textbox',
    'aria-multiline': 'true',
    'aria-label': message(messages, 'editorLabel'),
    'aria-describedby': 'document-status',
  };
  if (readOnly) {
    editorAttributes['aria-readonly'] = 'true';
    // Not editable, so not focusable by itself: keyboard users still need to reach and read it.
    editorAttributes.tabindex = '0';
  }
  const taskLabel = message(messages, 'taskCheckbox');
  const editor = new Editor({
    element: editorElement,
    editable: !readOnly,
    // TipTap would add a <style> element, which the Content-Security-Policy refuses; its rules
    // are in editor.scss instead.
    injectCSS: false,
    extensions: [
      StarterKit.configure({
        // Collaboration brings its own undo, which undoes only this person's changes.
        undoRedo: false,
        // The page's title is the only <h1>.
        heading: { levels: [2, 3] },
        link: {
          openOnClick: false,
          autolink: true,
          defaultProtocol: 'https',
          protocols: ['http', 'https', 'mailto'],
          HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: null },
        },
      }),
      TableKit.configure({ table: { resizable: false } }),
      TaskList,
      TaskItem.configure({
        nested: true,
        a11y: { checkboxLabel: (node) => `${taskLabel} ${node.textContent}`.trim() },
      }),
      documentImage(api),
      Collaboration.configure({ document: ydoc, field: 'default' }),
      CollaborationCaret.configure({ provider, user, render: renderCaret }),
      Extension.create({
        name: 'agoraCommentAnchors',
        addProseMirrorPlugins: () => [commentAnchorsPlugin((id) => comments?.select(id, { scroll: false }))],
      }),
    ],
    editorProps: { attributes: editorAttributes },
  });

  // The editor takes over from the copy of the document rendered for readers without JavaScript.
  document.getElementById('document-no-script')!.hidden = true;
  document.getElementById('document-static')!.hidden = true;
  editorElement.hidden = false;
  document.getElementById('document-side')!.hidden = false;

  // --- status ------------------------------------------------------------------------------
  const status = new StatusLine(document.getElementById('document-status')!, messages);
  let connection: 'connecting' | 'connected' | 'disconnected' = 'connecting';
  let synced = false;
  let unsynced = 0;
  let denied = false;
  const updateStatus = () => {
    let state: DocumentState;
    if (denied) state = 'denied';
    // The browser knows it is offline before the socket does (which may take until its timeout).
    else if (connection === 'disconnected' || !navigator.onLine) state = readOnly ? 'read-only-offline' : 'offline';
    else if (connection === 'connecting' || !synced) state = 'connecting';
    else if (readOnly) state = 'read-only';
    else state = unsynced > 0 ? 'saving' : 'saved';
    status.set(state);
  };
  provider.on('status', ({ status: next }: { status: typeof connection }) => {
    connection = next;
    if (next !== 'connected') synced = false;
    updateStatus();
  });
  provider.on('synced', ({ state }: { state: boolean }) => {
    synced = state;
    updateStatus();
  });
  provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    unsynced = number;
    updateStatus();
  });
  provider.on('authenticated', ({ scope }: { scope: string }) => {
    denied = false;
    // The server's answer wins: a role lowered since the page loaded makes the editor read only.
    if (scope === 'readonly' && editor.isEditable) editor.setEditable(false);
    updateStatus();
  });
  provider.on('authenticationFailed', () => {
    denied = true;
    editor.setEditable(false);
    updateStatus();
  });
  window.addEventListener('offline', updateStatus);
  window.addEventListener('online', updateStatus);
  updateStatus();

  // --- who is here, and news of comments ---------------------------------------------------
  const awareness = provider.awareness!;
  const presence = document.getElementById('document-presence')!;
  const commentNews = new Map<number, unknown>();
  const onAwareness = () => {
    renderPresence(presence, awareness, messages);
    // Someone changed a thread when the stamp they announce changes: fetch the threads again.
    let changed = false;
    for (const [clientId, state] of awareness.getStates()) {
      if (clientId === awareness.clientID) continue;
      const stamp = (state as { comments?: unknown }).comments;
      if (stamp !== undefined && commentNews.get(clientId) !== stamp) {
        changed = true;
        commentNews.set(clientId, stamp);
      }
    }
    if (changed) void comments?.refresh();
  };
  awareness.on('change', onAwareness);
  onAwareness();

  // --- comments ----------------------------------------------------------------------------
  comments = new CommentsPanel({
    editor,
    api,
    messages,
    canComment,
    onChanged: () => awareness.setLocalStateField('comments', Date.now()),
  });
  void comments.refresh();
  window.setInterval(() => void comments?.refresh(), kCommentsPollMs);
  editor.on('update', () => comments?.documentChanged());

  // --- toolbar -----------------------------------------------------------------------------
  const toolbarElement = document.getElementById('document-toolbar')!;
  const open: Record<string, () => void> = { comment: () => comments?.startComment() };
  if (!readOnly) {
    const linkForm = new LinkForm(editor, messages);
    const imageForm = new ImageForm(editor, api, messages);
    open.link = () => linkForm.open();
    open.image = () => imageForm.open();
  }
  if (!canComment) {
    toolbarElement.querySelector('[data-command="comment"]')?.closest('.agora-toolbar__group')?.remove();
  }
  if (toolbarElement.querySelector('button[data-command]')) {
    new Toolbar(toolbarElement, { editor, open });
    toolbarElement.hidden = false;
  }

  // Kept alive for the page's lifetime; the provider itself says goodbye on pagehide.
  void persistence;
}
