/**
 * The Methods paragraph of the experiment's report, written from its record, ready to paste into a
 * paper with its reference; fetched when opened, so it describes the experiment as it is now.
 */
import { useState } from 'react';
import { useApp } from '../context';

/** Copies through the clipboard API where the page may, else by selecting the text for the user. */
async function copyText(text: string, fallback: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallback) window.getSelection()?.selectAllChildren(fallback);
    return false;
  }
}

export function MethodsPanel(props: { experimentId: number }) {
  const methods = useApp((s) =>
    s.methods?.experimentId === props.experimentId ? s.methods.text : undefined,
  );
  const loadMethods = useApp((s) => s.loadMethods);
  const [copied, setCopied] = useState<string>();
  const [body, setBody] = useState<HTMLDivElement | null>(null);
  const text = methods && `${methods.paragraph}\n\n[1] ${methods.citation}`;
  return (
    <details
      className="card methods"
      data-testid="methods-panel"
      onToggle={(e) => {
        if ((e.target as HTMLDetailsElement).open) void loadMethods(props.experimentId);
      }}
    >
      <summary className="card-title">Methods paragraph (for a paper)</summary>
      {!text ? (
        <div className="muted">Writing it from the experiment's record…</div>
      ) : (
        <>
          <div className="methods-text" ref={setBody} data-testid="methods-text">
            <p>{methods.paragraph}</p>
            <p className="muted">[1] {methods.citation}</p>
          </div>
          <div className="row">
            <button
              type="button"
              data-testid="methods-copy"
              onClick={async () =>
                setCopied((await copyText(text, body)) ? 'Copied' : 'Selected: press Ctrl+C')
              }
            >
              Copy
            </button>
            {copied && (
              <span className="muted" data-testid="methods-copied">
                {copied}
              </span>
            )}
          </div>
        </>
      )}
    </details>
  );
}
