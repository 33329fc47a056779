package activities_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shaobao/shaobao/activities"
	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// outside is a local server of the outside channels' protocols: WeCom
// robots (one answering at once, one slow, one failing its first try),
// an SMS gateway and a signed webhook.
type outside struct {
	srv        *httptest.Server
	slow       atomic.Bool
	flakyTries atomic.Int32
	mu         sync.Mutex
	robots     map[string]int // key → messages accepted
	sms        []map[string]any
	hooks      []workflows.Notification
}

const hookSecret = "hook-secret"

func newOutside(t *testing.T) *outside {
	o := &outside{robots: map[string]int{}}
	o.slow.Store(true)
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/cgi-bin/webhook/send":
			key := r.URL.Query().Get("key")
			if key == "slow" && o.slow.Load() {
				select {
				case <-r.Context().Done():
				case <-time.After(3 * time.Second):
				}
				return
			}
			if key == "flaky" && o.flakyTries.Add(1) == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			var m map[string]any
			if json.Unmarshal(body, &m) != nil || m["msgtype"] != "markdown" {
				_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
				return
			}
			o.mu.Lock()
			o.robots[key]++
			o.mu.Unlock()
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok"})
		case "/sms":
			var m map[string]any
			if json.Unmarshal(body, &m) != nil {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			o.mu.Lock()
			o.sms = append(o.sms, m)
			o.mu.Unlock()
		case "/hook":
			if !activities.VerifySignature([]byte(hookSecret), body, r.Header.Get(activities.SignatureHeader)) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			var n workflows.Notification
			_ = json.Unmarshal(body, &n)
			o.mu.Lock()
			o.hooks = append(o.hooks, n)
			o.mu.Unlock()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *outside) count(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.robots[key]
}

// recorder is the Next notifier: it records and fails when told to.
type recorder struct {
	mu   sync.Mutex
	got  []workflows.Notification
	fail error
}

func (r *recorder) Notify(_ context.Context, n workflows.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
	return r.fail
}

func sealerT(t *testing.T) *store.Sealer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addChannel(t *testing.T, st *store.Store, sealer *store.Sealer, kind, id string, cfg channels.Config, events string) store.ChannelConfig {
	t.Helper()
	settings, _ := json.Marshal(cfg.Settings)
	secrets, _ := json.Marshal(cfg.Secrets)
	sealed, err := sealer.Seal(secrets)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.CreateChannelConfig(context.Background(), store.ChannelConfig{OwnerKind: kind, OwnerID: id, Kind: string(cfg.Kind), Name: string(cfg.Kind),
		Enabled: true, Events: events, Settings: string(settings), SealedSecrets: sealed})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestChannelsNotify: a notification is stored for its recipient and
// delivered through each of the recipient's channels at once; a slow
// channel is cut off at its timeout without holding the others; the person
// on duty gets an emergency's SMS; a retry sends nothing twice; the sweep
// delivers what failed after its backoff; the channel and /metrics count
// the failures.
func TestChannelsNotify(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, st)
		o := newOutside(t)
		sealer := sealerT(t)
		wecom := func(key string) channels.Config {
			return channels.Config{Kind: channels.WeCom, Secrets: channels.Secrets{URL: o.srv.URL + "/cgi-bin/webhook/send?key=" + key}}
		}
		dept := store.RecipientDepartment
		okCh := addChannel(t, st, sealer, dept, "s1-police", wecom("ok"), "")
		slowCh := addChannel(t, st, sealer, dept, "s1-police", wecom("slow"), "")
		addChannel(t, st, sealer, dept, "s1-police", wecom("flaky"), "")
		smsCh := addChannel(t, st, sealer, dept, "s1-police", channels.Config{Kind: channels.SMS,
			Settings: channels.Settings{BodyTemplate: `{"to":"{{phone}}","text":"{{text}}"}`}, Secrets: channels.Secrets{URL: o.srv.URL + "/sms"}}, "")
		addChannel(t, st, sealer, dept, "s1-police", channels.Config{Kind: channels.Webhook, Secrets: channels.Secrets{URL: o.srv.URL + "/hook", Secret: hookSecret}}, "")
		addChannel(t, st, sealer, store.RecipientOrgUnit, "110101001", wecom("unit-urged-only"), "urged")
		other := sealerT(t) // sealed under a key the worker does not have
		badKey := addChannel(t, st, other, store.RecipientOrgUnit, "110101001", wecom("unit"), "")
		cst := time.FixedZone("CST", 8*3600)
		at := time.Date(2026, 12, 2, 23, 0, 0, 0, cst)
		if _, err := st.ReplaceDutyRoster(ctx, "s1-police", []store.DutyShift{
			{Weekday: 3, FromMinute: 18 * 60, ToMinute: 8 * 60, Name: "王警官", Phone: "13800000001"},
			{Weekday: 3, FromMinute: 8 * 60, ToMinute: 18 * 60, Name: "李警官", Phone: "13800000002"},
		}); err != nil {
			t.Fatal(err)
		}

		now := at
		var clockMu sync.Mutex
		clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
		advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
		reg := prometheus.NewRegistry()
		next := &recorder{}
		c := &activities.Channels{Store: st, Sealer: sealer, Sender: &channels.Sender{}, Next: next, PublicURL: "https://shaobao.example.gov.cn",
			Metrics: activities.NewChannelMetrics(reg), TryTimeout: 300 * time.Millisecond, Now: clock}

		deadline := at.Add(30 * time.Minute)
		n := workflows.Notification{CaseID: "SB-9", Seq: 5, Event: whistle.EventWarning, At: at, Title: "燃气泄漏", Class: string(whistle.ClassEmergency),
			DepartmentID: "s1-police", TaskID: "SB-9-T1", Message: "报到时限已过 75%", Number: "20261202-00009", Deadline: &deadline}
		start := time.Now()
		if err := c.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Notify took %s: the slow channel held the others up", took)
		}
		if len(next.got) != 1 {
			t.Fatalf("next got %d", len(next.got))
		}
		if o.count("ok") != 1 || o.count("slow") != 0 || o.count("flaky") != 0 {
			t.Fatalf("robots: ok %d slow %d flaky %d", o.count("ok"), o.count("slow"), o.count("flaky"))
		}
		o.mu.Lock()
		sms, hooks := append([]map[string]any(nil), o.sms...), append([]workflows.Notification(nil), o.hooks...)
		o.mu.Unlock()
		if len(sms) != 1 || sms[0]["to"] != "13800000001" || !strings.Contains(sms[0]["text"].(string), "20261202-00009") {
			t.Fatalf("duty sms = %v (want 王警官 on the overnight shift)", sms)
		}
		if len(hooks) != 1 || hooks[0].CaseID != "SB-9" || hooks[0].Deadline == nil || !hooks[0].Deadline.Equal(deadline) {
			t.Fatalf("webhook got %+v", hooks)
		}

		clerk := store.Inbox{UserID: "u-s1-police", DepartmentID: "s1-police"}
		page, err := st.NotificationsFor(ctx, clerk, false, store.Page{})
		if err != nil || page.Total != 1 || page.Items[0].Number != "20261202-00009" {
			t.Fatalf("in-app = %+v %v", page, err)
		}
		status := func() map[string]string {
			ds, err := st.DeliveriesOf(ctx, page.Items[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, d := range ds {
				out[d.ChannelKind+"/"+d.Target+"/"+itoa(d.ChannelID)] = d.Status + ":" + d.LastError
			}
			return out
		}
		st1 := status()
		if len(st1) != 5 {
			t.Fatalf("deliveries: %v", st1)
		}
		if s := st1["wecom//"+itoa(slowCh.ID)]; !strings.HasPrefix(s, "failed:") || !strings.Contains(s, "deadline") {
			t.Errorf("slow robot: %q", s)
		}
		if s := st1["wecom//"+itoa(okCh.ID)]; s != "sent:" {
			t.Errorf("ok robot: %q", s)
		}
		if s := st1["sms/13800000001/"+itoa(smsCh.ID)]; s != "sent:" {
			t.Errorf("duty sms: %q (all: %v)", s, st1)
		}

		// The activity is retried: nothing is stored or sent twice.
		if err := c.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
		if o.count("ok") != 1 || len(status()) != 5 {
			t.Fatalf("a retry sent again: ok %d, deliveries %v", o.count("ok"), status())
		}

		// Before the backoff nothing is due; after it, the flaky robot
		// takes the message and the slow one fails again.
		if res, err := c.Sweep(ctx, 10); err != nil || res.Tried != 0 {
			t.Fatalf("sweep before backoff = %+v %v", res, err)
		}
		advance(90 * time.Second)
		res, err := c.Sweep(ctx, 10)
		if err != nil || res.Tried != 2 || res.Sent != 1 || o.count("flaky") != 1 {
			t.Fatalf("sweep = %+v %v, flaky %d", res, err, o.count("flaky"))
		}
		slow, _ := st.ChannelConfig(ctx, itoa(slowCh.ID))
		if slow.Failures != 2 || slow.LastError == "" {
			t.Fatalf("slow channel = %+v", slow)
		}
		if got := counter(t, reg, "shaobao_channel_deliveries_total", "wecom", "failed"); got != 3 {
			t.Errorf("failed wecom tries counted %v, want 3", got)
		}
		// A third failure in a row: the channel is failing, for the
		// admins and on /metrics.
		advance(3 * time.Minute)
		if res, err := c.Sweep(ctx, 10); err != nil || res.Tried != 1 || res.Sent != 0 {
			t.Fatalf("third sweep = %+v %v", res, err)
		}
		if slow, _ := st.ChannelConfig(ctx, itoa(slowCh.ID)); !slow.Failing() {
			t.Fatalf("after 3 failures the channel is not failing: %+v", slow)
		}
		if got := gauge(t, reg, "shaobao_channels_failing"); got != 1 {
			t.Errorf("shaobao_channels_failing = %v, want 1", got)
		}
		o.slow.Store(false)
		advance(10 * time.Minute)
		if res, err := c.Sweep(ctx, 10); err != nil || res.Sent != 1 || o.count("slow") != 1 {
			t.Fatalf("sweep after the robot recovered = %+v %v", res, err)
		}
		if slow, _ := st.ChannelConfig(ctx, itoa(slowCh.ID)); slow.Failures != 0 || slow.SentTotal != 1 {
			t.Fatalf("recovered channel = %+v", slow)
		}
		if got := gauge(t, reg, "shaobao_channels_failing"); got != 0 {
			t.Errorf("shaobao_channels_failing after recovery = %v, want 0", got)
		}
		for k, v := range status() {
			if !strings.HasPrefix(v, "sent:") {
				t.Errorf("%s still %s", k, v)
			}
		}

		// To the unit: the urged-only channel skips a warning; a channel
		// whose secrets cannot be opened fails with the reason; Next's
		// failure is the activity's, after the rows are stored.
		next.fail = errors.New("global webhook down")
		un := workflows.Notification{CaseID: "SB-9", Seq: 6, Event: whistle.EventWarning, At: at, Title: "燃气泄漏", Class: string(whistle.ClassEmergency),
			Level: whistle.LevelStreet, OrgUnitID: "110101001", OrgPath: "/110000/110101/110101001/"}
		if err := c.Notify(ctx, un); err == nil {
			t.Fatal("Next's failure was swallowed")
		}
		up, _ := st.NotificationsFor(ctx, store.Inbox{UserID: "u-s1-secretary", OrgUnitID: "110101001"}, false, store.Page{})
		if up.Total != 1 {
			t.Fatalf("unit in-app = %+v", up)
		}
		ds, _ := st.DeliveriesOf(ctx, up.Items[0].ID)
		if len(ds) != 1 || ds[0].ChannelID != badKey.ID || ds[0].Status != store.DeliveryFailed || !strings.Contains(ds[0].LastError, "wrong key") {
			t.Fatalf("unit deliveries = %+v", ds)
		}
		if o.count("unit-urged-only") != 0 || o.count("unit") != 0 {
			t.Error("a filtered or unreadable channel was sent to")
		}
	})
}

func itoa(u uint64) string { return strconv.FormatUint(u, 10) }

// counter reads the counter name{kind, outcome} from reg.
func counter(t *testing.T, reg *prometheus.Registry, name, kind, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// gauge reads the gauge name from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
