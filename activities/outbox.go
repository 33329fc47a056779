package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/workflows"
)

// The notification outbox (issue 19). On the workflow's lean path a change's
// notifications ride in workflows.ProjectInput.Notifications; Project writes
// them to the outbox in the projection's transaction, and the
// OutboxDispatcher of each worker delivers them through the Notifier chain
// with the rules the Notify activity had (workflows' notifyOptions): at
// least once, a try bounded like the activity's, retried after 5 s doubling
// to 5 min, given up an hour after it was written. No activity round trip
// and no history events per notification.

// Outbox delivery rules.
const (
	OutboxFirstRetry  = 5 * time.Second  // wait after the first failed try
	OutboxMaxRetry    = 5 * time.Minute  // longest wait between tries
	OutboxGiveUpAfter = time.Hour        // no try starts later than this after the write
	OutboxTryTimeout  = 30 * time.Second // one try, as the activity's StartToClose
	// OutboxLease is how long a claimed row belongs to its dispatcher: a
	// worker that dies mid-try leaves it to the others after this. It
	// outlasts a try, so a live worker's row is never taken from it.
	OutboxLease = time.Minute
)

// OutboxBackoff is the wait after the attempts-th failed try: 5 s, 10 s,
// 20 s, … at most 5 min.
func OutboxBackoff(attempts int) time.Duration {
	d := OutboxFirstRetry
	for i := 1; i < attempts && d < OutboxMaxRetry; i++ {
		d *= 2
	}
	return min(d, OutboxMaxRetry)
}

// outboxItems turns a projection's notifications into outbox rows keyed by
// (case, seq, recipient). Two of one entry to the same recipient (not made
// today) keep apart by a suffix, the same on every retry of the input.
func outboxItems(in workflows.ProjectInput) ([]store.OutboxItem, error) {
	if len(in.Notifications) == 0 {
		return nil, nil
	}
	items := make([]store.OutboxItem, 0, len(in.Notifications))
	seen := map[string]int{}
	for _, n := range in.Notifications {
		if n.CaseID == "" {
			n.CaseID = in.Case.ID
		}
		recipient := ""
		if kind, id, ok := recipientOf(n); ok {
			recipient = kind + ":" + id
		}
		k := strconv.FormatInt(n.Seq, 10) + "/" + recipient
		if seen[k]++; seen[k] > 1 {
			recipient += "#" + strconv.Itoa(seen[k])
		}
		b, err := json.Marshal(n)
		if err != nil {
			return nil, fmt.Errorf("encode notification %s: %w", IdempotencyKey(n), err)
		}
		items = append(items, store.OutboxItem{CaseID: n.CaseID, Seq: n.Seq, Recipient: recipient, Payload: string(b)})
	}
	return items, nil
}

// OutboxDispatcher delivers the notification outbox. Several workers may
// run one each on the same database: a row is leased to one at a time.
type OutboxDispatcher struct {
	Store *store.Store
	// Notifier delivers each notification (the worker's Channels chain);
	// nil logs them.
	Notifier Notifier
	Logger   *slog.Logger
	// Metrics may be nil.
	Metrics *OutboxMetrics
	// Concurrency bounds the tries under way (default 8); Poll is how
	// often the outbox is looked at without a nudge (default 1 s).
	Concurrency int
	Poll        time.Duration
	// Now defaults to time.Now; tests move it.
	Now func() time.Time

	once  sync.Once
	nudge chan struct{}
}

func (d *OutboxDispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *OutboxDispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func (d *OutboxDispatcher) notifier() Notifier {
	if d.Notifier != nil {
		return d.Notifier
	}
	return LogNotifier{Logger: d.logger()}
}

func (d *OutboxDispatcher) nudges() chan struct{} {
	d.once.Do(func() { d.nudge = make(chan struct{}, 1) })
	return d.nudge
}

// Nudge tells Run that rows were written (a projection in this process),
// so it looks now rather than at its next poll. It never blocks; a nil
// dispatcher ignores it.
func (d *OutboxDispatcher) Nudge() {
	if d == nil {
		return
	}
	select {
	case d.nudges() <- struct{}{}:
	default:
	}
}

// housekeeping intervals of Run.
const (
	outboxGaugeEvery = 5 * time.Second
	outboxCleanEvery = 10 * time.Minute
)

// Run delivers the outbox until ctx ends: it claims as many due rows as it
// has free tries, delivers them concurrently, and when nothing is due waits
// for a nudge or the next poll. It also keeps the backlog gauge and removes
// finished rows. A try under way when ctx ends is left to its lease.
func (d *OutboxDispatcher) Run(ctx context.Context) {
	conc := d.Concurrency
	if conc <= 0 {
		conc = 8
	}
	poll := d.Poll
	if poll <= 0 {
		poll = time.Second
	}
	slots := make(chan struct{}, conc)
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var gaugeAt, cleanAt time.Time
	for {
		want, got := conc-len(slots), 0
		if want > 0 {
			rows, err := d.Store.ClaimOutbox(ctx, d.now(), OutboxLease, want)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				d.logger().ErrorContext(ctx, "notification outbox claim failed", "error", err)
			}
			got = len(rows)
			for _, r := range rows {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() {
						<-slots
						wg.Done()
						select {
						case freed <- struct{}{}:
						default:
						}
					}()
					d.deliver(ctx, r)
				}()
			}
		}
		if now := time.Now(); now.Sub(gaugeAt) >= outboxGaugeEvery {
			gaugeAt = now
			d.updateBacklog(ctx)
		}
		if now := time.Now(); now.Sub(cleanAt) >= outboxCleanEvery {
			cleanAt = now
			if _, err := d.Store.CleanOutbox(ctx, d.now()); err != nil && ctx.Err() == nil {
				d.logger().ErrorContext(ctx, "notification outbox clean-up failed", "error", err)
			}
		}
		if want > 0 && got == want {
			continue // a full claim: more may be due
		}
		var slotFreed chan struct{}
		if want == 0 {
			slotFreed = freed // every try slot busy: wait for one
		}
		select {
		case <-ctx.Done():
			return
		case <-d.nudges():
		case <-tick.C:
		case <-slotFreed:
		}
	}
}

