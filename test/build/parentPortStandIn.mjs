// Runs the built Electron engine host under plain Node the way Electron's utilityProcess runs it:
// `process.parentPort` is a port whose 'message' events carry `{ data }` and whose postMessage reaches
// the parent, and process.argv is [execPath, module, ...args]. Here the parent is the test, over the IPC
// channel of child_process.fork. Imports nothing but Node's own modules.
// usage (forked): parentPortStandIn.mjs <dist-engine/engineHost.mjs> <workspace>
import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
const port = new EventEmitter();
process.parentPort = {
  on(event, listener) {
    port.on(event, listener);
    return this;
  },
  postMessage: (message) => process.send(message),
};
process.on('message', (data) => port.emit('message', { data }));
process.on('disconnect', () => process.exit(0));
process.argv = [process.argv[0], entry, ...args];
await import(pathToFileURL(entry).href);
