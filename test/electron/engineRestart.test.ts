/** The desktop shell restarts a crashed engine with backoff, gives up after a limit and says so; its page carries the CSP itself. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, engineDownMessage, onEngineCrash } from '../../electron/engineRestart';
import { META_CONTENT_SECURITY_POLICY } from '../../electron/security';
import viteConfig from '../../vite.config';

describe('engine restart', () => {
  it('backs off from 0.5 s, doubling, and stops after 5 crashes in 10 minutes', () => {
    const crashes: number[] = [];
    const delays = [0, 1000, 3000, 7000].map((t) => onEngineCrash(crashes, t));
    expect(delays).toEqual([500, 1000, 2000, 4000].map((delayMs) => ({ restart: true, delayMs })));
    expect(onEngineCrash(crashes, 15_000)).toEqual({ restart: false, crashes: 5 });
    expect(engineDownMessage(5)).toMatch(/5 times within 10 minutes.*not restarted.*safe/);
  });

  it('forgets crashes older than the window', () => {
    const crashes: number[] = [];
    for (let i = 0; i < 4; i++) onEngineCrash(crashes, i * 1000);
    expect(onEngineCrash(crashes, DEFAULT_RESTART_POLICY.windowMs + 10_000)).toEqual({
      restart: true,
      delayMs: 500,
    });
  });
});

describe('Content-Security-Policy of file:// pages', () => {
  it('the built index.html carries the policy as a meta tag', async () => {
    const plugins = (viteConfig as { plugins: Plugin[] }).plugins.flat() as Plugin[];
    const csp = plugins.find((p) => p?.name === 'segnas-csp-meta');
    expect(csp?.apply).toBe('build');
    const html = readFileSync(join(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const transform = csp?.transformIndexHtml as (html: string) => string;
    const built = transform(html);
    expect(built).toContain(
      `<meta http-equiv="Content-Security-Policy" content="${META_CONTENT_SECURITY_POLICY}" />`,
    );
    expect(META_CONTENT_SECURITY_POLICY).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(META_CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
  });
});
