package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"
)

// inParallel calls do(i) for i = 1..n with concurrency calls in flight (at
// least one), taking the next i until none is left, ctx ends or, when
// deadline is not zero, deadline passes. It returns when every call has.
func inParallel(ctx context.Context, n, concurrency int, deadline time.Time, do func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				do(int(i))
			}
		})
	}
	wg.Wait()
}

// keepFailure counts a failure in failed and keeps err among the first few
// in errs.
func keepFailure(failed *int, errs *[]error, err error) {
	*failed++
	if len(*errs) < 5 {
		*errs = append(*errs, err)
	}
}

// randomTag is eight random hex digits, for names unique to one run.
func randomTag() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
