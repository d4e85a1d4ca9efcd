#!/usr/bin/env node
// The `segnas` command: loads the TypeScript CLI through tsx so that a checkout runs without a build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
