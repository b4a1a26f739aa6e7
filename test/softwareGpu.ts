/**
 * A GPU for the tests on machines that have none: SwiftShader, a Vulkan implementation on the CPU that
 * Debian's `chromium` package ships with a Vulkan loader (in /usr/lib/chromium). Dawn (the `webgpu`
 * package) finds it through the loader's environment, which must be set before the process starts (the
 * dynamic linker reads LD_LIBRARY_PATH once): vitest.config.ts sets it before its workers fork.
 *
 * It proves the WebGPU path correct, not fast. A machine with a real GPU can run the tests on it
 * instead with ATTENTION_STUDIO_TEST_GPU=native (nothing is changed then).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const swiftShaderDir = process.env.SWIFTSHADER_DIR ?? '/usr/lib/chromium';

/** The variables that point Vulkan at SwiftShader, or null where it is not installed. */
export function softwareGpuEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> | null {
  if (env.ATTENTION_STUDIO_TEST_GPU === 'native') return null;
  const icd = path.join(swiftShaderDir, 'vk_swiftshader_icd.json');
  if (!existsSync(icd) || !existsSync(path.join(swiftShaderDir, 'libvulkan.so.1'))) return null;
  return {
    LD_LIBRARY_PATH: [swiftShaderDir, env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter),
    VK_ICD_FILENAMES: icd,
  };
}
