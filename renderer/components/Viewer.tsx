/**
 * niivue showing an image with label overlays (ground truth, prediction), each toggleable with its
 * own opacity, in multiplanar + 3D, single plane, or 3D-only layout.
 */
import { Niivue, NVImage, SHOW_RENDER, SLICE_TYPE } from '@niivue/niivue';
import { useEffect, useRef, useState } from 'react';
import type { LabelInfo, VolumeRef } from '../../main/api';
import { useApp } from '../context';
import { CROSSHAIR_COLOUR, cssColour, labelColormap } from '../lib/labelColors';

export interface ViewerLayer {
  id: 'image' | 'truth' | 'prediction';
  title: string;
  ref: VolumeRef;
}

const LAYOUTS = [
  { id: 'multi', title: 'Multiplanar + 3D', slice: SLICE_TYPE.MULTIPLANAR },
  { id: 'axial', title: 'Axial', slice: SLICE_TYPE.AXIAL },
  { id: 'coronal', title: 'Coronal', slice: SLICE_TYPE.CORONAL },
  { id: 'render', title: '3D', slice: SLICE_TYPE.RENDER },
] as const;

interface LayerState {
  visible: boolean;
  opacity: number;
}

/**
 * A niivue instance on the canvas, created after the panel holding it has painted (creating the WebGL
 * context is a long task, hundreds of ms in software GL), and cleaned up with the component.
 */
function useNiivue(
  canvasRef: React.RefObject<HTMLCanvasElement | null>,
  nvRef: React.RefObject<Niivue | null>,
  onNiivue: ((nv: Niivue | null) => void) | undefined,
  setStatus: (status: string) => void,
) {
  const [ready, setReady] = useState(false);
  const onNiivueRef = useRef(onNiivue);
  onNiivueRef.current = onNiivue;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one instance for the component's life
  useEffect(() => {
    let disposed = false;
    let nv: Niivue | undefined;
    const start = () => {
      if (disposed) return;
      nv = new Niivue({
        backColor: [0.06, 0.07, 0.09, 1],
        show3Dcrosshair: true,
        multiplanarShowRender: SHOW_RENDER.ALWAYS,
        dragAndDropEnabled: false,
        isOrientCube: false,
        loadingText: '',
        crosshairColor: CROSSHAIR_COLOUR,
        crosshairWidth: 0.5,
      });
      const attached = nv;
      attached
        .attachToCanvas(canvasRef.current!)
        .then(() => {
          if (!disposed) {
            nvRef.current = attached;
            setReady(true);
            onNiivueRef.current?.(attached);
          }
        })
        .catch((e: unknown) => setStatus(`The 3D viewer needs WebGL2: ${String(e)}`));
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(start, 0);
    });
    return () => {
      disposed = true;
      cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
      if (nvRef.current) onNiivueRef.current?.(null);
      nvRef.current = null;
      nv?.cleanup();
    };
  }, []);

  return ready;
}

