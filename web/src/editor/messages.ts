// The words the editor shows, in the reader's language: the server renders them from its message
// catalogue into data-* attributes of #document-messages, so the browser code holds no text.

export type Messages = DOMStringMap;

/** The catalogue of the page, or an empty one when the element is missing. */
export function readMessages(): Messages {
  return document.getElementById('document-messages')?.dataset ?? {};
}

/** Message `key` (dataset name, e.g. "statusSaved"), or the key itself when the page lacks it. */
export function message(messages: Messages, key: string): string {
  return messages[key] ?? key;
}
