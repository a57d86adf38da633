import { registerSW } from 'virtual:pwa-register';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { debugHooks } from './engine-client';
import { showToast } from './lib/toasts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks #root');
createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

(window as unknown as { findableDebug: typeof debugHooks }).findableDebug = debugHooks;

// The service worker precaches the app, onnxruntime's wasm and the model: offline after the first visit.
if ('serviceWorker' in navigator) {
  const updateSW = registerSW({
    onOfflineReady() {
      document.documentElement.dataset.offlineReady = 'true';
      showToast({ kind: 'info', message: 'Ready to work offline.', timeout: 8000 });
    },
    onNeedRefresh() {
      showToast({
        kind: 'info',
        message: 'An update is available.',
        action: { label: 'Reload', run: () => void updateSW(true) },
      });
    },
    onRegisterError(error: unknown) {
      console.warn('Service worker registration failed', error);
    },
  });
}
