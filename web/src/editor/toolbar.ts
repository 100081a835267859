// The formatting toolbar, built to the WAI-ARIA toolbar pattern: one Tab stop, arrow keys (and
// Home, End) move between its buttons, toggles say whether they are on with aria-pressed, and
// Alt+F10 in the text jumps to it.

import type { Editor } from '@tiptap/core';

interface Command {
  run?: (editor: Editor) => void;
  active?: (editor: Editor) => boolean;
}

const kCommands: Record<string, Command> = {
  bold: { run: (e) => e.chain().focus().toggleBold().run(), active: (e) => e.isActive('bold') },
  italic: { run: (e) => e.chain().focus().toggleItalic().run(), active: (e) => e.isActive('italic') },
  strike: { run: (e) => e.chain().focus().toggleStrike().run(), active: (e) => e.isActive('strike') },
  link: { active: (e) => e.isActive('link') },
  heading_2: {
    run: (e) => e.chain().focus().toggleHeading({ level: 2 }).run(),
    active: (e) => e.isActive('heading', { level: 2 }),
  },
  heading_3: {
    run: (e) => e.chain().focus().toggleHeading({ level: 3 }).run(),
    active: (e) => e.isActive('heading', { level: 3 }),
  },
  bullet_list: { run: (e) => e.chain().focus().toggleBulletList().run(), active: (e) => e.isActive('bulletList') },
  ordered_list: { run: (e) => e.chain().focus().toggleOrderedList().run(), active: (e) => e.isActive('orderedList') },
  task_list: { run: (e) => e.chain().focus().toggleTaskList().run(), active: (e) => e.isActive('taskList') },
  blockquote: { run: (e) => e.chain().focus().toggleBlockquote().run(), active: (e) => e.isActive('blockquote') },
  table: { run: (e) => e.chain().focus().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run() },
  add_row: { run: (e) => e.chain().focus().addRowAfter().run() },
  add_column: { run: (e) => e.chain().focus().addColumnAfter().run() },
  delete_row: { run: (e) => e.chain().focus().deleteRow().run() },
  delete_column: { run: (e) => e.chain().focus().deleteColumn().run() },
  delete_table: { run: (e) => e.chain().focus().deleteTable().run() },
  undo: { run: (e) => e.chain().focus().undo().run() },
  redo: { run: (e) => e.chain().focus().redo().run() },
};

export interface ToolbarOptions {
  editor: Editor;
  /** Buttons that open a form or panel rather than change the text: link, image, comment. */
  open: Record<string, () => void>;
}

export class Toolbar {
  private readonly buttons: HTMLButtonElement[];

  constructor(
    private readonly root: HTMLElement,
    private readonly options: ToolbarOptions,
  ) {
    this.buttons = Array.from(root.querySelectorAll<HTMLButtonElement>('button[data-command]'));
    for (const button of this.buttons) {
      button.tabIndex = -1;
      // Keep the editor's selection: a mouse press on a button would otherwise take focus first.
      button.addEventListener('mousedown', (event) => event.preventDefault());
      button.addEventListener('click', () => this.activate(button));
    }
    const first = this.visible()[0];
    if (first) first.tabIndex = 0;
    root.addEventListener('keydown', (event) => this.onKeydown(event));
    root.addEventListener('focusin', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-command]');
      if (button) this.makeCurrent(button);
    });
    options.editor.view.dom.addEventListener('keydown', (event) => {
      if (event.altKey && event.key === 'F10') {
        event.preventDefault();
        this.focusCurrent();
      }
    });
    options.editor.on('transaction', () => this.update());
    this.update();
  }

  /** Moves focus to the toolbar's current button. */
  focusCurrent(): void {
    const current = this.buttons.find((b) => b.tabIndex === 0 && !b.hidden) ?? this.visible()[0];
    current?.focus();
  }

  /** Brings aria-pressed and the table-only buttons up to date with the selection. */
  update(): void {
    const { editor } = this.options;
    const inTable = editor.isActive('table');
    for (const button of this.buttons) {
      const name = button.dataset.command ?? '';
      const active = kCommands[name]?.active;
      if (active) button.setAttribute('aria-pressed', String(active(editor)));
      if (button.hasAttribute('data-needs-table')) {
        if (!inTable && button === document.activeElement) this.focusButton('table');
        button.hidden = !inTable;
      }
    }
    if (!this.buttons.some((b) => b.tabIndex === 0 && !b.hidden)) {
      const first = this.visible()[0];
      if (first) this.makeCurrent(first);
    }
  }

  private activate(button: HTMLButtonElement): void {
    const name = button.dataset.command ?? '';
    const opener = this.options.open[name];
    if (opener) {
      opener();
      return;
    }
    kCommands[name]?.run?.(this.options.editor);
  }

  private visible(): HTMLButtonElement[] {
    return this.buttons.filter((b) => !b.hidden);
  }

  private makeCurrent(button: HTMLButtonElement): void {
    for (const other of this.buttons) other.tabIndex = other === button ? 0 : -1;
  }

  private focusButton(name: string): void {
    const button = this.buttons.find((b) => b.dataset.command === name);
    if (button) {
      this.makeCurrent(button);
      button.focus();
    }
  }

  private onKeydown(event: KeyboardEvent): void {
    const buttons = this.visible();
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (index < 0) return;
    let next = -1;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (index + 1) % buttons.length;
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = (index - 1 + buttons.length) % buttons.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = buttons.length - 1;
    else if (event.key === 'Escape') {
      event.preventDefault();
      this.options.editor.commands.focus();
      return;
    }
    if (next < 0) return;
    event.preventDefault();
    this.makeCurrent(buttons[next]);
    buttons[next].focus();
  }
}
