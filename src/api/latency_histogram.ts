/**
 * Latency figures of one kind (flow acknowledgement, flow result, ping
 * round trip) in a fixed-size histogram: recording a sample is a bucket
 * increment, whatever the rate, and the summary (count, sum, p50, p90,
 * p99, max) is computed when `stats()` is read. One histogram covers the
 * client's life, six rotating 10 s slots the last minute.
 *
 * Buckets are log-linear on 1/1024 ms units: exact below 1/16 ms, then 32
 * buckets per doubling, so a percentile is reported at most 1/32 (3.1 %)
 * below the sample it stands for, and exactly for every whole number of
 * milliseconds below 64 ms (the mock's virtual clock gives such values).
 * `max`, `count` and `sum` are exact.
 *
 * @example
 * ```ts
 * import { LatencyStat } from "@smartbus/netclient/internal";
 * const acks = new LatencyStat();
 * acks.record(12, 1000);
 * acks.record(30, 1500);
 * console.log(LatencyStat.summarize([acks], 2000).lifetime); // { count: 2, sum: 42, p50: 12, p90: 30, p99: 30, max: 30 }
 * ```
 * @module
 */

/**
 * One latency summary, in milliseconds on the unit's clock; the
 * percentiles and `max` are `null` when there is no sample.
 *
 * @example
 * ```ts
 * import type { LatencySummary } from "@smartbus/netclient";
 * const show = (s: LatencySummary) => s.count === 0 ? "no sample" : `p99 ${s.p99} ms of ${s.count}`;
 * ```
 */
export interface LatencySummary {
  /** How many samples. */
  count: number;
  /** Their total, ms (with `count`: the mean, or a Prometheus summary's `_sum`). */
  sum: number;
  /** Median, ms (nearest rank; at most 3.1 % low, exact for whole ms below 64). */
  p50: number | null;
  /** 90th percentile, ms (same precision). */
  p90: number | null;
  /** 99th percentile, ms (same precision). */
  p99: number | null;
  /** Largest sample, ms (exact). */
  max: number | null;
}

/**
 * One kind of latency over the client's life and over the recent window
 * ({@link RECENT_WINDOW_MS}).
 *
 * @example
 * ```ts
 * import type { LatencyWindows } from "@smartbus/netclient";
 * const slowerNow = (w: LatencyWindows) => (w.recent.p90 ?? 0) > (w.lifetime.p90 ?? 0);
 * ```
 */
export interface LatencyWindows {
  /** Every sample since the client (or the unit) was created. */
  lifetime: LatencySummary;
  /** The samples of the last 60 s, in 10 s steps (between 50 and 60 s of them). */
  recent: LatencySummary;
}

/**
 * The recent window of {@link LatencyWindows.recent}: 60 s, made of six 10 s
 * slots of the unit's clock; it covers the current slot and the five
 * before it.
 *
 * @example
 * ```ts
 * import { RECENT_WINDOW_MS } from "@smartbus/netclient";
 * console.log(`recent figures cover the last ${RECENT_WINDOW_MS / 1000} s`);
 * ```
 */
export const RECENT_WINDOW_MS = 60_000;
const SLOT_MS = 10_000;
const SLOTS = RECENT_WINDOW_MS / SLOT_MS;

const UNITS_PER_MS = 1024;
/** Buckets per doubling (sub-bucket bits: 5). */
const HALF = 32;
/** Below this many units every unit has its own bucket. */
const LINEAR = 2 * HALF;
const LINEAR_BITS = 6;
/** Doublings above the linear part: up to 2^36 units (about 18.6 h). */
const OCTAVES = 30;
/** Number of buckets. */
export const LATENCY_BUCKETS: number = LINEAR + OCTAVES * HALF;

/** The bucket of a latency of `units` (1/1024 ms, a non-negative integer). */
function bucketOf(units: number): number {
  if (units < LINEAR) return units;
  const e = units < 0x80000000
    ? 31 - Math.clz32(units)
    : Math.floor(Math.log2(units));
  if (e >= LINEAR_BITS + OCTAVES) return LATENCY_BUCKETS - 1;
  const sub = Math.floor(units / 2 ** (e - 5)) - HALF;
  return LINEAR + (e - LINEAR_BITS) * HALF + sub;
}

/** The lowest latency, ms, that falls in bucket `i`. */
function lowerEdgeMs(i: number): number {
  if (i < LINEAR) return i / UNITS_PER_MS;
  const k = i - LINEAR;
  const e = LINEAR_BITS + Math.floor(k / HALF);
  return ((HALF + (k % HALF)) * 2 ** (e - 5)) / UNITS_PER_MS;
}

interface Slot {
  /** Which 10 s of the clock it holds (`floor(now / SLOT_MS)`). */
  epoch: number;
  counts: Uint32Array;
  count: number;
  sum: number;
  max: number;
}

