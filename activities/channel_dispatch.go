package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// ChannelTryTimeout bounds one try through one channel: a slow robot or
// mail server holds nothing else up, and its delivery is tried again by
// the sweep.
const ChannelTryTimeout = 5 * time.Second

// deliveryLease is how long a planned or claimed delivery belongs to its
// try: a worker that dies mid-try leaves it to the sweep after this.
const deliveryLease = 2 * time.Minute

// Channels is the Notifier that reaches people. For each notification it
// stores one in-app row per recipient (the department, or the command
// level's org unit), plans one delivery per outside channel configured for
// that recipient (and, for an emergency whistle, an SMS to the
// department's person on duty), tries each at once and concurrently with a
// short timeout, records what came of it, and then hands the notification
// to Next (the global webhook or the log), whose error alone fails the
// activity. Failed deliveries are tried again by Sweep, with backoff.
type Channels struct {
	Store *store.Store
	// Sealer opens the channels' secrets; nil fails the channels that
	// have some, with the reason.
	Sealer *store.Sealer
	Sender *channels.Sender
	// Next also gets every notification; nil: nothing else.
	Next Notifier
	// PublicURL is the address of Shaobao's pages, for the links.
	PublicURL string
	Logger    *slog.Logger
	Metrics   *ChannelMetrics
	// TryTimeout bounds each try (default ChannelTryTimeout).
	TryTimeout time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

func (c *Channels) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Channels) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

// PushHotlineResult passes hotline results on to Next, so wrapping a
// pusher keeps it one.
func (c *Channels) PushHotlineResult(ctx context.Context, key string, r store.HotlineResult) error {
	return pusherOf(c.Next, c.logger()).PushHotlineResult(ctx, key, r)
}

// recipientOf is who n is for: the department when it names one, else
// the org unit; ok is false for a notification to nobody in particular.
func recipientOf(n workflows.Notification) (kind, id string, ok bool) {
	switch {
	case n.DepartmentID != "":
		return store.RecipientDepartment, n.DepartmentID, true
	case n.OrgUnitID != "":
		return store.RecipientOrgUnit, n.OrgUnitID, true
	}
	return "", "", false
}

// Notify stores n for its recipient, delivers it through the recipient's
// channels and passes it to Next. It fails (and the activity retries) only
// when the database cannot take it or Next fails: a channel that fails is
// recorded and left to the sweep. A retry stores and plans nothing twice.
func (c *Channels) Notify(ctx context.Context, n workflows.Notification) error {
	if kind, id, ok := recipientOf(n); ok {
		if err := c.record(ctx, n, kind, id); err != nil {
			return err
		}
	}
	if c.Next == nil {
		return nil
	}
	return c.Next.Notify(ctx, n)
}

func (c *Channels) record(ctx context.Context, n workflows.Notification, kind, id string) error {
	row, _, err := c.Store.RecordNotification(ctx, store.Notification{
		CaseID: n.CaseID, Seq: n.Seq, RecipientKind: kind, RecipientID: id, At: n.At, Event: n.Event,
		Number: n.Number, Title: n.Title, Class: n.Class, Level: string(n.Level), OrgPath: n.OrgPath, TaskID: n.TaskID,
		Message: n.Message, Deadline: n.Deadline,
	})
	if err != nil {
		return err
	}
	chs, err := c.Store.ChannelsFor(ctx, kind, id)
	if err != nil {
		return err
	}
	var duty *store.DutyShift
	if kind == store.RecipientDepartment && n.Class == string(whistle.ClassEmergency) && hasKind(chs, channels.SMS) {
		if sh, ok, err := c.Store.OnDuty(ctx, id, n.At); err != nil {
			return err
		} else if ok {
			duty = &sh
		}
	}
	var tries []planned
	for _, ch := range chs {
		if !ch.Sends(n.Event) {
			continue
		}
		var targets []string
		if ch.Kind != string(channels.SMS) || c.hasPhones(ch) {
			targets = append(targets, "")
		}
		if ch.Kind == string(channels.SMS) && duty != nil {
			targets = append(targets, duty.Phone)
		}
		for _, t := range targets {
			lease := c.now().Add(deliveryLease)
			d, created, err := c.Store.PlanDelivery(ctx, store.Delivery{NotificationID: row.ID, ChannelID: ch.ID, ChannelKind: ch.Kind, Target: t, NextAttemptAt: &lease})
			if err != nil {
				return err
			}
			if created {
				tries = append(tries, planned{d: d, ch: ch})
			}
		}
	}
	c.tryAll(ctx, row, tries)
	return nil
}

