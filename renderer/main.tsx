/** Entry point: connect to the engine, create the store, render with an outer error boundary. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api/client';
import { App } from './components/App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { StoreContext } from './context';
import { createAppStore } from './store/appStore';
import './styles.css';

// The store is the only user of the bridge: components read state and call its actions.
const store = createAppStore(connectApi());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <StoreContext.Provider value={store}>
        <App />
      </StoreContext.Provider>
    </ErrorBoundary>
  </StrictMode>,
);