/**
 * The samples of one latency kind; arrays are allocated on the first
 * sample (8 KiB for the lifetime, 4 KiB per 10 s slot in use, six at most).
 */
export class LatencyStat {
  #counts: Float64Array | undefined;
  #count = 0;
  #sum = 0;
  #max = 0;
  #slots: (Slot | undefined)[] = new Array(SLOTS).fill(undefined);
  /** The slot samples went to last: most samples hit it again. */
  #current: Slot | undefined;

  /** How many samples so far. */
  get count(): number {
    return this.#count;
  }

  /** Add a latency of `ms` taken at `now` (both on the unit's clock). */
  record(ms: number, now: number): void {
    const v = ms > 0 ? ms : 0;
    const b = bucketOf(Math.floor(v * UNITS_PER_MS));
    (this.#counts ??= new Float64Array(LATENCY_BUCKETS))[b]++;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    const epoch = Math.floor(now / SLOT_MS);
    let slot = this.#current;
    if (!slot || slot.epoch !== epoch) slot = this.#current = this.#slot(epoch);
    slot.counts[b]++;
    slot.count++;
    slot.sum += v;
    if (v > slot.max) slot.max = v;
  }

  /** Add every sample of `other` (a closing client's, into its unit's). */
  absorb(other: LatencyStat): void {
    if (!other.#counts) return;
    const mine = this.#counts ??= new Float64Array(LATENCY_BUCKETS);
    const theirs = other.#counts;
    for (let i = 0; i < LATENCY_BUCKETS; i++) mine[i] += theirs[i];
    this.#count += other.#count;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
    for (const s of other.#slots) {
      if (!s) continue;
      const into = this.#slot(s.epoch, true);
      if (!into) continue;
      for (let i = 0; i < LATENCY_BUCKETS; i++) into.counts[i] += s.counts[i];
      into.count += s.count;
      into.sum += s.sum;
      if (s.max > into.max) into.max = s.max;
    }
  }

  /**
   * The slot of `epoch`, cleared when it held an older one; with `onlyNewer`,
   * `undefined` when it holds a later one (absorbing an old slot).
   */
  #slot(epoch: number, onlyNewer: true): Slot | undefined;
  #slot(epoch: number): Slot;
  #slot(epoch: number, onlyNewer = false): Slot | undefined {
    const i = ((epoch % SLOTS) + SLOTS) % SLOTS;
    let s = this.#slots[i];
    if (!s) {
      s = {
        epoch,
        counts: new Uint32Array(LATENCY_BUCKETS),
        count: 0,
        sum: 0,
        max: 0,
      };
      this.#slots[i] = s;
    } else if (s.epoch !== epoch) {
      if (onlyNewer && s.epoch > epoch) return undefined;
      s.epoch = epoch;
      s.counts.fill(0);
      s.count = 0;
      s.sum = 0;
      s.max = 0;
    }
    return s;
  }

  /**
   * The summaries of the samples of every stat in `stats` together, over
   * their life and over the window that ends at `now`.
   */
  static summarize(stats: readonly LatencyStat[], now: number): LatencyWindows {
    const life = new Float64Array(LATENCY_BUCKETS);
    const recent = new Float64Array(LATENCY_BUCKETS);
    let lifeCount = 0, lifeSum = 0, lifeMax = 0;
    let recentCount = 0, recentSum = 0, recentMax = 0;
    const current = Math.floor(now / SLOT_MS);
    for (const st of stats) {
      if (!st.#counts) continue;
      const c = st.#counts;
      for (let i = 0; i < LATENCY_BUCKETS; i++) life[i] += c[i];
      lifeCount += st.#count;
      lifeSum += st.#sum;
      if (st.#max > lifeMax) lifeMax = st.#max;
      for (const s of st.#slots) {
        if (!s || s.epoch > current || s.epoch <= current - SLOTS) continue;
        for (let i = 0; i < LATENCY_BUCKETS; i++) recent[i] += s.counts[i];
        recentCount += s.count;
        recentSum += s.sum;
        if (s.max > recentMax) recentMax = s.max;
      }
    }
    return {
      lifetime: summary(life, lifeCount, lifeSum, lifeMax),
      recent: summary(recent, recentCount, recentSum, recentMax),
    };
  }
}

function summary(
  counts: Float64Array,
  count: number,
  sum: number,
  max: number,
): LatencySummary {
  if (count === 0) {
    return { count: 0, sum: 0, p50: null, p90: null, p99: null, max: null };
  }
  // Nearest rank: the smallest sample with at least q·count samples at or below it.
  const ranks = [0.5, 0.9, 0.99].map((q) => Math.max(1, Math.ceil(q * count)));
  const at: number[] = [];
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS && at.length < ranks.length; i++) {
    seen += counts[i];
    while (at.length < ranks.length && seen >= ranks[at.length]) {
      at.push(Math.min(lowerEdgeMs(i), max));
    }
  }
  return { count, sum, p50: at[0], p90: at[1], p99: at[2], max };
}
