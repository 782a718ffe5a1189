// cdk.json's app: bundles infra/src/app.ts (dependencies stay in node_modules) and runs it.
import { buildCdkApp } from './build.mjs';

const outfile = await buildCdkApp();
await import(outfile);
