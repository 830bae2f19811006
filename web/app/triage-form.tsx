import { useState } from 'preact/hooks';
import { dispositions, triageStatuses, urgencies, type TriageChange } from './api.js';

/** Closing needs a verdict: the false-positive rate per detection is computed from them. */
export const DISPOSITION_REQUIRED_TO_CLOSE = true;

const label = (value: string) => value.replace(/_/g, ' ');

/** One change (status, owner, urgency, disposition) with one comment, for one finding or many. */
export function TriageForm({ target, onApply, formId }: { target: string; onApply: (change: TriageChange) => Promise<void>; formId: string }) {
  const [change, setChange] = useState<TriageChange>({});
  const [comment, setComment] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (key: keyof TriageChange, value: string) =>
    setChange((c) => {
      const next = { ...c };
      if (value === '') delete next[key];
      else (next as Record<string, unknown>)[key] = key === 'owner' && value === '(unassigned)' ? null : value;
      return next;
    });
  const submit = async (event: Event) => {
    event.preventDefault();
    const full: TriageChange = { ...change, ...(comment.trim() && { comment: comment.trim() }) };
    if (Object.keys(full).length === 0) return setError('Choose something to change.');
    if (DISPOSITION_REQUIRED_TO_CLOSE && full.status === 'closed' && !full.disposition) return setError('A disposition is required to close.');
    setBusy(true);
    setError('');
    try {
      await onApply(full);
      setChange({});
      setComment('');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="triage" id={formId} onSubmit={submit} aria-label={`triage ${target}`}>
      <span class="target">{target}</span>
      <label>Status <select name="status" value={change.status ?? ''} onChange={(e) => set('status', e.currentTarget.value)}>
        <option value="">—</option>{triageStatuses.map((s) => <option key={s} value={s}>{label(s)}</option>)}
      </select></label>
      <label>Urgency <select name="urgency" value={change.urgency ?? ''} onChange={(e) => set('urgency', e.currentTarget.value)}>
        <option value="">—</option>{urgencies.map((s) => <option key={s} value={s}>{s}</option>)}
      </select></label>
      <label>Disposition <select name="disposition" value={change.disposition ?? ''} onChange={(e) => set('disposition', e.currentTarget.value)}>
        <option value="">—</option>{dispositions.map((s) => <option key={s} value={s}>{label(s)}</option>)}
      </select></label>
      <label>Owner <input name="owner" size={12} placeholder="me" value={change.owner === null ? '(unassigned)' : change.owner ?? ''} onInput={(e) => set('owner', e.currentTarget.value)} /></label>
      <label class="grow">Comment <input name="comment" value={comment} onInput={(e) => setComment(e.currentTarget.value)} /></label>
      <button type="submit" disabled={busy}>Apply</button>
      {error && <span class="error" role="alert">{error}</span>}
    </form>
  );
}
