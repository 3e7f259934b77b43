// The researcher token, kept in this browser's localStorage after its first entry so the form
// does not ask again; it can be changed or forgotten from the page.
import { useCallback, useState } from 'react';

export const TOKEN_STORAGE_KEY = 'tessera.researcherToken';

function read(): string {
  try {
    return window.localStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
  } catch {
    // Storage disabled (private mode, policy): the token lives for this page only.
    return '';
  }
}

function write(token: string): void {
  try {
    if (token) window.localStorage.setItem(TOKEN_STORAGE_KEY, token);
    else window.localStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // See read(): nothing to keep it in.
  }
}

export interface ResearcherToken {
  /** The token in use: saved, or being typed. */
  token: string;
  saved: boolean;
  setDraft(token: string): void;
  /** Keeps the current token in the browser (done when a submission uses it). */
  save(): void;
  /** Forgets the saved token and asks for one again. */
  forget(): void;
}

export function useResearcherToken(): ResearcherToken {
  const [token, setToken] = useState(read);
  const [saved, setSaved] = useState(() => read() !== '');

  const setDraft = useCallback((next: string) => {
    setToken(next);
    setSaved(false);
  }, []);
  const save = useCallback(() => {
    const trimmed = token.trim();
    write(trimmed);
    setSaved(trimmed !== '');
  }, [token]);
  const forget = useCallback(() => {
    write('');
    setToken('');
    setSaved(false);
  }, []);

  return { token, saved, setDraft, save, forget };
}
