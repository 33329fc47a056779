package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestNotificationsInbox: a notification is stored once per (case, seq,
// recipient); each reader sees their recipient's only, unread first, with
// read state their own.
func TestNotificationsInbox(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		record := func(caseID string, seq int64, kind, id string, at time.Time) store.Notification {
			t.Helper()
			n, _, err := s.RecordNotification(ctx, store.Notification{CaseID: caseID, Seq: seq, RecipientKind: kind, RecipientID: id, At: at,
				Event: whistle.EventWarning, Title: "井盖缺失", Class: "emergency"})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		first := record("SB-1", 3, store.RecipientDepartment, "s1-police", at)
		again, created, err := s.RecordNotification(ctx, store.Notification{CaseID: "SB-1", Seq: 3, RecipientKind: store.RecipientDepartment,
			RecipientID: "s1-police", At: at, Event: whistle.EventWarning})
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("retry stored again: %+v created=%v %v", again, created, err)
		}
		second := record("SB-1", 4, store.RecipientDepartment, "s1-police", at.Add(time.Minute))
		third := record("SB-2", 1, store.RecipientDepartment, "s1-police", at.Add(2*time.Minute))
		unit := record("SB-1", 3, store.RecipientOrgUnit, "110101001", at) // same event, another recipient
		record("SB-3", 1, store.RecipientDepartment, "s1-market", at)

		clerk := store.Inbox{UserID: "u-s1-police", DepartmentID: "s1-police"}
		other := store.Inbox{UserID: "u-other-clerk", DepartmentID: "s1-police"}
		secretary := store.Inbox{UserID: "u-s1-secretary", OrgUnitID: "110101001"}

		if _, err := s.MarkNotificationRead(ctx, clerk, strconv.FormatUint(third.ID, 10), at); err != nil {
			t.Fatal(err)
		}
		page, err := s.NotificationsFor(ctx, clerk, false, store.Page{Page: 1, PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(p store.NotificationPage) []uint64 {
			var out []uint64
			for _, n := range p.Items {
				out = append(out, n.ID)
			}
			return out
		}
		if got, want := ids(page), []uint64{second.ID, first.ID, third.ID}; !equal(got, want) || page.Total != 3 || page.Unread != 2 {
			t.Fatalf("clerk sees %v total %d unread %d, want %v (unread first, newest first)", got, page.Total, page.Unread, want)
		}
		if page.Items[2].ReadAt == nil || page.Items[0].ReadAt != nil {
			t.Errorf("read state: %+v", page.Items)
		}
		if p, _ := s.NotificationsFor(ctx, other, false, store.Page{}); p.Unread != 3 {
			t.Errorf("another clerk's unread = %d, want 3: read state is per user", p.Unread)
		}
		if p, _ := s.NotificationsFor(ctx, clerk, true, store.Page{Page: 1, PageSize: 1}); p.Total != 2 || len(p.Items) != 1 || p.Items[0].ID != second.ID {
			t.Errorf("unread only, page of 1: %+v", p)
		}
		if p, _ := s.NotificationsFor(ctx, secretary, false, store.Page{}); !equal(ids(p), []uint64{unit.ID}) {
			t.Errorf("secretary sees %v", ids(p))
		}
		if p, _ := s.NotificationsFor(ctx, store.Inbox{UserID: "u-admin"}, false, store.Page{}); p.Total != 0 || p.Items == nil {
			t.Errorf("no inbox sees %+v", p)
		}
		if _, err := s.MarkNotificationRead(ctx, secretary, strconv.FormatUint(first.ID, 10), at); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("reading another's notification = %v, want not_found", err)
		}
		if _, err := s.MarkNotificationRead(ctx, clerk, "x1", at); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("bad id = %v", err)
		}
		n, err := s.MarkAllNotificationsRead(ctx, clerk, at)
		if err != nil || n != 2 {
			t.Fatalf("read all marked %d %v, want 2", n, err)
		}
		if n, _ := s.MarkAllNotificationsRead(ctx, clerk, at); n != 0 {
			t.Errorf("read all again marked %d", n)
		}
		if p, _ := s.NotificationsFor(ctx, clerk, false, store.Page{}); p.Unread != 0 || p.Total != 3 {
			t.Errorf("after read all: %+v", p)
		}
		if p, _ := s.NotificationsFor(ctx, other, false, store.Page{}); p.Unread != 3 {
			t.Errorf("another clerk's unread after the first read all = %d", p.Unread)
		}
	})
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDeliveries: planned once per (notification, channel, target); a
// failure is retried when due, claimed by one sweep at a time, abandoned
// after MaxDeliveryAttempts; the channel counts its failures; deleting it
// abandons what it has not sent.
func TestDeliveries(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
		if _, err := s.CreateChannelConfig(ctx, store.ChannelConfig{OwnerKind: store.RecipientDepartment, OwnerID: "nope", Kind: "wecom", Name: "x"}); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Fatalf("unknown owner = %v", err)
		}
		ch, err := s.CreateChannelConfig(ctx, store.ChannelConfig{OwnerKind: store.RecipientDepartment, OwnerID: "s1-police", Kind: "wecom", Name: "值班群", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if chs, _ := s.ChannelsFor(ctx, store.RecipientDepartment, "s1-police"); len(chs) != 1 || chs[0].ID != ch.ID {
			t.Fatalf("channels for s1-police: %+v", chs)
		}
		n, _, err := s.RecordNotification(ctx, store.Notification{CaseID: "SB-1", Seq: 3, RecipientKind: store.RecipientDepartment, RecipientID: "s1-police", At: now, Event: "warning"})
		if err != nil {
			t.Fatal(err)
		}
		lease := now.Add(2 * time.Minute)
		d, created, err := s.PlanDelivery(ctx, store.Delivery{NotificationID: n.ID, ChannelID: ch.ID, ChannelKind: "wecom", NextAttemptAt: &lease})
		if err != nil || !created || d.Status != store.DeliveryPending {
			t.Fatalf("plan = %+v %v %v", d, created, err)
		}
		if again, created, err := s.PlanDelivery(ctx, store.Delivery{NotificationID: n.ID, ChannelID: ch.ID, ChannelKind: "wecom", NextAttemptAt: &lease}); err != nil || created || again.ID != d.ID {
			t.Fatalf("planned twice: %+v %v %v", again, created, err)
		}
		if due, _ := s.ClaimDueDeliveries(ctx, now, time.Minute, 10); len(due) != 0 {
			t.Fatalf("a delivery under its lease was claimed: %+v", due)
		}
		next := now.Add(time.Minute)
		d, err = s.RecordDelivery(ctx, d.ID, errors.New("wecom robot refused the message: code 93000"), now, next)
		if err != nil || d.Status != store.DeliveryFailed || d.Attempts != 1 || d.LastError == "" {
			t.Fatalf("failure = %+v %v", d, err)
		}
		if err := s.RecordChannelOutcome(ctx, ch.ID, errors.New("code 93000"), now); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.ClaimDueDeliveries(ctx, now.Add(30*time.Second), time.Minute, 10); len(due) != 0 {
			t.Fatalf("claimed before its backoff: %+v", due)
		}
		later := now.Add(90 * time.Second)
		due, err := s.ClaimDueDeliveries(ctx, later, time.Minute, 10)
		if err != nil || len(due) != 1 || due[0].ID != d.ID {
			t.Fatalf("due = %+v %v", due, err)
		}
		if twice, _ := s.ClaimDueDeliveries(ctx, later, time.Minute, 10); len(twice) != 0 {
			t.Fatalf("claimed twice: %+v", twice)
		}
		d, err = s.RecordDelivery(ctx, d.ID, nil, later, later)
		if err != nil || d.Status != store.DeliverySent || d.Attempts != 2 || d.SentAt == nil || d.NextAttemptAt != nil {
			t.Fatalf("success = %+v %v", d, err)
		}
		if err := s.RecordChannelOutcome(ctx, ch.ID, nil, later); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ChannelConfig(ctx, strconv.FormatUint(ch.ID, 10))
		if got.Failures != 0 || got.FailuresTotal != 1 || got.SentTotal != 1 || got.LastError != "code 93000" || got.LastSuccessAt == nil {
			t.Fatalf("channel = %+v", got)
		}

		// A delivery that never succeeds is abandoned; deleting the
		// channel abandons the one still planned.
		n2, _, _ := s.RecordNotification(ctx, store.Notification{CaseID: "SB-1", Seq: 4, RecipientKind: store.RecipientDepartment, RecipientID: "s1-police", At: now, Event: "urged"})
		d2, _, _ := s.PlanDelivery(ctx, store.Delivery{NotificationID: n2.ID, ChannelID: ch.ID, ChannelKind: "wecom", NextAttemptAt: &lease})
		for i := 0; i < store.MaxDeliveryAttempts; i++ {
			if d2, err = s.RecordDelivery(ctx, d2.ID, errors.New("down"), now, now); err != nil {
				t.Fatal(err)
			}
		}
		if d2.Status != store.DeliveryAbandoned || d2.NextAttemptAt != nil {
			t.Fatalf("after %d failures: %+v", store.MaxDeliveryAttempts, d2)
		}
		n3, _, _ := s.RecordNotification(ctx, store.Notification{CaseID: "SB-1", Seq: 5, RecipientKind: store.RecipientDepartment, RecipientID: "s1-police", At: now, Event: "urged"})
		d3, _, _ := s.PlanDelivery(ctx, store.Delivery{NotificationID: n3.ID, ChannelID: ch.ID, ChannelKind: "sms", Target: "13800138000", NextAttemptAt: &lease})
		if _, err := s.DeleteChannelConfig(ctx, strconv.FormatUint(ch.ID, 10)); err != nil {
			t.Fatal(err)
		}
		if ds, _ := s.DeliveriesOf(ctx, n3.ID); len(ds) != 1 || ds[0].ID != d3.ID || ds[0].Status != store.DeliveryAbandoned || ds[0].Target != "13800138000" {
			t.Fatalf("after delete: %+v", ds)
		}
		if ds, _ := s.DeliveriesOf(ctx, n.ID); len(ds) != 1 || ds[0].Status != store.DeliverySent {
			t.Fatalf("a sent delivery changed on delete: %+v", ds)
		}
		if _, err := s.ChannelConfig(ctx, strconv.FormatUint(ch.ID, 10)); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("deleted channel = %v", err)
		}
	})
}

