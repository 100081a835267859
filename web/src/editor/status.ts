// The status line: whether the document is connected, saving, saved, offline or read only.
//
// The state shows at once (data-state, and the colour of the dot); the words, which screen readers
// announce from the live region, change only once the state has held for a moment, so typing does
// not set off "Saving… Saved" on every keystroke.

import { type Messages, message } from './messages';

export type DocumentState =
  | 'connecting'
  | 'saved'
  | 'saving'
  | 'offline'
  | 'read-only'
  | 'read-only-offline'
  | 'denied';

const kMessageKeys: Record<DocumentState, string> = {
  connecting: 'statusConnecting',
  saved: 'statusSaved',
  saving: 'statusSaving',
  offline: 'statusOffline',
  'read-only': 'statusReadOnly',
  'read-only-offline': 'statusReadOnlyOffline',
  denied: 'statusDenied',
};

/** How long a state must hold before its words replace the last ones. */
const kSettleMs = 700;

export class StatusLine {
  private timer: number | undefined;
  private shown: DocumentState | null = null;

  constructor(
    private readonly element: HTMLElement,
    private readonly messages: Messages,
  ) {}

  set(state: DocumentState): void {
    this.element.dataset.state = state;
    window.clearTimeout(this.timer);
    if (state === this.shown) return;
    const write = () => {
      this.shown = state;
      this.element.textContent = message(this.messages, kMessageKeys[state]);
    };
    // The first words, and losing access, are said at once.
    if (this.shown === null || state === 'denied') write();
    else this.timer = window.setTimeout(write, kSettleMs);
  }
}