// hasKind reports whether chs has a channel of kind k.
func hasKind(chs []store.ChannelConfig, k channels.Kind) bool {
	for _, ch := range chs {
		if ch.Kind == string(k) {
			return true
		}
	}
	return false
}

// hasPhones reports whether an SMS channel names phones of its own (a
// roster-only channel has none).
func (c *Channels) hasPhones(ch store.ChannelConfig) bool {
	var s channels.Settings
	return json.Unmarshal([]byte(ch.Settings), &s) == nil && len(s.Phones) > 0
}

type planned struct {
	d  store.Delivery
	ch store.ChannelConfig
}

// tryAll tries the deliveries concurrently, each within ChannelTryTimeout.
func (c *Channels) tryAll(ctx context.Context, n store.Notification, tries []planned) {
	var wg sync.WaitGroup
	for _, p := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.try(ctx, n, p.d, p.ch)
		}()
	}
	wg.Wait()
}

// try sends one delivery and records its outcome on the delivery and the
// channel; it logs a failure with the reason (never a secret) and reports
// whether the delivery was sent.
func (c *Channels) try(ctx context.Context, n store.Notification, d store.Delivery, ch store.ChannelConfig) bool {
	lg := c.logger().With("case_id", n.CaseID, "seq", n.Seq, "event", n.Event, "notification_id", n.ID, "delivery_id", d.ID,
		"channel_id", ch.ID, "channel_kind", ch.Kind)
	cfg, err := c.configOf(ch)
	if err == nil {
		timeout := c.TryTimeout
		if timeout <= 0 {
			timeout = ChannelTryTimeout
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		err = c.send(tctx, cfg, notificationOf(n), d.Target)
		cancel()
	}
	now := c.now()
	rec, rerr := c.Store.RecordDelivery(context.WithoutCancel(ctx), d.ID, err, now, now.Add(HotlinePushBackoff(d.Attempts+1)))
	if rerr != nil {
		lg.ErrorContext(ctx, "delivery outcome not recorded", "error", rerr, "send_error", err)
		return false
	}
	if oerr := c.Store.RecordChannelOutcome(context.WithoutCancel(ctx), ch.ID, err, now); oerr != nil {
		lg.ErrorContext(ctx, "channel outcome not recorded", "error", oerr)
	}
	c.Metrics.count(ch.Kind, err)
	if err != nil {
		lg.WarnContext(ctx, "channel delivery failed", "attempts", rec.Attempts, "status", rec.Status, "error", err)
		return false
	}
	lg.InfoContext(ctx, "channel delivery sent", "attempts", rec.Attempts)
	return true
}

// configOf is the channel as its sender needs it, secrets opened.
func (c *Channels) configOf(ch store.ChannelConfig) (channels.Config, error) {
	cfg := channels.Config{Kind: channels.Kind(ch.Kind)}
	if ch.Settings != "" {
		if err := json.Unmarshal([]byte(ch.Settings), &cfg.Settings); err != nil {
			return cfg, fmt.Errorf("channel %d settings: %w", ch.ID, err)
		}
	}
	if ch.SealedSecrets == "" {
		return cfg, nil
	}
	if c.Sealer == nil {
		return cfg, errors.New("no secret key configured (--secret-key): the channel's secrets cannot be opened")
	}
	raw, err := c.Sealer.Open(ch.SealedSecrets)
	if err != nil {
		return cfg, fmt.Errorf("channel %d secrets: %w", ch.ID, err)
	}
	if err := json.Unmarshal(raw, &cfg.Secrets); err != nil {
		return cfg, fmt.Errorf("channel %d secrets: %w", ch.ID, err)
	}
	return cfg, nil
}

// send delivers n through cfg to target (a phone for the duty SMS; empty:
// the channel's own recipients).
func (c *Channels) send(ctx context.Context, cfg channels.Config, n workflows.Notification, target string) error {
	if cfg.Kind == channels.Webhook {
		wh := &WebhookNotifier{URL: cfg.Secrets.URL, Secret: []byte(cfg.Secrets.Secret)}
		if c.Sender != nil && c.Sender.Client != nil {
			wh.Client = c.Sender.Client
		}
		return wh.Notify(ctx, n)
	}
	sender := c.Sender
	if sender == nil {
		sender = &channels.Sender{}
	}
	m := channels.Render(n, c.PublicURL, cfg.Settings.Lang)
	if cfg.Kind != channels.SMS {
		return sender.Send(ctx, cfg, m, "")
	}
	phones := cfg.Settings.Phones
	if target != "" {
		phones = []string{target}
	}
	var errs []error
	for _, p := range phones {
		if err := sender.Send(ctx, cfg, m, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// notificationOf is the stored notification as the workflow sent it.
func notificationOf(n store.Notification) workflows.Notification {
	out := workflows.Notification{CaseID: n.CaseID, Seq: n.Seq, Event: n.Event, At: n.At.UTC(), Title: n.Title, Class: n.Class,
		Level: whistle.Level(n.Level), OrgPath: n.OrgPath, TaskID: n.TaskID, Message: n.Message, Number: n.Number, Deadline: n.Deadline}
	if n.RecipientKind == store.RecipientDepartment {
		out.DepartmentID = n.RecipientID
	} else {
		out.OrgUnitID = n.RecipientID
	}
	return out
}

// ChannelSweepResult says what one sweep of the deliveries did.
type ChannelSweepResult struct {
	Tried, Sent int
}

// Sweep tries again up to limit deliveries that are due (failed ones after
// their backoff, planned ones whose try never finished), then updates the
// failing-channels gauge.
func (c *Channels) Sweep(ctx context.Context, limit int) (ChannelSweepResult, error) {
	var res ChannelSweepResult
	due, err := c.Store.ClaimDueDeliveries(ctx, c.now(), deliveryLease, limit)
	if err != nil {
		return res, err
	}
	rows := map[uint64]store.Notification{}
	chans := map[uint64]*store.ChannelConfig{}
	var tries []planned
	for _, d := range due {
		n, ok := rows[d.NotificationID]
		if !ok {
			if n, err = c.Store.NotificationByID(ctx, d.NotificationID); err != nil {
				return res, err
			}
			rows[d.NotificationID] = n
		}
		ch, ok := chans[d.ChannelID]
		if !ok {
			got, err := c.Store.ChannelConfig(ctx, strconv.FormatUint(d.ChannelID, 10))
			if err != nil && whistle.ErrorCode(err) != whistle.ENotFound {
				return res, err
			}
			if err == nil {
				ch = &got
			}
			chans[d.ChannelID] = ch
		}
		if ch == nil || !ch.Enabled {
			if err := c.Store.AbandonDelivery(ctx, d.ID, "channel deleted or disabled"); err != nil {
				return res, err
			}
			continue
		}
		tries = append(tries, planned{d: d, ch: *ch})
	}
	// A few at a time: each try is bounded by ChannelTryTimeout, and a
	// dead channel must not keep the others of the sweep waiting long.
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for _, p := range tries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			sent := c.try(ctx, rows[p.d.NotificationID], p.d, p.ch)
			mu.Lock()
			res.Tried++
			if sent {
				res.Sent++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if c.Metrics != nil {
		failing, err := c.Store.ChannelConfigs(ctx, store.ChannelFilter{Failing: true})
		if err == nil {
			k := 0
			for _, ch := range failing {
				if ch.Failing() {
					k++
				}
			}
			c.Metrics.Failing.Set(float64(k))
		}
	}
	return res, nil
}

// RunSweeper sweeps every interval until ctx ends. Several workers may
// run it: a delivery is claimed by one sweep at a time.
func (c *Channels) RunSweeper(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := c.Sweep(ctx, 100)
		if err != nil && ctx.Err() == nil {
			c.logger().ErrorContext(ctx, "channel delivery sweep failed", "error", err)
		} else if res.Tried > 0 {
			c.logger().InfoContext(ctx, "channel delivery sweep", "tried", res.Tried, "sent", res.Sent)
		}
	}
}

// ChannelMetrics are the outside channels on /metrics.
type ChannelMetrics struct {
	// Deliveries counts tries by channel kind and outcome (sent, failed).
	Deliveries *prometheus.CounterVec
	// Failing is the number of channels whose last store.FailingAfter or
	// more tries failed (set by each sweep).
	Failing prometheus.Gauge
}

// NewChannelMetrics makes the channel metrics and registers them on reg.
func NewChannelMetrics(reg prometheus.Registerer) *ChannelMetrics {
	m := &ChannelMetrics{
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shaobao_channel_deliveries_total",
			Help: "Tries to deliver a notification through an outside channel, by kind and outcome (failed tries are tried again by the sweep).",
		}, []string{"kind", "outcome"}),
		Failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shaobao_channels_failing",
			Help: "Outside channels whose last 3 or more tries failed (the admins' channel list names them and the reason).",
		}),
	}
	reg.MustRegister(m.Deliveries, m.Failing)
	return m
}

func (m *ChannelMetrics) count(kind string, err error) {
	if m == nil {
		return
	}
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	m.Deliveries.WithLabelValues(kind, outcome).Inc()
}
