/** Public surface of the data engine: NIfTI I/O, dataset discovery, preprocessing, splits, phantoms. */
export * from './caseValidation';
export * from './discover';
export * from './exportPrediction';
export * from './labels';
export * from './niftiRead';
export * from './niftiWrite';
export * from './phantom';
export * from './preprocess';
export * from './preprocessDataset';
export * from './problems';
export * from './splits';
export * from './volume';
