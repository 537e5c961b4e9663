// Reading the clock on every cache hit would cost more than the hit; "recently used" only needs
// tenth-of-a-second precision.
let now = Date.now()
setInterval(() => {
  now = Date.now()
}, 100).unref()

export const coarseNow = (): number => now
