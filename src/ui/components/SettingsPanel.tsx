import { LIMITS, type Preset, type UiSettings, withPreset } from '../lib/settings';

export function SettingsPanel({
  settings,
  onChange,
  token,
  onToken,
}: {
  settings: UiSettings;
  onChange: (s: UiSettings) => void;
  token: string;
  onToken: (t: string) => void;
}) {
  const set = <K extends keyof UiSettings>(key: K, value: UiSettings[K]) => onChange({ ...settings, [key]: value });
  return (
    <details className="settings">
      <summary>Settings</summary>
      <div className="settings-grid">
        <label>
          Preset
          <select
            value={settings.preset}
            onChange={(e) => onChange(withPreset(settings, e.target.value as Preset))}
            data-testid="preset"
          >
            <option value="paper">Paper default (10 steps)</option>
            <option value="robust">Robust to edits (best recall and quality, about 4x slower)</option>
            <option value="fast">Fast (1 step, about 10x cheaper)</option>
          </select>
        </label>
        <label>
          Strength (alpha {settings.alpha.toFixed(1)})
          <input
            type="range"
            min={LIMITS.alpha[0]}
            max={LIMITS.alpha[1]}
            step={0.5}
            value={settings.alpha}
            onChange={(e) => set('alpha', Number(e.target.value))}
            aria-describedby="alpha-help"
          />
          <small id="alpha-help">Higher is easier to find but more visible. The paper uses 3.</small>
        </label>
        <label>
          Steps
          <input
            type="number"
            min={LIMITS.steps[0]}
            max={LIMITS.steps[1]}
            value={settings.steps}
            onChange={(e) => {
              const v = Math.round(Number(e.target.value));
              if (v >= LIMITS.steps[0] && v <= LIMITS.steps[1]) set('steps', v);
            }}
            data-testid="steps"
          />
        </label>
        <label>
          Output format
          <select value={settings.format} onChange={(e) => set('format', e.target.value as 'png' | 'jpeg')}>
            <option value="png">PNG (lossless, recommended)</option>
            <option value="jpeg">JPEG</option>
          </select>
        </label>
        {settings.format === 'jpeg' && (
          <label>
            JPEG quality ({settings.jpegQuality})
            <input
              type="range"
              min={LIMITS.jpegQuality[0]}
              max={LIMITS.jpegQuality[1]}
              value={settings.jpegQuality}
              onChange={(e) => set('jpegQuality', Number(e.target.value))}
            />
          </label>
        )}
        <label className="check">
          <input
            type="checkbox"
            checked={settings.keepMetadata}
            onChange={(e) => set('keepMetadata', e.target.checked)}
            aria-describedby="metadata-help"
            data-testid="keep-metadata"
          />
          Keep metadata (EXIF)
          <small id="metadata-help">
            Copies camera data, date, copyright, GPS location and XMP from the original into the result. Off: the result
            carries none. Orientation is applied to the pixels either way; a colour profile other than sRGB is not kept
            (the pixels are converted to sRGB).
          </small>
        </label>
        <label>
          Compute on
          <select
            value={settings.backend}
            onChange={(e) => set('backend', e.target.value as UiSettings['backend'])}
            data-testid="backend-setting"
          >
            <option value="auto">Automatic (WebGPU on a real GPU, else WebAssembly)</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WebAssembly (CPU)</option>
          </select>
        </label>
        <label>
          Theme
          <select value={settings.theme} onChange={(e) => set('theme', e.target.value as UiSettings['theme'])}>
            <option value="system">System</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <fieldset className="register">
          <legend>Registration (optional)</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={settings.registerResults}
              onChange={(e) => set('registerResults', e.target.checked)}
            />
            Register each activated photo's code with this server
          </label>
          <label>
            Access token
            <input
              type="password"
              autoComplete="off"
              value={token}
              placeholder="fdb_..."
              onChange={(e) => onToken(e.target.value.trim())}
            />
            <small>Stored on this device only. Only the photo's index code is sent, never the photo.</small>
          </label>
        </fieldset>
      </div>
    </details>
  );
}
