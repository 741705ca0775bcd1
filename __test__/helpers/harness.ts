import type { ExecutionContext } from 'ava'

import type { ConcurrentTestResult } from '../../harness/index.ts'
import { ConcurrentTestResultSchema } from '../../harness/index.ts'

/** Checks the invariants every result must satisfy. */
export function assertConsistent(t: ExecutionContext, r: ConcurrentTestResult): void {
  t.is(
    r.totalRequests,
    r.successfulRequests + r.failedRequests + r.timeoutRequests,
    'total = successful + failed + timed out',
  )
  const errors = Object.values(r.errorsByCode).reduce((a, b) => a + b, 0)
  t.is(errors, r.failedRequests + r.timeoutRequests, 'errorsByCode sums to failed + timed out')
  t.is(r.responseTime.count, r.successfulRequests, 'one response time per success')
  t.is(r.serviceTime.count, r.successfulRequests, 'one service time per success')
  t.is(r.failedResponseTime.count, r.failedRequests + r.timeoutRequests, 'failures recorded apart')
  const classTotal = Object.values(r.classes).reduce((a, c) => a + c.count, 0)
  t.is(classTotal, r.totalRequests, 'classes add up')
  for (const c of Object.values(r.classes)) t.is(c.count, c.successful + c.failed + c.timedOut)
  if (r.loadModel === 'closed') {
    t.is(r.threadPerformance.length, r.concurrentUsers, 'every user is reported')
    t.is(
      r.threadPerformance.reduce((a, u) => a + u.requests, 0),
      r.totalRequests,
      'users add up',
    )
    t.is(
      r.threadPerformance.reduce((a, u) => a + u.requestsCompleted, 0),
      r.successfulRequests,
    )
  }
  t.true(r.connectionPoolUsage.peakUsage <= r.connectionPoolUsage.poolSize)
  t.true(r.connectionPoolUsage.averageUsage <= r.connectionPoolUsage.peakUsage + 1e-9)
  t.true(r.resourceContentionScore >= 0 && r.resourceContentionScore <= 100)
  const parsed = ConcurrentTestResultSchema.safeParse(JSON.parse(JSON.stringify(r)))
  t.true(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3)))
}
