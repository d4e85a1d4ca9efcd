/** Entry point: connect to the engine, create the store, render with an outer error boundary. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './api/client';
import { App } from './components/App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { ApiContext, StoreContext } from './context';
import { createAppStore } from './store/appStore';
import './styles.css';

const api = connectApi();
const store = createAppStore(api);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <ApiContext.Provider value={api}>
        <StoreContext.Provider value={store}>
          <App />
        </StoreContext.Provider>
      </ApiContext.Provider>
    </ErrorBoundary>
  </StrictMode>,
);
