// Comment threads anchored to ranges of the shared document.
//
// An anchor is a pair of Yjs relative positions, so it follows its words through everyone's
// edits rather than staying at fixed offsets. The start is tied to the first character of the
// range (association >= 0) and the end to the last (association < 0): text typed just before or
// just after the range stays outside it. Each position travels to the server as the base64 of
// Yjs's encoding, opaque to everything but this file.
//
// The ranges are drawn as ProseMirror decorations. They are resolved again from the relative
// positions whenever a change arrives through Yjs (another person's edit, undo), and otherwise
// mapped through the local edit, which moves them the same way.

import { type EditorState, Plugin, PluginKey } from '@tiptap/pm/state';
import { Decoration, DecorationSet, type EditorView } from '@tiptap/pm/view';
import {
  absolutePositionToRelativePosition,
  relativePositionToAbsolutePosition,
  ySyncPluginKey,
} from '@tiptap/y-tiptap';
import * as Y from 'yjs';

/** What the anchors need to know of a thread. */
export interface AnchoredThread {
  id: number;
  anchorStart: string;
  anchorEnd: string;
  resolved: boolean;
}

/** A resolved range of the current document. */
export interface AnchorRange {
  from: number;
  to: number;
}

interface AnchorsState {
  threads: AnchoredThread[];
  active: number | null;
  ranges: Map<number, AnchorRange>;
  decorations: DecorationSet;
}

interface AnchorsMeta {
  threads?: AnchoredThread[];
  active?: number | null;
}

interface SyncState {
  doc: Y.Doc;
  type: Y.XmlFragment;
  binding: { mapping: Map<unknown, unknown> } | null;
}

export const commentAnchorsKey = new PluginKey<AnchorsState>('agoraCommentAnchors');

function syncState(state: EditorState): SyncState | null {
  const ystate = ySyncPluginKey.getState(state) as SyncState | undefined;
  return ystate?.binding ? ystate : null;
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The anchor of ProseMirror position `pos`: tied to the character after it (`assoc` >= 0) or
 * before it (`assoc` < 0). Null before the editor is bound to the shared document.
 */
export function encodeAnchor(state: EditorState, pos: number, assoc: number): string | null {
  const ystate = syncState(state);
  if (!ystate?.binding) return null;
  // y-tiptap finds the Yjs type and index of the position (always associating left); the
  // position is then made again with the association the range needs.
  const located = absolutePositionToRelativePosition(pos, ystate.type, ystate.binding.mapping as never);
  const absolute = Y.createAbsolutePositionFromRelativePosition(located, ystate.doc);
  if (!absolute) return null;
  const anchored = Y.createRelativePositionFromTypeIndex(absolute.type, absolute.index, assoc);
  return toBase64(Y.encodeRelativePosition(anchored));
}

/** The ProseMirror position an anchor stands at now, or null when it cannot be found. */
export function resolveAnchor(state: EditorState, anchor: string): number | null {
  const ystate = syncState(state);
  if (!ystate?.binding) return null;
  let relative: Y.RelativePosition;
  try {
    relative = Y.decodeRelativePosition(fromBase64(anchor));
  } catch {
    return null;
  }
  return relativePositionToAbsolutePosition(
    ystate.doc,
    ystate.type,
    relative,
    ystate.binding.mapping as never,
  );
}

function resolveRanges(state: EditorState, threads: AnchoredThread[]): Map<number, AnchorRange> {
  const ranges = new Map<number, AnchorRange>();
  const size = state.doc.content.size;
  for (const thread of threads) {
    const from = resolveAnchor(state, thread.anchorStart);
    const to = resolveAnchor(state, thread.anchorEnd);
    // Once all of its words are deleted the range is empty: the thread has nothing to point at.
    if (from === null || to === null || from >= to || to > size) continue;
    ranges.set(thread.id, { from, to });
  }
  return ranges;
}

function decorate(
  state: EditorState,
  threads: AnchoredThread[],
  ranges: Map<number, AnchorRange>,
  active: number | null,
): DecorationSet {
  const decorations: Decoration[] = [];
  for (const thread of threads) {
    const range = ranges.get(thread.id);
    // Resolved threads are not drawn unless someone asks to see one.
    if (!range || (thread.resolved && thread.id !== active)) continue;
    const classes = ['agora-comment-anchor'];
    if (thread.id === active) classes.push('agora-comment-anchor--active');
    decorations.push(
      Decoration.inline(
        range.from,
        range.to,
        { class: classes.join(' '), 'data-thread-id': String(thread.id) },
        { inclusiveStart: false, inclusiveEnd: false, threadId: thread.id },
      ),
    );
  }
  return DecorationSet.create(state.doc, decorations);
}

function build(state: EditorState, threads: AnchoredThread[], active: number | null): AnchorsState {
  const ranges = resolveRanges(state, threads);
  return { threads, active, ranges, decorations: decorate(state, threads, ranges, active) };
}

/**
 * The plugin drawing the threads' ranges. `onSelect` is called with a thread's id when someone
 * clicks inside its range.
 */
export function commentAnchorsPlugin(onSelect: (threadId: number) => void): Plugin<AnchorsState> {
  return new Plugin<AnchorsState>({
    key: commentAnchorsKey,
    state: {
      init: () => ({ threads: [], active: null, ranges: new Map(), decorations: DecorationSet.empty }),
      apply(tr, value, _oldState, newState) {
        const meta = tr.getMeta(commentAnchorsKey) as AnchorsMeta | undefined;
        const fromYjs = tr.getMeta(ySyncPluginKey) !== undefined;
        if (meta || fromYjs) {
          return build(newState, meta?.threads ?? value.threads, meta?.active !== undefined ? meta.active : value.active);
        }
        if (!tr.docChanged) return value;
        const decorations = value.decorations.map(tr.mapping, tr.doc);
        const ranges = new Map<number, AnchorRange>();
        for (const decoration of decorations.find()) {
          const id = (decoration.spec as { threadId?: number }).threadId;
          if (id !== undefined) ranges.set(id, { from: decoration.from, to: decoration.to });
        }
        return { ...value, ranges, decorations };
      },
    },
    props: {
      decorations(state) {
        return commentAnchorsKey.getState(state)?.decorations ?? DecorationSet.empty;
      },
      handleClick(view: EditorView, pos: number) {
        const anchors = commentAnchorsKey.getState(view.state);
        if (!anchors) return false;
        for (const [id, range] of anchors.ranges) {
          const thread = anchors.threads.find((t) => t.id === id);
          if (thread && !thread.resolved && pos >= range.from && pos <= range.to) {
            onSelect(id);
            break;
          }
        }
        return false;  // the click still places the cursor
      },
    },
  });
}

/** Replaces the threads drawn, and which one is highlighted (null: none). */
export function setAnchoredThreads(view: EditorView, threads: AnchoredThread[], active: number | null): void {
  view.dispatch(view.state.tr.setMeta(commentAnchorsKey, { threads, active } satisfies AnchorsMeta));
}

/** Highlights the range of thread `active` (null: none). */
export function setActiveThread(view: EditorView, active: number | null): void {
  view.dispatch(view.state.tr.setMeta(commentAnchorsKey, { active } satisfies AnchorsMeta));
}

/** Where thread `id`'s range is now, if it still has one. */
export function rangeOfThread(state: EditorState, id: number): AnchorRange | null {
  return commentAnchorsKey.getState(state)?.ranges.get(id) ?? null;
}
