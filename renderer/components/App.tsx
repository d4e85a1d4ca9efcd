/** The window: navigation by step, the current screen, the status bar, notices. */
import { useEffect } from 'react';
import { useApp } from '../context';
import type { View } from '../store/appStore';
import { ApplyPage } from './ApplyPage';
import { useBundleDrop } from './BundleImport';
import { DatasetPanel } from './DatasetPanel';
import { ErrorBoundary } from './ErrorBoundary';
import { ExperimentsList } from './ExperimentsList';
import { Notices } from './Notices';
import { SearchSetup } from './SearchSetup';
import { SearchView } from './SearchView';
import { StatusBar } from './StatusBar';

const NAV: { id: View; title: string; step?: number }[] = [
  { id: 'data', title: 'Data', step: 1 },
  { id: 'setup', title: 'Search setup', step: 2 },
  { id: 'search', title: 'Search', step: 3 },
  { id: 'experiments', title: 'Experiments' },
  { id: 'apply', title: 'Apply' },
];

export function App() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const init = useApp((s) => s.init);
  const dataset = useApp((s) => s.dataset);
  const info = useApp((s) => s.info);
  useEffect(() => {
    void init();
  }, [init]);
  useBundleDrop();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo">◆</span> SegNAS <span className="muted">Studio</span>
        </div>
        <nav>
          {NAV.map((n) => (
            <button
              type="button"
              key={n.id}
              className={view === n.id ? 'active' : ''}
              data-testid={`nav-${n.id}`}
              onClick={() => setView(n.id)}
            >
              {n.step && <span className="step">{n.step}</span>}
              {n.title}
            </button>
          ))}
        </nav>
        <div className="topbar-right muted small">
          <span data-testid="header-dataset">{dataset ? dataset.name : 'no dataset'}</span> ·{' '}
          {info?.host === 'electron' ? 'desktop' : 'web'} v{info?.version ?? ''}
          {info && (
            <div className="mono" data-testid="header-workspace" title="Where experiments are stored">
              workspace: {info.workspace}
            </div>
          )}
        </div>
      </header>
      <main className="content">
        <ErrorBoundary area={NAV.find((n) => n.id === view)?.title} key={view}>
          {view === 'data' && <DatasetPanel />}
          {view === 'setup' && <SearchSetup />}
          {view === 'search' && <SearchView />}
          {view === 'experiments' && <ExperimentsList />}
          {view === 'apply' && <ApplyPage />}
        </ErrorBoundary>
      </main>
      <StatusBar />
      <Notices />
    </div>
  );
}
