import { BackendStatus } from './BackendStatus';

export function App() {
  return (
    <main className="app">
      <header className="app-header">
        <h1>Findable</h1>
        <p className="tagline">
          Make your photos findable after you publish them. Photos are processed on this device and never uploaded.
        </p>
      </header>
      <BackendStatus />
    </main>
  );
}
