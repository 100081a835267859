// Who is here: everyone whose editor has this document open, from the provider's awareness
// states, each with their name, organisation and caret colour.

import type { Awareness } from 'y-protocols/awareness';

import { type Messages, message } from './messages';

/** What each editor announces about its person (the CollaborationCaret's `user` field). */
export interface PresenceUser {
  name: string;
  color: string;
  organisation?: string;
}

export function renderPresence(list: HTMLElement, awareness: Awareness, messages: Messages): void {
  const own = awareness.clientID;
  const people: { clientId: number; user: PresenceUser }[] = [];
  const seen = new Set<string>();
  for (const [clientId, state] of awareness.getStates()) {
    const user = (state as { user?: PresenceUser }).user;
    if (!user?.name) continue;
    // The same person in two tabs is one person here.
    const key = `${user.name}\u0000${user.organisation ?? ''}\u0000${clientId === own}`;
    if (seen.has(key)) continue;
    seen.add(key);
    people.push({ clientId, user });
  }
  people.sort((a, b) => Number(b.clientId === own) - Number(a.clientId === own) || a.user.name.localeCompare(b.user.name));

  const items = people.map(({ clientId, user }) => {
    const item = document.createElement('li');
    item.className = 'agora-presence__person';
    const swatch = document.createElement('span');
    swatch.className = 'agora-presence__swatch';
    swatch.setAttribute('aria-hidden', 'true');
    if (/^#[0-9a-fA-F]{6}$/.test(user.color)) swatch.style.setProperty('background-color', user.color);
    const name = document.createElement('span');
    name.className = 'agora-presence__name';
    name.textContent = user.name;
    item.append(swatch, name);
    if (user.organisation) item.append(`, ${user.organisation}`);
    if (clientId === own) item.append(` ${message(messages, 'presenceYou')}`);
    return item;
  });
  if (people.length <= 1) {
    const alone = document.createElement('li');
    alone.className = 'agora-presence__alone';
    alone.textContent = message(messages, 'presenceAlone');
    items.push(alone);
  }
  list.replaceChildren(...items);
}
