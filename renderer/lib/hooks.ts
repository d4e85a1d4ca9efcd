/** Small React hooks more than one screen needs. */
import { type RefObject, useEffect, useMemo, useState } from 'react';

/**
 * The size of the element's parent, in CSS pixels, kept up to date. The observer reports sizes after
 * layout (its first report comes right after observe): reading clientWidth on mount instead would force
 * a layout of the whole page.
 */
export function useParentSize(ref: RefObject<HTMLElement | null>): { w: number; h: number } {
  const [size, setSize] = useState({ w: 0, h: 0 });
  useEffect(() => {
    const parent = ref.current?.parentElement;
    if (!parent) return;
    const ro = new ResizeObserver(([entry]) =>
      setSize({ w: Math.round(entry.contentRect.width), h: Math.round(entry.contentRect.height) }),
    );
    ro.observe(parent);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

/** The cases a viewer can show (validation first, then test), and the one chosen (the first by default). */
export function useCaseChoice(validationCases: readonly string[], testCases: readonly string[]) {
  const cases = useMemo(
    () => [
      ...validationCases.map((id) => ({ id, split: 'validation' })),
      ...testCases.map((id) => ({ id, split: 'test' })),
    ],
    [validationCases, testCases],
  );
  const [caseId, setCaseId] = useState(cases[0]?.id);
  return { cases, caseId, setCaseId };
}
