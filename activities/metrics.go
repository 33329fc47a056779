package activities

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shaobao/shaobao/store"
)

// Metrics are what an operator must see of the activities on /metrics.
type Metrics struct {
	// ProjectionFailures counts failed writes of a case into the read
	// model. Each failure is retried; a counter that keeps rising means a
	// case the read model cannot show (the log names it at ERROR).
	ProjectionFailures prometheus.Counter
	// HotlinePushFailures counts failed pushes of a ticket's result back
	// to the hotline (each tried again by the sweep, with backoff).
	HotlinePushFailures prometheus.Counter
}

// NewMetrics makes the activities' metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ProjectionFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shaobao_projection_failures_total",
			Help: "Failed writes of a case into the read model (each retried; a rising count is a case the lists cannot show).",
		}),
		HotlinePushFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shaobao_hotline_push_failures_total",
			Help: "Failed pushes of a 12345 ticket's result back to the hotline (each tried again by the sweep, with backoff).",
		}),
	}
	reg.MustRegister(m.ProjectionFailures, m.HotlinePushFailures)
	return m
}

// DomainCollector serves the read model's figures (store.DomainCounts) as
// gauges. Prometheus and every replica scrape it, so it counts at most
// once per TTL and serves the last figures in between; a failed count
// keeps the last figures and says so in shaobao_domain_metrics_up.
type DomainCollector struct {
	count func(context.Context, time.Time) (store.DomainCounts, error)
	ttl   time.Duration
	log   *slog.Logger

	mu      sync.Mutex
	at      time.Time // when the last count was tried
	okAt    time.Time // when a count last succeeded
	ok      bool
	metrics []prometheus.Metric

	openCases, intakePending, intakeOverdue, openTasks, overdueTasks *prometheus.Desc
	breaches, escalations, deliveries, up, age                       *prometheus.Desc
}

// domainCountTimeout bounds one count: a scrape must not hang on a busy
// database.
const domainCountTimeout = 5 * time.Second

// NewDomainCollector returns the collector of st's figures, counted at
// most once per ttl.
func NewDomainCollector(st *store.Store, ttl time.Duration, log *slog.Logger) *DomainCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &DomainCollector{count: st.DomainCounts, ttl: ttl, log: log,
		openCases:     d("shaobao_open_cases", "Cases being worked (open, verifying, evaluating), by class, level and status.", "class", "level", "status"),
		intakePending: d("shaobao_intake_pending", "Cases waiting in an acceptance queue (受理) to be accepted, merged or rejected."),
		intakeOverdue: d("shaobao_intake_overdue", "Cases in an acceptance queue past their acceptance deadline."),
		openTasks:     d("shaobao_open_tasks", "Open tasks of the cases being worked, by status, class and whether a deadline of theirs has passed.", "status", "class", "overdue"),
		overdueTasks:  d("shaobao_overdue_tasks", "Open tasks past their report or handling deadline, by class.", "class"),
		breaches:      d("shaobao_breaches_last_hour", "Deadlines missed in the last hour, by kind (report, handle, …).", "kind"),
		escalations:   d("shaobao_escalations_last_hour", "Escalations of the last hour, by kind.", "kind"),
		deliveries:    d("shaobao_notification_deliveries_unsent", "Notification deliveries through outside channels that failed: failed (tried again) or abandoned (given up), by channel kind.", "kind", "status"),
		up:            d("shaobao_domain_metrics_up", "1 when the last count of the read model's figures succeeded, 0 when it failed (the figures are then the last good ones)."),
		age:           d("shaobao_domain_metrics_age_seconds", "Age of the read model's figures served: they are counted at most once per cache period."),
	}
}

// Describe sends the collector's descriptors.
func (c *DomainCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.openCases, c.intakePending, c.intakeOverdue, c.openTasks, c.overdueTasks,
		c.breaches, c.escalations, c.deliveries, c.up, c.age} {
		ch <- d
	}
}

// Collect counts again when the last count is older than the TTL, then
// sends the figures.
func (c *DomainCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.at.IsZero() || now.Sub(c.at) >= c.ttl {
		c.at = now
		ctx, cancel := context.WithTimeout(context.Background(), domainCountTimeout)
		counts, err := c.count(ctx, now)
		cancel()
		if err != nil {
			c.ok = false
			if c.log != nil {
				c.log.Warn("count the read model's figures for /metrics", "err", err)
			}
		} else {
			c.ok, c.okAt, c.metrics = true, now, c.build(counts)
		}
	}
	for _, m := range c.metrics {
		ch <- m
	}
	up := 0.0
	if c.ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up)
	if !c.okAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(c.okAt).Seconds())
	}
}

// build turns counts into metrics.
func (c *DomainCollector) build(d store.DomainCounts) []prometheus.Metric {
	g := func(desc *prometheus.Desc, v int64, labels ...string) prometheus.Metric {
		return prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(v), labels...)
	}
	out := []prometheus.Metric{g(c.intakePending, d.IntakePending), g(c.intakeOverdue, d.IntakeOverdue)}
	for _, r := range d.OpenCases {
		out = append(out, g(c.openCases, r.N, r.Class, r.Level, r.Status))
	}
	overdue := map[string]int64{}
	for _, r := range d.OpenTasks {
		out = append(out, g(c.openTasks, r.N, r.Status, r.Class, strconv.FormatBool(r.Overdue)))
		if r.Overdue {
			overdue[r.Class] += r.N
		}
	}
	for _, class := range slices.Sorted(maps.Keys(overdue)) {
		out = append(out, g(c.overdueTasks, overdue[class], class))
	}
	for _, r := range d.Breaches {
		out = append(out, g(c.breaches, r.N, r.Kind))
	}
	for _, r := range d.Escalations {
		out = append(out, g(c.escalations, r.N, r.Kind))
	}
	for _, r := range d.Deliveries {
		out = append(out, g(c.deliveries, r.N, r.Kind, r.Status))
	}
	return out
}