// TestDutyRoster: the weekly table, overnight shifts, and a date that
// replaces its weekday's shifts.
func TestDutyRoster(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		// 2026-12-02 is a Wednesday (3).
		roster := []store.DutyShift{
			{Weekday: 3, FromMinute: 18 * 60, ToMinute: 8 * 60, Name: "王警官", Phone: "13800000001"},
			{Weekday: 3, FromMinute: 8 * 60, ToMinute: 18 * 60, Name: "李警官", Phone: "13800000002"},
			{Weekday: 4, FromMinute: 0, ToMinute: 1440, Name: "赵警官", Phone: "13800000003"},
			{Date: "2026-12-09", FromMinute: 20 * 60, ToMinute: 6 * 60, Name: "节日值班", Phone: "13800000004"},
		}
		got, err := s.ReplaceDutyRoster(ctx, "s1-police", roster)
		if err != nil || len(got) != 4 {
			t.Fatalf("roster = %+v %v", got, err)
		}
		for _, bad := range [][]store.DutyShift{
			{{Weekday: 7, FromMinute: 0, ToMinute: 60, Name: "x", Phone: "1"}},
			{{Weekday: 1, FromMinute: 0, ToMinute: 1441, Name: "x", Phone: "1"}},
			{{Date: "2026-13-01", FromMinute: 0, ToMinute: 60, Name: "x", Phone: "1"}},
			{{Weekday: 1, FromMinute: 0, ToMinute: 60, Name: " ", Phone: "1"}},
		} {
			if _, err := s.ReplaceDutyRoster(ctx, "s1-police", bad); whistle.ErrorCode(err) != whistle.EInvalid {
				t.Errorf("%+v = %v, want invalid", bad, err)
			}
		}
		if _, err := s.ReplaceDutyRoster(ctx, "nope", nil); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Errorf("unknown department = %v", err)
		}
		cst := time.FixedZone("CST", 8*3600)
		for _, tc := range []struct {
			name string
			at   time.Time
			want string
		}{
			{"WednesdayDay", time.Date(2026, 12, 2, 9, 0, 0, 0, cst), "李警官"},
			{"WednesdayEvening", time.Date(2026, 12, 2, 23, 0, 0, 0, cst), "王警官"},
			// Thursday 02:00: Wednesday's overnight shift comes first.
			{"OvernightIntoThursday", time.Date(2026, 12, 3, 2, 0, 0, 0, cst), "王警官"},
			{"ThursdayAfterOvernight", time.Date(2026, 12, 3, 9, 0, 0, 0, cst), "赵警官"},
			{"Friday", time.Date(2026, 12, 4, 9, 0, 0, 0, cst), ""},
			// The next Wednesday has a dated shift: the weekly ones do not apply.
			{"DateReplacesWeekday", time.Date(2026, 12, 9, 9, 0, 0, 0, cst), ""},
			{"DateShift", time.Date(2026, 12, 9, 21, 0, 0, 0, cst), "节日值班"},
			{"DateShiftOvernight", time.Date(2026, 12, 10, 5, 59, 0, 0, cst), "节日值班"},
			{"UTCInput", time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), "李警官"}, // 09:00 in China
		} {
			t.Run(tc.name, func(t *testing.T) {
				sh, ok, err := s.OnDuty(ctx, "s1-police", tc.at)
				if err != nil {
					t.Fatal(err)
				}
				if ok != (tc.want != "") || sh.Name != tc.want {
					t.Fatalf("on duty = %q %v, want %q", sh.Name, ok, tc.want)
				}
			})
		}
	})
}

// TestSealer: secrets round-trip under their key only, and a kept key
// file gives the same key on the next start.
func TestSealer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	key, err := store.LoadOrCreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := store.LoadOrCreateKeyFile(path)
	if err != nil || string(again) != string(key) {
		t.Fatalf("kept key differs: %v", err)
	}
	s, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte(`{"secret":"SECabc"}`))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := s.Open(sealed); err != nil || string(plain) != `{"secret":"SECabc"}` {
		t.Fatalf("open = %q %v", plain, err)
	}
	if other, _ := s.Seal([]byte(`{"secret":"SECabc"}`)); other == sealed {
		t.Error("two seals of one value are equal: the nonce is not fresh")
	}
	otherKey, _ := store.ParseSecretKey("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	o, _ := store.NewSealer(otherKey)
	if _, err := o.Open(sealed); err == nil {
		t.Error("opened under another key")
	}
	if _, err := store.ParseSecretKey("short"); err == nil {
		t.Error("a short key was taken")
	}
}
