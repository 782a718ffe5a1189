// Cold init of each Lambda bundle (as `npm run build` makes it, the way the CDK app bundles it):
// a fresh node process loads the bundle, which builds its handler from the environment as Lambda
// does at init. Baseline: a fresh node process that loads nothing, measured in the same run.
import { spawnSync } from 'node:child_process';
import { LAMBDAS, lambdaBundlePath } from './build.mjs';

const RUNS = 15;
const ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'bench',
  KEYLEDGER_EVENTS_TABLE: 'bench-Events',
  KEYLEDGER_SNAPSHOTS_TABLE: 'bench-Snapshots',
  KEYLEDGER_KEY_MATERIAL_TABLE: 'bench-KeyMaterial',
  KEYLEDGER_SECRETS_TABLE: 'bench-Secrets',
  KEYLEDGER_AUDIT_LOG_TABLE: 'bench-AuditLog',
  KEYLEDGER_REQUEST_CONTROLS_TABLE: 'bench-RequestControls',
  KEYLEDGER_ENVIRONMENT_NAME: 'bench',
  KEYLEDGER_EVENT_BUS_NAME: 'keyledger-bench',
  KEYLEDGER_ROOT_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds from spawn to exit, and the load time the process measured itself. */
function run(bundle) {
  const script = bundle
    ? `const t=process.hrtime.bigint();const m=require(${JSON.stringify(bundle)});if(!Object.values(m).some((v)=>typeof v==='function'))process.exit(2);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`
    : `process.stdout.write('0')`;
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['-e', script], { env: ENVIRONMENT, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`Loading ${bundle ?? 'nothing'} failed (${child.status}): ${child.stderr}`);
  return { wall, load: Number(child.stdout) };
}

export function measureColdInit() {
  const rows = [];
  const baseline = median(Array.from({ length: RUNS }, () => run(undefined).wall));
  for (const name of Object.keys(LAMBDAS.functions)) {
    const runs = Array.from({ length: RUNS }, () => run(lambdaBundlePath(name)));
    const wall = median(runs.map((r) => r.wall));
    rows.push({ name, load: median(runs.map((r) => r.load)), wall, ratio: wall / baseline });
  }
  return { baseline, rows };
}

export function printColdInit({ baseline, rows }) {
  console.log(`\nLambda cold init (fresh node process per run, median of ${RUNS}; baseline: node with nothing loaded ${baseline.toFixed(1)} ms)`);
  console.log('| function             | load + handler set-up (ms) | process total (ms) | total / baseline |');
  console.log('| -------------------- | -------------------------: | -----------------: | ---------------: |');
  for (const row of rows) {
    console.log(`| ${row.name.padEnd(20)} | ${row.load.toFixed(1).padStart(26)} | ${row.wall.toFixed(1).padStart(18)} | ${`${row.ratio.toFixed(2)}x`.padStart(16)} |`);
  }
}