export function Viewer(props: {
  layers: ViewerLayer[];
  labels: LabelInfo[];
  testId?: string;
  /** Called with the niivue instance once attached, and with null when it goes (for synchronising views). */
  onNiivue?(nv: Niivue | null): void;
}) {
  const readVolume = useApp((s) => s.readVolume);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [status, setStatus] = useState<string>('Loading…');
  const [layout, setLayout] = useState<(typeof LAYOUTS)[number]['id']>('multi');
  const [layerState, setLayerState] = useState<Record<string, LayerState>>({
    truth: { visible: true, opacity: 0.55 },
    prediction: { visible: true, opacity: 0.6 },
  });
  const loadedIds = useRef<string[]>([]);
  const nvRef = useRef<Niivue | null>(null);
  const ready = useNiivue(canvasRef, nvRef, props.onNiivue, setStatus);
  const key = JSON.stringify(props.layers.map((l) => l.ref));

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload only when the referenced volumes change
  useEffect(() => {
    const nv = nvRef.current;
    if (!ready || !nv) return;
    let cancelled = false;
    setStatus('Loading…');
    (async () => {
      const images: NVImage[] = [];
      for (const layer of props.layers) {
        const data = await readVolume(layer.ref);
        const buffer = data.bytes.buffer.slice(
          data.bytes.byteOffset,
          data.bytes.byteOffset + data.bytes.byteLength,
        );
        const image = await NVImage.loadFromUrl({
          url: data.name,
          name: data.name,
          buffer: buffer as ArrayBuffer,
          colormap: 'gray',
          opacity: 1,
        });
        if (layer.id !== 'image') image.setColormapLabel(labelColormap(props.labels, layer.id));
        // niivue outlines only label volumes with the NIfTI "label" intent (1002): the prediction is
        // marked so, the ground truth not, so with both shown the truth stays filled (applyOpacity).
        if (image.hdr && layer.id !== 'image') image.hdr.intent_code = layer.id === 'prediction' ? 1002 : 0;
        images.push(image);
      }
      if (cancelled) return;
      for (const v of [...nv.volumes]) nv.removeVolume(v);
      for (const image of images) nv.addVolume(image);
      loadedIds.current = props.layers.map((l) => l.id);
      applyOpacity(nv, loadedIds.current, layerState);
      nv.setSliceType(LAYOUTS.find((l) => l.id === layout)!.slice);
      setStatus('');
    })().catch((e: unknown) => {
      if (!cancelled) setStatus(`Cannot show this volume: ${e instanceof Error ? e.message : String(e)}`);
    });
    return () => {
      cancelled = true;
    };
  }, [ready, key]);

  useEffect(() => {
    const nv = nvRef.current;
    if (nv && nv.volumes.length === loadedIds.current.length) applyOpacity(nv, loadedIds.current, layerState);
  }, [layerState]);

  useEffect(() => {
    nvRef.current?.setSliceType(LAYOUTS.find((l) => l.id === layout)!.slice);
  }, [layout]);

  const overlays = props.layers.filter((l) => l.id !== 'image');
  const legend = props.labels.filter((l) => l.value !== 0);
  return (
    <div
      className="viewer"
      data-testid={props.testId ?? 'viewer'}
      data-loaded={status === '' ? 'true' : 'false'}
    >
      <div className="viewer-toolbar">
        <div className="segmented">
          {LAYOUTS.map((l) => (
            <button
              key={l.id}
              type="button"
              className={layout === l.id ? 'active' : ''}
              onClick={() => setLayout(l.id)}
            >
              {l.title}
            </button>
          ))}
        </div>
        {overlays.map((l) => {
          const st = layerState[l.id] ?? { visible: true, opacity: 0.5 };
          return (
            <label key={l.id} className={`overlay-control overlay-${l.id}`}>
              <input
                type="checkbox"
                checked={st.visible}
                onChange={(e) =>
                  setLayerState((s) => ({ ...s, [l.id]: { ...st, visible: e.target.checked } }))
                }
              />
              <span className="swatch" />
              {l.title}
              <input
                type="range"
                min={0}
                max={1}
                step={0.05}
                value={st.opacity}
                aria-label={`${l.title} opacity`}
                onChange={(e) =>
                  setLayerState((s) => ({ ...s, [l.id]: { ...st, opacity: Number(e.target.value) } }))
                }
              />
            </label>
          );
        })}
      </div>
      {/* Which colour is which structure: the overlays' label colours, by name. */}
      {overlays.length > 0 && legend.length > 0 && (
        <div className="viewer-legend small" data-testid="viewer-legend">
          {legend.map((l) => (
            <span key={l.value} className="legend-item">
              {overlays.map((o) => (
                <span
                  key={o.id}
                  className="swatch"
                  title={o.title}
                  style={{ background: cssColour(l.value, o.id === 'prediction' ? 'prediction' : 'truth') }}
                />
              ))}
              {l.name}
            </span>
          ))}
        </div>
      )}
      <div className="viewer-canvas">
        <canvas ref={canvasRef} />
        {status && <div className="viewer-status">{status}</div>}
      </div>
    </div>
  );
}

/** The prediction's interior opacity while the ground truth is also shown: its outline stays opaque. */
const PREDICTION_OVER_TRUTH = 0.25;

function applyOpacity(nv: Niivue, ids: string[], state: Record<string, LayerState>): void {
  const shown = (id: string) => ids.includes(id) && (state[id]?.visible ?? true);
  // With both overlays on, a filled prediction would hide the ground truth under it: the prediction is
  // then drawn as an opaque outline over a faint fill, so where the two disagree both can be seen.
  const both = shown('truth') && shown('prediction');
  nv.opts.atlasOutline = both ? 1 : 0;
  ids.forEach((id, i) => {
    if (id === 'image') return;
    const st = state[id] ?? { visible: true, opacity: 0.5 };
    const opacity = st.visible ? st.opacity * (both && id === 'prediction' ? PREDICTION_OVER_TRUTH : 1) : 0;
    nv.setOpacity(i, opacity);
  });
}
