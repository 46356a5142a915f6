// WebGPU in Node through Dawn (the `webgpu` npm package, an optional dependency): the GPU path
// that installs without CUDA or downloads. tfjs-backend-webgpu expects a browser's
// `navigator.gpu`, so Dawn's GPU object is put there before the backend is registered.
import { tf } from './tf.js';

interface GpuAdapter {
  info: Record<string, unknown>;
  limits: Record<string, number>;
  requestDevice(descriptor: unknown): Promise<unknown>;
}
interface DawnModule {
  create(flags: string[]): { requestAdapter(options: unknown): Promise<GpuAdapter | null> };
  globals: Record<string, unknown>;
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|software/i;

/** Registers the webgpu backend on the best adapter; returns a description of that adapter. */
export async function enableWebGpu(allowSoftware: boolean): Promise<string> {
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  const { WebGPUBackend } = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as {
    WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend;
  };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(['backend=vulkan']);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('no WebGPU adapter (is a Vulkan driver installed?)');
  const info = describeAdapter(adapter.info);
  const software = adapter.info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(info);
  if (software && !allowSoftware) throw new Error(`only a software adapter was found (${info})`);
  (globalThis as { navigator?: unknown }).navigator = { gpu };
  const limits = adapter.limits;
  tf.registerBackend(
    'webgpu',
    async () =>
      new WebGPUBackend(
        await adapter.requestDevice({
          requiredLimits: {
            maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
            maxBufferSize: limits.maxBufferSize,
            maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
          },
        }),
        adapter.info,
      ),
    3,
  );
  return `${info}${software ? ' (software)' : ''}`;
}

function describeAdapter(info: Record<string, unknown>): string {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  return parts.join(' ') || 'unknown adapter';
}
