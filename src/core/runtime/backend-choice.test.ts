import { describe, expect, it } from 'vitest';
import { type AdapterLike, chooseBackend, type GpuLike } from './backend-choice';

function fakeGpu(adapter: AdapterLike | null | Error): GpuLike {
  return {
    requestAdapter: async () => {
      if (adapter instanceof Error) throw adapter;
      return adapter;
    },
  };
}

const hardware: AdapterLike = { info: { vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false } };
const software: AdapterLike = { info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } };

describe('chooseBackend', () => {
  it('uses wasm when WebGPU is missing', async () => {
    const c = await chooseBackend(undefined);
    expect(c.backend).toBe('wasm');
    expect(c.reason).toMatch(/navigator\.gpu is missing/);
    expect(c.adapter).toBeNull();
  });

  it('uses wasm when no adapter is returned or requestAdapter throws', async () => {
    expect((await chooseBackend(fakeGpu(null))).reason).toMatch(/no GPU adapter/);
    const thrown = await chooseBackend(fakeGpu(new Error('device lost')));
    expect(thrown.backend).toBe('wasm');
    expect(thrown.reason).toMatch(/device lost/);
  });

  it('uses WebGPU on a hardware adapter and names it', async () => {
    const c = await chooseBackend(fakeGpu(hardware));
    expect(c).toMatchObject({ backend: 'webgpu', adapter: { vendor: 'nvidia', isFallbackAdapter: false } });
    expect(c.reason).toContain('nvidia hopper');
  });

  it('prefers wasm over a software adapter unless WebGPU is asked for', async () => {
    const auto = await chooseBackend(fakeGpu(software));
    expect(auto.backend).toBe('wasm');
    expect(auto.reason).toMatch(/software WebGPU adapter/);
    expect(auto.adapter?.isFallbackAdapter).toBe(true);
    const forced = await chooseBackend(fakeGpu(software), 'webgpu');
    expect(forced.backend).toBe('webgpu');
    expect(forced.reason).toMatch(/slow/);
  });

  it('reads the fallback flag from older adapters too', async () => {
    const c = await chooseBackend(fakeGpu({ isFallbackAdapter: true }));
    expect(c.backend).toBe('wasm');
  });

  it('honours an explicit wasm preference without touching the GPU', async () => {
    let asked = false;
    const gpu: GpuLike = {
      requestAdapter: async () => {
        asked = true;
        return hardware;
      },
    };
    expect((await chooseBackend(gpu, 'wasm')).backend).toBe('wasm');
    expect(asked).toBe(false);
  });
});
