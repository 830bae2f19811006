import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SIGN_IN_EVENT, api } from './api.js';
import { Detail } from './detail.js';
import { Detections } from './detections.js';
import { Queue } from './queue.js';
import { RiskList, RiskObject } from './risk.js';
import { href, useRoute } from './route.js';
import '../shared/style.css';
import './app.css';

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(true);
  const [, setRevision] = useState(0);
  const changed = () => setRevision((r) => r + 1);
  const [view, ...rest] = route.path;
  useEffect(() => {
    const signIn = () => setSignedIn(false);
    addEventListener(SIGN_IN_EVENT, signIn);
    return () => removeEventListener(SIGN_IN_EVENT, signIn);
  }, []);
  if (!signedIn) return <SignIn onDone={() => setSignedIn(true)} />;
  return (
    <>
      <header class="top">
        <strong>tunnelwatch</strong>
        <nav aria-label="views">
          <a href={href([])} aria-current={view === undefined ? 'page' : undefined}>Queue</a>
          <a href={href(['risk'])} aria-current={view === 'risk' ? 'page' : undefined}>Risk</a>
          <a href={href(['detections'])} aria-current={view === 'detections' ? 'page' : undefined}>Detections</a>
        </nav>
      </header>
      <main>
        {view === 'finding' && rest[0] ? <Detail id={rest[0]} onChanged={changed} />
          : view === 'risk' && rest.length === 2 ? <RiskObject type={rest[0]} object={rest[1]} params={route.params} />
          : view === 'risk' ? <RiskList />
          : view === 'detections' ? <Detections />
          : <Queue params={route.params} onChanged={changed} />}
      </main>
    </>
  );
}

/** Exchanges a token for the server's HttpOnly session cookie; the token itself is not kept. */
function SignIn({ onDone }: { onDone: () => void }) {
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const token = new FormData(event.currentTarget as HTMLFormElement).get('token');
    try {
      await api.signIn(String(token ?? ''));
      onDone();
      location.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main>
      <form class="signin" onSubmit={submit}>
        <h1>tunnelwatch</h1>
        <label>Token <input name="token" type="password" autocomplete="current-password" required /></label>
        <button type="submit">Sign in</button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
