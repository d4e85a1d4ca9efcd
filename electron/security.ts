/** The window's security settings in one place, so they can be reviewed and tested together. */

/** No remote content, no inline scripts; wasm compilation for tfjs/niivue; blob: for volumes. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' blob: data:",
  "worker-src 'self' blob:",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-src 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The policy built into index.html as a <meta> tag: response headers do not reach file:// pages, so in
 * the desktop app this tag is the policy. The same page is served by web mode, where both the tag and
 * the server's header apply, so the tag also allows the WebSocket (ws:/wss:); the desktop app opens
 * none, and script-src 'self' keeps foreign code from opening one.
 */
export const META_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
  "connect-src 'self' blob: data:",
  "connect-src 'self' ws: wss: blob: data:",
);

/** The <meta> tag for index.html. */
export function cspMetaTag(policy = META_CONTENT_SECURITY_POLICY): string {
  return `<meta http-equiv="Content-Security-Policy" content="${policy.replace(/"/g, '&quot;')}" />`;
}

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const;
}
