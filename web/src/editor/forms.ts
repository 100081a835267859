// The small forms the toolbar opens: a link's web address, and an image to upload with its
// description. Each follows the GOV.UK error message pattern and gives focus back to the text.

import type { Editor } from '@tiptap/core';

import type { DocumentApi } from './api';
import { kImageTypes, kMaxImageBytes } from './images';
import { type Messages, message } from './messages';

function setError(
  group: HTMLElement,
  error: HTMLElement,
  input: HTMLElement,
  hintId: string,
  prefix: string,
  text: string | null,
): void {
  group.classList.toggle('govuk-form-group--error', text !== null);
  error.hidden = text === null;
  error.replaceChildren();
  if (text !== null) {
    const hidden = document.createElement('span');
    hidden.className = 'govuk-visually-hidden';
    hidden.textContent = `${prefix} `;
    error.append(hidden, text);
    input.setAttribute('aria-describedby', `${hintId} ${error.id}`);
  } else {
    input.setAttribute('aria-describedby', hintId);
  }
}

function toggleButton(command: string, expanded: boolean): void {
  document.querySelector(`[data-command="${command}"]`)?.setAttribute('aria-expanded', String(expanded));
}

/** The link form: sets, changes or removes the link on the selected text. */
export class LinkForm {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;

  constructor(
    private readonly editor: Editor,
    private readonly messages: Messages,
  ) {
    this.form = document.getElementById('document-link-form') as HTMLFormElement;
    this.input = document.getElementById('document-link-url') as HTMLInputElement;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.apply();
    });
    this.form.querySelector('[data-action="remove-link"]')?.addEventListener('click', () => {
      this.editor.chain().focus().extendMarkRange('link').unsetLink().run();
      this.close(false);
    });
    this.form.querySelector('[data-action="cancel"]')?.addEventListener('click', () => this.close(true));
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close(true);
    });
  }

  open(): void {
    this.input.value = (this.editor.getAttributes('link').href as string | undefined) ?? '';
    this.showError(null);
    this.form.hidden = false;
    toggleButton('link', true);
    this.input.focus();
  }

  private apply(): void {
    const href = this.input.value.trim();
    if (!/^(https?:\/\/[^\s]+|mailto:[^\s]+|\/[^\s]*)$/i.test(href)) {
      this.showError(message(this.messages, 'linkError'));
      this.input.focus();
      return;
    }
    this.editor.chain().focus().extendMarkRange('link').setLink({ href }).run();
    this.close(false);
  }

  private close(returnFocus: boolean): void {
    this.form.hidden = true;
    toggleButton('link', false);
    if (returnFocus) this.editor.commands.focus();
  }

  private showError(text: string | null): void {
    setError(
      document.getElementById('document-link-group')!,
      document.getElementById('document-link-error')!,
      this.input,
      'document-link-url-hint',
      message(this.messages, 'errorPrefix'),
      text,
    );
  }
}

/** The image form: uploads the chosen file and inserts it with its description. */
export class ImageForm {
  private readonly form: HTMLFormElement;
  private readonly file: HTMLInputElement;
  private readonly alt: HTMLInputElement;
  private busy = false;

  constructor(
    private readonly editor: Editor,
    private readonly api: DocumentApi,
    private readonly messages: Messages,
  ) {
    this.form = document.getElementById('document-image-form') as HTMLFormElement;
    this.file = document.getElementById('document-image-file') as HTMLInputElement;
    this.alt = document.getElementById('document-image-alt') as HTMLInputElement;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.insert();
    });
    this.form.querySelector('[data-action="cancel"]')?.addEventListener('click', () => this.close(true));
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close(true);
    });
  }

  open(): void {
    this.file.value = '';
    this.alt.value = '';
    this.showError(null);
    this.form.hidden = false;
    toggleButton('image', true);
    this.file.focus();
  }

  private async insert(): Promise<void> {
    if (this.busy) return;
    const chosen = this.file.files?.[0];
    if (!chosen || !kImageTypes.includes(chosen.type) || chosen.size > kMaxImageBytes || chosen.size === 0) {
      this.showError(message(this.messages, 'imageFileError'));
      this.file.focus();
      return;
    }
    this.busy = true;
    const hint = document.getElementById('document-image-file-hint')!;
    const hintText = hint.textContent;
    hint.textContent = message(this.messages, 'imageUploading');
    try {
      const { url } = await this.api.call<{ url: string }>('POST', '/images', chosen);
      this.editor.chain().focus().setImage({ src: url, alt: this.alt.value.trim() }).run();
      this.close(false);
    } catch (error) {
      this.showError(`${message(this.messages, 'imageFailed')} ${(error as Error).message}`);
      this.file.focus();
    } finally {
      hint.textContent = hintText;
      this.busy = false;
    }
  }

  private close(returnFocus: boolean): void {
    this.form.hidden = true;
    toggleButton('image', false);
    if (returnFocus) this.editor.commands.focus();
  }

  private showError(text: string | null): void {
    setError(
      document.getElementById('document-image-file-group')!,
      document.getElementById('document-image-error')!,
      this.file,
      'document-image-file-hint',
      message(this.messages, 'errorPrefix'),
      text,
    );
  }
}