// DispatchOnce claims up to limit due rows, delivers them (Concurrency at a
// time) and returns how many it claimed once every try has been recorded.
// Run is the loop; this is its single step, for tools and tests.
func (d *OutboxDispatcher) DispatchOnce(ctx context.Context, limit int) (int, error) {
	rows, err := d.Store.ClaimOutbox(ctx, d.now(), OutboxLease, limit)
	if err != nil {
		return 0, err
	}
	conc := d.Concurrency
	if conc <= 0 {
		conc = 8
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, r := range rows {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.deliver(ctx, r)
		}()
	}
	wg.Wait()
	return len(rows), nil
}

// deliver tries r once and records the outcome: done, due again after
// OutboxBackoff, or given up when that would start a try later than
// OutboxGiveUpAfter after the write.
func (d *OutboxDispatcher) deliver(ctx context.Context, r store.OutboxRow) {
	lg := d.logger().With("case_id", r.CaseID, "seq", r.Seq, "recipient", r.Recipient, "attempt", r.Attempts)
	var n workflows.Notification
	err := json.Unmarshal([]byte(r.Payload), &n)
	undecodable := err != nil
	if undecodable {
		// No later try reads it better: give it up at once.
		err = fmt.Errorf("decode notification: %w", err)
	} else {
		lg = lg.With("task_id", n.TaskID, "event", n.Event)
		tctx, cancel := context.WithTimeout(ctx, OutboxTryTimeout)
		err = d.notifier().Notify(tctx, n)
		cancel()
		if err != nil && ctx.Err() != nil {
			return // shutting down: the lease lapses and another try follows
		}
	}
	// Record even if ctx ends now: the try happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := d.now()
	if err == nil {
		ok, merr := d.Store.MarkOutboxDone(rctx, r, now)
		if merr != nil {
			lg.ErrorContext(ctx, "notification delivered but not recorded; it will be sent again", "error", merr)
			return
		}
		if ok {
			d.Metrics.count("delivered")
			if d.Metrics != nil {
				d.Metrics.Lag.Observe(now.Sub(r.CreatedAt).Seconds())
			}
		}
		return
	}
	next := now.Add(OutboxBackoff(r.Attempts))
	if undecodable || next.After(r.CreatedAt.Add(OutboxGiveUpAfter)) {
		ok, merr := d.Store.MarkOutboxFailed(rctx, r, now, err)
		if merr != nil {
			lg.ErrorContext(ctx, "notification failure not recorded", "error", merr, "notify_error", err)
			return
		}
		if ok {
			d.Metrics.count("failed")
			lg.ErrorContext(ctx, "notification not delivered; given up", "error", err, "written_at", r.CreatedAt)
		}
		return
	}
	ok, merr := d.Store.MarkOutboxRetry(rctx, r, next, err)
	if merr != nil {
		lg.ErrorContext(ctx, "notification failure not recorded", "error", merr, "notify_error", err)
		return
	}
	if ok {
		d.Metrics.count("retried")
		lg.WarnContext(ctx, "notification failed; will retry", "error", err, "next_try_at", next)
	}
}

func (d *OutboxDispatcher) updateBacklog(ctx context.Context) {
	if d.Metrics == nil {
		return
	}
	n, err := d.Store.OutboxBacklog(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.logger().WarnContext(ctx, "notification outbox backlog not counted", "error", err)
		}
		return
	}
	d.Metrics.Backlog.Set(float64(n))
}

// OutboxMetrics are the notification outbox on /metrics.
type OutboxMetrics struct {
	// Outcomes counts recorded tries: delivered, retried (failed, tried
	// again after the backoff) and failed (given up after the hour).
	Outcomes *prometheus.CounterVec
	// Backlog is the number of notifications not yet delivered nor
	// given up (counted every few seconds by each worker).
	Backlog prometheus.Gauge
	// Lag is the time from a notification's write to its delivery.
	Lag prometheus.Histogram
}

// NewOutboxMetrics makes the outbox metrics and registers them on reg.
func NewOutboxMetrics(reg prometheus.Registerer) *OutboxMetrics {
	m := &OutboxMetrics{
		Outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shaobao_outbox_notifications_total",
			Help: "Notification outbox tries by outcome: delivered, retried (failed, tried again with backoff) or failed (given up an hour after it was written).",
		}, []string{"outcome"}),
		Backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shaobao_outbox_backlog",
			Help: "Notifications in the outbox not yet delivered nor given up.",
		}),
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "shaobao_outbox_delivery_lag_seconds",
			Help:    "Time from a notification's write (with its projection) to its delivery.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
	}
	for _, o := range []string{"delivered", "retried", "failed"} {
		m.Outcomes.WithLabelValues(o) // shown at 0 before the first
	}
	reg.MustRegister(m.Outcomes, m.Backlog, m.Lag)
	return m
}

func (m *OutboxMetrics) count(outcome string) {
	if m != nil {
		m.Outcomes.WithLabelValues(outcome).Inc()
	}
}
