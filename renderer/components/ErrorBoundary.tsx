/** A rendering error shows what happened and how to recover, never a blank window. */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error?: Error;
}

export class ErrorBoundary extends Component<{ children: ReactNode; area?: string }, State> {
  override state: State = {};

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`SegNAS UI error in ${this.props.area ?? 'the app'}:`, error, info.componentStack);
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error-screen" role="alert" data-testid="error-boundary">
        <h2>Something went wrong {this.props.area ? `in ${this.props.area}` : ''}</h2>
        <p className="mono">{this.state.error.message}</p>
        <p className="muted">Your experiments are safe: the engine keeps running and records everything.</p>
        <div className="row">
          <button type="button" className="primary" onClick={() => this.setState({ error: undefined })}>
            Try again
          </button>
          <button type="button" onClick={() => window.location.reload()}>
            Reload the window
          </button>
        </div>
      </div>
    );
  }
}
