/** From one level's `ConcurrentTestResult` to what the scalability analysis needs. */
import type { LevelMeasurement } from '../analysis/scalability.ts'
import { getLoadModel } from '../load/models.ts'
import type { AnyLoadModel } from '../load/models.ts'
import type { ConcurrentTestResult } from '../types.ts'

/**
 * Concurrency: the model's (`LoadModel.analysisConcurrency`): users in the closed model; in the
 * open model the measured mean number of requests in the system (Little's L), since there the
 * rate, not the concurrency, is set.
 * CPU: the whole process's CPU time (main thread, libuv workers, engine threads, GC) over the
 * window, as a share of every core.
 */
export function levelMeasurement(result: ConcurrentTestResult, cores: number): LevelMeasurement {
  const windowMs = Math.max(result.window.durationMs, 1e-9)
  const failures = result.failedRequests + result.timeoutRequests
  const pool = result.connectionPoolUsage
  const model = getLoadModel(result.loadModel) as AnyLoadModel
  const concurrency = model.analysisConcurrency(result.concurrentUsers, result.littlesLaw)
  return {
    concurrency,
    throughput: result.successfulRequestsPerSecond,
    p50Ms: result.responseTime.p50,
    p99Ms: result.responseTime.p99,
    errorRate: result.totalRequests > 0 ? failures / result.totalRequests : 0,
    poolWaitMeanMs: result.poolWait.mean,
    serviceMeanMs: result.serviceTime.mean,
    poolSaturated: pool.peakUsage >= pool.poolSize && pool.peakQueueLength > 0,
    cpuUtilization: cores > 0 ? Math.min(1, result.processCpuMs / (windowMs * cores)) : null,
    cpuMsPerRequest: result.successfulRequests > 0 ? result.processCpuMs / result.successfulRequests : null,
    deadlockDetected: result.deadlockDetected,
    responseMeanMs: result.responseTime.mean,
    startFailureRate: startFailureRate(result),
    hungCalls: result.inFlightAfterTimeout.peak,
    contention: result.resourceContentionScore,
    bottleneck: result.bottleneck,
  }
}

/**
 * Open model: the share of scheduled starts that were dropped (`maxInFlight` requests were
 * already in flight): offered load the system did not take, which counts against the
 * objective like an error. Late starts are not added here: their lateness is already inside
 * their response time (measured from the schedule), and the 2 ms lateness mark catches timer
 * jitter on a busy machine; they are reported as warnings with the largest lag.
 */
export function startFailureRate(result: ConcurrentTestResult): number {
  const scheduled = result.totalRequests + result.droppedStarts
  return scheduled > 0 ? result.droppedStarts / scheduled : 0
}
