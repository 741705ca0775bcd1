/**
 * The thresholds of the verdict, defined once. The analysis computes with them, the sweep stops
 * and refines by them, and the renderers (terminal, HTML, compare) and the CLI quote them from
 * here instead of restating the numbers. Shares are fractions (0.05 = 5 %).
 */

// --- SLO ---------------------------------------------------------------------------------------

/** Error budget when the SLO names none: the share of requests that may fail or time out. */
export const DEFAULT_ERROR_BUDGET = 0.01

// --- optimum, breaking point, linear range -----------------------------------------------------

/**
 * The optimum is the smallest level that meets the SLO with throughput within this share of the
 * best throughput among the levels that meet it: past it, more users add only latency.
 */
export const OPTIMAL_THROUGHPUT_TOLERANCE = 0.05

/**
 * A level breaks when its throughput falls more than this share below the best so far. Not less:
 * on a busy machine two levels past saturation differ by a few percent by chance, and one noisy
 * level must not end a sweep.
 */
export const BREAKING_THROUGHPUT_DROP = 0.1

/** Scaling efficiency (relative to the smallest level) at or above which a level scales linearly. */
export const LINEAR_EFFICIENCY = 0.9

/** Scaling efficiency below which a level has lost most of its per-user throughput (shown red). */
export const LOW_EFFICIENCY = 0.5

// --- recommendation ----------------------------------------------------------------------------

/** CPU time per request that grew by more than this factor from the smallest level: the work grows with users. */
export const CPU_PER_REQUEST_GROWTH = 1.5

/** USL σ above which a serialised section (a global lock, the event loop) is worth shortening. */
export const SERIALISED_SHARE = 0.3

// --- USL fit -----------------------------------------------------------------------------------

/** R² below which the USL fits poorly (noisy throughput, or a limit the model does not describe). */
export const USL_MIN_R_SQUARED = 0.8

/** Share of the fitted peak N* the sweep must reach for the peak to be measured, not extrapolated. */
export const USL_KNEE_REACHED = 0.8

// --- sweep -------------------------------------------------------------------------------------

/** Refinement between two open-model rates stops when they are within this share of each other. */
export const REFINE_RATE_RESOLUTION = 0.05

/** A cool-down longer than this (ms) is reported: timed-out work took that long to drain. */
export const SLOW_COOL_DOWN_MS = 1000

// --- compare -----------------------------------------------------------------------------------

/** Relative throughput drop or p99 rise between two reports that counts as a regression. */
export const DEFAULT_REGRESSION = 0.1

/** Rise of the error rate (absolute: 0.001 = 0.1 percentage points) that counts as a regression. */
export const DEFAULT_ERROR_RATE_RISE = 0.001

// --- bottleneck and the generator's own load ------------------------------------------------------

/** Event-loop utilisation from which the JS thread itself is the bottleneck. */
export const EVENT_LOOP_BUSY = 0.9

/** Busy share of all cores (percent) from which the machine's CPU is the bottleneck. */
export const MACHINE_BUSY_PERCENT = 90

/** Share of response time a waiting part (pool, native queue, event loop) must hold to be named the bottleneck. */
export const WAIT_SHARE = 0.25

/** Growth of the target's own time over the lightest level that marks the target itself as the bottleneck. */
export const TARGET_GROWTH = 2

/** Busy share of one core above which the load generator's JS thread is reported as a limit on the figures. */
export const GENERATOR_BUSY = 0.7

/** Share of the machine (percent) other processes may take before the report warns that they competed. */
export const OTHER_PROCESSES_BUSY_PERCENT = 10

// --- saturation and the default objective --------------------------------------------------------

/** Levels whose throughput is within this share of the sweep's peak are on its plateau (noise between runs). */
export const SATURATION_THROUGHPUT_TOLERANCE = 0.1

/** A plateau is saturation once p50 at its most loaded level is at least this many times p50 at its first. */
export const SATURATION_LATENCY_GROWTH = 1.5

/**
 * Without `--slo`, the objective is p99 ≤ this many times the p99 measured at the lightest level:
 * a user notices a fivefold slowdown, and a fast engine's sub-millisecond p99 still gets room.
 */
export const DEFAULT_OBJECTIVE_P99_FACTOR = 5

/** A call still running this share of a level's measured duration after it started counts as hung. */
export const HANG_SHARE_OF_LEVEL = 0.5

// --- recall, memory, GC (per level; see docs/metrics.md) -------------------------------------------

/** Drop of mean recall@k under load below the idle recall of the same target that is a finding. */
export const RECALL_DROP_THRESHOLD = 0.01

/** A level's RSS "keeps growing" when a line fits its samples this well (R²) ... */
export const RSS_GROWTH_MIN_R2 = 0.8

/** ... and the fitted growth over the window is at least this many MB. */
export const RSS_GROWTH_MIN_MB = 16

/** Share of a level's wall time spent in GC pauses that is a finding. */
export const GC_TIME_SHARE = 0.05
