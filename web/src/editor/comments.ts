// The comments panel: threads beside the text, each quoting the words it is about, with replies,
// resolve and reopen; and the form that starts a thread on the words selected in the editor.

import type { Editor } from '@tiptap/core';

import { ApiError, type DocumentApi } from './api';
import {
  type AnchoredThread,
  encodeAnchor,
  rangeOfThread,
  setActiveThread,
  setAnchoredThreads,
} from './comment_anchors';
import { type Messages, message } from './messages';

/** The longest quote the server keeps (collab::kMaxQuoteCharacters). */
const kMaxQuoteCharacters = 500;

interface Person {
  id: number;
  name: string;
  organisation: string;
}

interface ThreadComment {
  id: number;
  body: string;
  created_at: number;
  author: Person | null;
}

interface Thread {
  id: number;
  anchor_start: string;
  anchor_end: string;
  quote: string;
  created_at: number;
  author: Person | null;
  resolved: boolean;
  resolved_at: number | null;
  resolved_by: Person | null;
  comments: ThreadComment[];
}

interface PendingThread {
  anchorStart: string;
  anchorEnd: string;
  quote: string;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function quoted(text: string): string {
  return `“${text}”`;
}

function shorten(text: string): string {
  const characters = Array.from(text.replace(/\s+/g, ' ').trim());
  if (characters.length <= kMaxQuoteCharacters) return characters.join('');
  return `${characters.slice(0, kMaxQuoteCharacters - 1).join('')}…`;
}

export interface CommentsOptions {
  editor: Editor;
  api: DocumentApi;
  messages: Messages;
  canComment: boolean;
  /** Called after this person changed a thread, so the others can be told to look again. */
  onChanged: () => void;
}

export class CommentsPanel {
  private threads: Thread[] = [];
  private active: number | null = null;
  private pending: PendingThread | null = null;
  private loaded = false;
  private readonly list: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly hint: HTMLElement;
  private readonly dateFormat: Intl.DateTimeFormat;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  constructor(private readonly options: CommentsOptions) {
    this.list = document.getElementById('document-comments')!;
    this.form = document.getElementById('document-comment-form') as HTMLFormElement;
    this.hint = document.getElementById('document-comment-hint')!;
    // Welsh where the browser knows how to write dates in Welsh; British English otherwise.
    const wanted = document.documentElement.lang === 'cy' ? 'cy-GB' : 'en-GB';
    const language = Intl.DateTimeFormat.supportedLocalesOf([wanted]).length > 0 ? wanted : 'en-GB';
    this.dateFormat = new Intl.DateTimeFormat(language, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'Europe/London',
    });
    this.hint.setAttribute('aria-live', 'polite');
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submitNewThread();
    });
    this.form.querySelector('[data-action="cancel"]')?.addEventListener('click', () => this.closeForm(true));
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.closeForm(true);
    });
    this.list.append(element('p', 'govuk-body', message(options.messages, 'commentsLoading')));
  }

  /** Loads the threads again; calls made while one is running are folded into one more. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          const answer = await this.options.api.call<{ threads: Thread[] }>('GET', '/comments');
          this.threads = answer.threads;
          this.loaded = true;
          this.render();
        } catch (error) {
          console.warn('agora: comments could not be loaded', error);
          if (!this.loaded) {
            this.list.replaceChildren(element('p', 'govuk-body', message(this.options.messages, 'commentsLoadFailed')));
          }
        }
      } while (this.refreshAgain);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** The toolbar's Comment button: opens the form for the selected words, or says to select some. */
  startComment(): void {
    if (!this.options.canComment) return;
    const { state } = this.options.editor;
    const { from, to, empty } = state.selection;
    const text = empty ? '' : state.doc.textBetween(from, to, ' ', ' ');
    if (empty || !text.trim()) {
      this.hint.hidden = false;
      this.hint.textContent = '';
      // Written after a tick, so screen readers announce it even when it is unchanged.
      window.setTimeout(() => {
        this.hint.textContent = message(this.options.messages, 'commentsSelectFirst');
      }, 50);
      return;
    }
    const anchorStart = encodeAnchor(state, from, 0);
    const anchorEnd = encodeAnchor(state, to, -1);
    if (!anchorStart || !anchorEnd) return;
    this.hint.hidden = true;
    this.pending = { anchorStart, anchorEnd, quote: shorten(text) };
    const quote = document.getElementById('document-comment-quote')!;
    quote.textContent = `${message(this.options.messages, 'commentsQuoteIntro')} ${quoted(this.pending.quote)}`;
    this.showError(null);
    this.form.hidden = false;
    this.setCommentButtonExpanded(true);
    const body = this.form.querySelector('textarea')!;
    body.value = '';
    body.focus();
  }

  /** Highlights thread `id` in the text and in the panel, and brings both into view. */
  select(id: number | null, { scroll = true, focusThread = false } = {}): void {
    this.active = id;
    setActiveThread(this.options.editor.view, id);
    for (const article of this.list.querySelectorAll<HTMLElement>('.agora-thread')) {
      const selected = Number(article.dataset.threadId) === id;
      article.classList.toggle('agora-thread--active', selected);
      article.querySelector('.agora-thread__show')?.setAttribute('aria-pressed', String(selected));
      if (selected && focusThread) article.focus();
    }
    if (id !== null && scroll) {
      const range = rangeOfThread(this.options.editor.state, id);
      if (range) {
        const { node } = this.options.editor.view.domAtPos(range.from);
        const target = node instanceof Element ? node : node.parentElement;
        target?.scrollIntoView({ block: 'nearest' });
      }
    }
  }

  private setCommentButtonExpanded(expanded: boolean): void {
    document.querySelector('[data-command="comment"]')?.setAttribute('aria-expanded', String(expanded));
  }

  private closeForm(returnFocus: boolean): void {
    this.form.hidden = true;
    this.pending = null;
    this.setCommentButtonExpanded(false);
    if (returnFocus) this.options.editor.commands.focus();
  }

  private showError(text: string | null): void {
    const error = document.getElementById('document-comment-error')!;
    const group = document.getElementById('document-comment-group')!;
    const body = document.getElementById('document-comment-body')!;
    group.classList.toggle('govuk-form-group--error', text !== null);
    body.classList.toggle('govuk-textarea--error', text !== null);
    error.hidden = text === null;
    error.replaceChildren();
    if (text !== null) {
      error.append(element('span', 'govuk-visually-hidden', `${message(this.options.messages, 'errorPrefix')} `), text);
      body.setAttribute('aria-describedby', 'document-comment-quote document-comment-error');
    } else {
      body.setAttribute('aria-describedby', 'document-comment-quote');
    }
  }

  private async submitNewThread(): Promise<void> {
    if (!this.pending) return;
    const textarea = this.form.querySelector('textarea')!;
    const body = textarea.value;
    if (!body.trim()) {
      this.showError(message(this.options.messages, 'commentsBodyError'));
      textarea.focus();
      return;
    }
    try {
      const answer = await this.options.api.call<{ thread: Thread }>('POST', '/comments', {
        anchor_start: this.pending.anchorStart,
        anchor_end: this.pending.anchorEnd,
        quote: this.pending.quote,
        body,
      });
      this.closeForm(false);
      this.upsert(answer.thread);
      this.options.onChanged();
      this.select(answer.thread.id, { focusThread: true });
    } catch (error) {
      this.showError(`${message(this.options.messages, 'commentsFailed')} ${(error as Error).message}`);
      textarea.focus();
    }
  }

  private upsert(thread: Thread): void {
    const index = this.threads.findIndex((t) => t.id === thread.id);
    if (index >= 0) this.threads[index] = thread;
    else this.threads.push(thread);
    this.render();
  }

  private async act(thread: Thread, path: string, body: unknown, focusAfter: string): Promise<boolean> {
    try {
      const answer = await this.options.api.call<{ thread: Thread }>('POST', `/comments/${thread.id}/${path}`, body);
      this.upsert(answer.thread);
      this.options.onChanged();
      const article = document.getElementById(`thread-${thread.id}`);
      article?.querySelector<HTMLElement>(focusAfter)?.focus();
      return true;
    } catch (error) {
      const article = document.getElementById(`thread-${thread.id}`);
      const slot = article?.querySelector<HTMLElement>('.agora-thread__error');
      if (slot) {
        slot.hidden = false;
        slot.replaceChildren(
          element('span', 'govuk-visually-hidden', `${message(this.options.messages, 'errorPrefix')} `),
          `${message(this.options.messages, 'commentsFailed')} ${error instanceof ApiError ? error.message : String(error)}`,
        );
      }
      return false;
    }
  }

  private render(): void {
    // Keep what someone is typing in a reply, and where their focus is, across the redraw.
    const drafts = new Map<string, string>();
    for (const textarea of this.list.querySelectorAll<HTMLTextAreaElement>('textarea')) {
      if (textarea.value) drafts.set(textarea.id, textarea.value);
    }
    const focusedId = this.list.contains(document.activeElement) ? document.activeElement?.id : undefined;

    const open = this.threads.filter((t) => !t.resolved);
    const resolved = this.threads.filter((t) => t.resolved);
    const children: HTMLElement[] = [];
    if (this.threads.length === 0) {
      children.push(element('p', 'govuk-body', message(this.options.messages, 'commentsNone')));
    }
    for (const thread of open) children.push(this.renderThread(thread));
    if (resolved.length > 0) {
      const details = element('details', 'govuk-details agora-comments__resolved');
      const summary = element('summary', 'govuk-details__summary');
      summary.append(element('span', 'govuk-details__summary-text', `${message(this.options.messages, 'commentsResolvedHeading')} (${resolved.length})`));
      const inner = element('div', 'govuk-details__text');
      for (const thread of resolved) inner.append(this.renderThread(thread));
      details.append(summary, inner);
      const holds = (t: Thread) =>
        t.id === this.active || focusedId === `thread-${t.id}` || !!focusedId?.startsWith(`thread-${t.id}-`);
      if (resolved.some(holds)) details.open = true;
      children.push(details);
    }
    this.list.replaceChildren(...children);

    for (const [id, value] of drafts) {
      const textarea = document.getElementById(id) as HTMLTextAreaElement | null;
      if (textarea) textarea.value = value;
    }
    if (focusedId) document.getElementById(focusedId)?.focus();

    const anchored: AnchoredThread[] = this.threads.map((t) => ({
      id: t.id,
      anchorStart: t.anchor_start,
      anchorEnd: t.anchor_end,
      resolved: t.resolved,
    }));
    if (this.active !== null && !this.threads.some((t) => t.id === this.active)) this.active = null;
    setAnchoredThreads(this.options.editor.view, anchored, this.active);
    this.markMissingAnchors();
  }

  // A thread whose words have all been deleted says so, rather than pointing nowhere.
  private markMissingAnchors(): void {
    for (const thread of this.threads) {
      const note = document.getElementById(`thread-${thread.id}-gone`);
      if (note) note.hidden = rangeOfThread(this.options.editor.state, thread.id) !== null;
    }
  }

  /** Called after the document changed, so threads whose words are gone say so. */
  documentChanged(): void {
    this.markMissingAnchors();
  }

  private byline(person: Person | null, at: number): HTMLElement {
    const meta = element('p', 'govuk-body-s agora-thread__meta');
    const name = element('span', 'agora-thread__author', person ? person.name : '—');
    meta.append(name);
    if (person?.organisation) meta.append(`, ${person.organisation}`);
    const time = element('time', 'agora-thread__time', this.dateFormat.format(new Date(at)));
    time.dateTime = new Date(at).toISOString();
    meta.append(' ', time);
    return meta;
  }

  private renderThread(thread: Thread): HTMLElement {
    const m = this.options.messages;
    const id = `thread-${thread.id}`;
    const article = element('article', 'agora-thread');
    article.id = id;
    article.dataset.threadId = String(thread.id);
    article.tabIndex = -1;
    article.setAttribute('aria-labelledby', `${id}-quote`);
    article.classList.toggle('agora-thread--active', thread.id === this.active);
    article.classList.toggle('agora-thread--resolved', thread.resolved);
    // Clicking anywhere in a thread but its controls highlights its words.
    article.addEventListener('click', (event) => {
      if ((event.target as Element).closest('button, a, textarea, input, label, summary')) return;
      this.select(thread.id);
    });

    const quote = element('blockquote', 'agora-thread__quote', quoted(thread.quote));
    quote.id = `${id}-quote`;
    article.append(quote);
    if (thread.resolved) {
      article.append(element('strong', 'govuk-tag govuk-tag--green agora-thread__status', message(m, 'commentsResolved')));
    }
    const gone = element('p', 'govuk-body-s agora-thread__gone', message(m, 'commentsAnchorGone'));
    gone.id = `${id}-gone`;
    gone.hidden = true;
    article.append(gone);

    const comments = element('ol', 'agora-thread__comments');
    for (const comment of thread.comments) {
      const item = element('li', 'agora-thread__comment');
      item.append(this.byline(comment.author, comment.created_at), element('p', 'govuk-body agora-thread__body', comment.body));
      comments.append(item);
    }
    article.append(comments);

    const error = element('p', 'govuk-error-message agora-thread__error');
    error.hidden = true;
    article.append(error);

    const actions = element('div', 'govuk-button-group agora-thread__actions');
    const show = element('button', 'govuk-button govuk-button--secondary agora-thread__show', message(m, 'commentsShow'));
    show.type = 'button';
    show.id = `${id}-show`;
    show.setAttribute('aria-pressed', String(thread.id === this.active));
    show.addEventListener('click', () => this.select(this.active === thread.id ? null : thread.id));
    actions.append(show);
    if (this.options.canComment) {
      const toggle = element(
        'button',
        'govuk-button govuk-button--secondary',
        message(m, thread.resolved ? 'commentsReopen' : 'commentsResolve'),
      );
      toggle.type = 'button';
      toggle.id = `${id}-${thread.resolved ? 'reopen' : 'resolve'}`;
      toggle.addEventListener('click', () => {
        void this.act(thread, thread.resolved ? 'reopen' : 'resolve', undefined, `#${id}-${thread.resolved ? 'resolve' : 'reopen'}`);
      });
      actions.append(toggle);
    }
    article.append(actions);

    if (this.options.canComment && !thread.resolved) {
      const form = element('form', 'agora-thread__reply');
      form.noValidate = true;
      const group = element('div', 'govuk-form-group');
      const label = element('label', 'govuk-label govuk-label--s', message(m, 'commentsReplyLabel'));
      label.htmlFor = `${id}-reply`;
      const textarea = element('textarea', 'govuk-textarea');
      textarea.id = `${id}-reply`;
      textarea.name = 'body';
      textarea.rows = 2;
      group.append(label, textarea);
      const send = element('button', 'govuk-button govuk-button--secondary', message(m, 'commentsReply'));
      send.type = 'submit';
      form.append(group, send);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const body = textarea.value;
        if (!body.trim()) {
          textarea.focus();
          return;
        }
        void this.act(thread, 'replies', { body }, `#${id}-reply`).then((sent) => {
          if (sent) {
            const fresh = document.getElementById(`${id}-reply`) as HTMLTextAreaElement | null;
            if (fresh) fresh.value = '';
          }
        });
      });
      article.append(form);
    }
    return article;
  }
}
