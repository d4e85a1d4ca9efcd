/** The app's version, from package.json: what experiments record and the UI and `segnas` show. */
import pkg from '../../package.json';

export const APP_VERSION: string = pkg.version;
