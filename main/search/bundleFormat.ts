/** The bundle file's identity, shared with the renderer (which recognizes a dropped bundle by it). */
export const BUNDLE_FORMAT = 'segnas-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** A bundle is a zip; this extension tells it from a dataset. */
export const BUNDLE_EXTENSION = '.segnas';
