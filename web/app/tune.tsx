import { useState } from 'preact/hooks';
import { api, type TuningPreview } from './api.js';
import { href } from './route.js';

/**
 * "Tune from a finding": draft the detection's filter-macro entry from this finding, edit it,
 * preview how many stored findings of the detection it would suppress, then save it to the
 * tuning file. Nothing is saved without a preview of exactly the text being saved.
 */
export function Tune({ findingId, onSaved }: { findingId: string; onSaved: () => void }) {
  const [spl, setSpl] = useState<string | undefined>();
  const [preview, setPreview] = useState<TuningPreview | undefined>();
  const [saved, setSaved] = useState<TuningPreview | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await action();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const draft = () =>
    run(async () => {
      const p = await api.previewTuning(findingId);
      setSpl(p.spl);
      setPreview(p);
    });
  const check = () =>
    run(async () => {
      setPreview(await api.previewTuning(findingId, spl));
    });
  const save = () =>
    run(async () => {
      setSaved(await api.saveTuning(findingId, spl as string));
      onSaved();
    });
  return (
    <section class="tune" aria-labelledby="tune-title">
      <h3 id="tune-title">Tune</h3>
      {spl === undefined ? (
        <button type="button" onClick={draft} disabled={busy}>Draft a suppression from this finding</button>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void check(); }}>
          <label>Filter for <code>{preview?.macro}</code> (findings it rejects are suppressed)
            <textarea name="spl" rows={2} cols={80} value={spl} onInput={(e) => { setSpl(e.currentTarget.value); setPreview(preview && { ...preview, spl: '' }); }} />
          </label>
          <button type="submit" disabled={busy}>Preview</button>
          {preview && preview.spl === spl && (
            <p class="preview" role="status">
              Would suppress <strong>{preview.suppressed}</strong> of {preview.total} stored findings of this detection
              {preview.examples.length > 0 && <> (e.g. {preview.examples.slice(0, 3).map((id, i) => <span key={id}>{i > 0 && ', '}<a href={href(['finding', id])}>{id.slice(0, 8)}</a></span>)})</>}.{' '}
              <button type="button" onClick={save} disabled={busy}>Save to {preview.file}</button>
            </p>
          )}
        </form>
      )}
      {saved && <p role="status">Saved: <code>{saved.macro}: {saved.spl}</code>. It applies to new events from the next start of serve.</p>}
      {error && <p class="error" role="alert">{error}</p>}
    </section>
  );
}
