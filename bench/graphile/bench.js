// graphile-worker with no-op jobs, measured the way bench/queue_bench.cpp --section noop measures
// the hundeschule transfer engine (see docs/benchmarks.md "PostgreSQL and several processes"):
//
//   jobs/s           JOBS jobs queued in one transaction while no worker runs; then the runner
//                    starts at CONCURRENCY; JOBS / (last job done - first job started)
//   insert-to-start  RATE jobs/s added one per call (one transaction each) while the runner waits;
//                    from just before the add call to the first line of the task function, both
//                    on this process's monotonic clock (performance.now()); the runner learns of
//                    the job through LISTEN/NOTIFY, as the engine does
//
// Usage: DATABASE_URL=postgresql://... node bench.js [--jobs N] [--concurrency C] [--rate R]
//        [--rounds N]. Prints per-round figures and one "RESULT graphile ..." line (medians).
"use strict";
const { performance } = require("perf_hooks");
const { run, makeWorkerUtils } = require("graphile-worker");
const { Pool } = require("pg");

function arg(name, fallback) {
  const i = process.argv.indexOf("--" + name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const jobs = arg("jobs", 2000);
const concurrency = arg("concurrency", 8);
const rate = arg("rate", 200);
const rounds = arg("rounds", 3);
const latencyJobs = Math.max(100, Math.min(jobs, rate * 10));
const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("bench.js: DATABASE_URL is not set");
  process.exit(2);
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.round(p * (v.length - 1)))];
}
const median = (v) => percentile(v, 0.5);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// Quiet logger: graphile-worker logs every job at info level.
const { Logger } = require("graphile-worker");
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[graphile ${level}] ${message}`);
});

async function runner(taskStarted) {
  return run({
    connectionString,
    concurrency,
    maxPoolSize: concurrency + 4,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    taskList: {
      noop: async (payload) => {
        taskStarted(payload.i, performance.now());
      },
    },
  });
}

function waitDone(r, n) {
  return new Promise((resolve) => {
    let done = 0;
    r.events.on("job:success", () => {
      if (++done === n) resolve(performance.now());
    });
  });
}

async function main() {
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  const pool = new Pool({ connectionString, max: 2 });
  const p50s = [];
  const p99s = [];
  const rates = [];
  for (let round = 1; round <= rounds; round++) {
    // Throughput: all jobs in one transaction, no worker running yet.
    await pool.query("VACUUM ANALYZE graphile_worker._private_jobs");
    await pool.query(
      "SELECT graphile_worker.add_job('noop', json_build_object('i', g)) FROM generate_series(0, $1 - 1) g",
      [jobs],
    );
    let first = Infinity;
    let r = await runner((_, t) => {
      if (t < first) first = t;
    });
    const last = await waitDone(r, jobs);
    await r.stop();
    const jps = jobs / ((last - first) / 1000);

    // Latency: one add per call at a fixed rate while the runner waits.
    await pool.query("VACUUM ANALYZE graphile_worker._private_jobs");
    const inserted = new Array(latencyJobs);
    const started = new Array(latencyJobs);
    r = await runner((i, t) => {
      started[i] = t;
    });
    const done = waitDone(r, latencyJobs);
    await sleep(200);
    const spacing = 1000 / rate;
    const l0 = performance.now();
    for (let i = 0; i < latencyJobs; i++) {
      await sleep(l0 + i * spacing - performance.now());
      inserted[i] = performance.now();
      await utils.addJob("noop", { i });
    }
    await done;
    await r.stop();
    const lat = inserted.map((t, i) => started[i] - t);
    p50s.push(percentile(lat, 0.5));
    p99s.push(percentile(lat, 0.99));
    rates.push(jps);
    console.log(
      `  round ${round}: ${jobs} jobs at concurrency ${concurrency}: ${jps.toFixed(0)} jobs/s; ` +
        `${latencyJobs} jobs added at ${rate}/s: insert-to-start p50 ${p50s.at(-1).toFixed(2)} ms ` +
        `p99 ${p99s.at(-1).toFixed(2)} ms`,
    );
  }
  await pool.end();
  await utils.release();
  console.log(
    `RESULT graphile jobs=${jobs} concurrency=${concurrency} rate=${rate} ` +
      `p50_ms=${median(p50s).toFixed(2)} p99_ms=${median(p99s).toFixed(2)} ` +
      `jobs_per_s=${median(rates).toFixed(1)}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
