// The researcher token: asked for once, then kept in this browser and shown masked, with a way
// to change or forget it. Its error (missing, refused by the coordinator) shows right here.
import { useEffect, useState } from 'react';
import type { ResearcherToken } from './useResearcherToken';

export function TokenField({ state, error }: { state: ResearcherToken; error: string | null }) {
  const [editing, setEditing] = useState(false);
  // A submission that saved the new token ends the change.
  useEffect(() => {
    if (state.saved) setEditing(false);
  }, [state.saved]);
  const asking = !state.saved || editing;

  if (!asking) {
    return (
      <div className="token-saved" data-testid="token-saved">
        <span>
          Using the token saved in this browser (<code>{state.token.slice(0, 8)}…</code>).
        </span>
        <span className="token-actions">
          <button type="button" className="link-button" onClick={() => setEditing(true)}>
            Change
          </button>
          <button type="button" className="link-button" onClick={state.forget}>
            Forget
          </button>
        </span>
        {error && (
          <p className="field-error" id="token-error" data-testid="token-error">
            {error}
          </p>
        )}
      </div>
    );
  }

  return (
    <div className={`form-field${error ? ' invalid' : ''}`}>
      <label htmlFor="researcher-token">Token</label>
      <div className="form-control">
        <input
          id="researcher-token"
          data-testid="token-input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={state.token}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'token-help token-error' : 'token-help'}
          onChange={(e) => state.setDraft(e.target.value)}
        />
      </div>
      <p className="field-help" id="token-help">
        Printed by the coordinator on its first start and saved in{' '}
        <code>data/researcher.token</code>; <code>npx tessera token create --name NAME</code> makes
        more. Kept in this browser once a submission uses it.
      </p>
      {error && (
        <p className="field-error" id="token-error" data-testid="token-error">
          {error}
        </p>
      )}
    </div>
  );
}
