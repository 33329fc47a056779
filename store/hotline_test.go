package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// TestHotlineTickets: systems and their secrets, tickets idempotent on
// ticket_no (another body conflicts), the result following a merge to the
// surviving case with its last feedback, and a push recorded once per seq.
func TestHotlineTickets(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		sys, secret, err := s.CreateHotlineSystem(ctx, "12345 城东", "u-d1-commander", "110101")
		if err != nil {
			t.Fatal(err)
		}
		if secret == "" || sys.Secret != secret {
			t.Fatalf("secret = %q, row %q", secret, sys.Secret)
		}
		if _, _, err := s.CreateHotlineSystem(ctx, "x", "nope", "110101"); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Errorf("unknown user = %v, want invalid", err)
		}
		if _, _, err := s.CreateHotlineSystem(ctx, "x", "u-c1-secretary", "110101"); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Errorf("default unit above the user = %v, want invalid", err)
		}
		if got, err := s.HotlineSystem(ctx, sys.ID); err != nil || got.Secret != secret {
			t.Errorf("load = %+v %v", got, err)
		}
		if _, err := s.HotlineSystem(ctx, "nope"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unknown system = %v", err)
		}

		const c1 = "/110000/110101/110101001/110101001001/"
		now := time.Now().UTC().Truncate(time.Second)
		closed := now.Add(time.Hour)
		place := func(id string, status whistle.CaseStatus, outcome whistle.Outcome, mergedInto string, entries ...whistle.TimelineEntry) {
			c := whistle.Case{ID: id, Number: "20261202-0" + id[len(id)-4:], Title: "t", Source: whistle.SourceHotline, Class: whistle.ClassRoutine, Status: status,
				Outcome: outcome, MergedInto: mergedInto, Location: whistle.Location{Address: "和平里"},
				OrgUnitID: "110101001001", OrgPath: c1, Level: whistle.LevelCommunity, HolderOrgUnitID: "110101001001", HolderOrgPath: c1,
				FiledBy: "d1-commander", FiledByUserID: "u-d1-commander", CreatedAt: now, UpdatedAt: now, Seq: int64(len(entries)) + 1}
			if status == whistle.CaseClosed {
				c.ClosedAt = &closed
			}
			entries = append([]whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: "d1-commander"}}, entries...)
			if err := s.ApplyCase(ctx, c, entries); err != nil {
				t.Fatal(err)
			}
		}
		place("SB-HL-0001", whistle.CaseClosed, whistle.OutcomeResolved, "",
			whistle.TimelineEntry{Seq: 2, At: now, Type: whistle.EventFeedback, Actor: "s1-police", Detail: "已清理"})
		place("SB-HL-0002", whistle.CaseClosed, whistle.OutcomeMerged, "SB-HL-0001")

		tk := store.HotlineTicket{TicketNo: "T-0002", SystemID: sys.ID, CaseID: "SB-HL-0002", CaseNumber: "20261202-0-0002", CallAt: now,
			CallerName: "张三", CallerPhone: "13812341234", RequestType: "投诉", BodyHash: "h1"}
		if err := s.RecordHotlineTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordHotlineTicket(ctx, tk); err != nil {
			t.Errorf("the same ticket again = %v, want nil", err)
		}
		other := tk
		other.BodyHash = "h2"
		if err := s.RecordHotlineTicket(ctx, other); whistle.ErrorCode(err) != whistle.EConflict {
			t.Errorf("another body = %v, want conflict", err)
		}
		got, err := s.HotlineTicket(ctx, "T-0002")
		if err != nil || got.CallerPhone != "13812341234" || got.BodyHash != "h1" {
			t.Fatalf("ticket = %+v %v", got, err)
		}
		if _, err := s.HotlineTicket(ctx, "T-nope"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unknown ticket = %v", err)
		}
		if in, err := s.HotlineTicketsIn(ctx, []string{"T-0002", "T-nope"}); err != nil || len(in) != 1 {
			t.Errorf("tickets in = %v %v", in, err)
		}
		if _, ok, err := s.HotlineTicketOfCase(ctx, "SB-HL-0002"); !ok || err != nil {
			t.Errorf("ticket of case = %v %v", ok, err)
		}

		// The merged ticket follows the survivor: its result, its reply.
		following, err := s.HotlineTicketsFollowing(ctx, "SB-HL-0001")
		if err != nil || len(following) != 1 || following[0].TicketNo != "T-0002" {
			t.Fatalf("following = %+v %v", following, err)
		}
		r, err := s.HotlineResult(ctx, got)
		if err != nil {
			t.Fatal(err)
		}
		if r.MergedInto != "SB-HL-0001" || r.Outcome != "resolved" || r.Reply != "已清理" || r.Status != "closed" || r.ClosedAt == nil || r.CaseID != "SB-HL-0002" {
			t.Errorf("result = %+v", r)
		}

		if ok, err := s.MarkHotlinePushed(ctx, "T-0002", 3); !ok || err != nil {
			t.Errorf("first push = %v %v", ok, err)
		}
		if ok, err := s.MarkHotlinePushed(ctx, "T-0002", 3); ok || err != nil {
			t.Errorf("the same push again = %v %v, want false", ok, err)
		}
	})
}

// TestHotlineMigration: a database whose policy was seeded before
// 202612020006_hotline gets the case:read_personal rows on upgrade; an
// empty policy table is left for the defaults to seed.
func TestHotlineMigration(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		count := func() int64 {
			var n int64
			if err := s.DB.Raw("SELECT COUNT(*) FROM policy_rules WHERE v1 = 'case:read_personal'").Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 0 {
			t.Fatalf("an empty policy table got %d rows", n)
		}
		if err := s.DB.Exec("INSERT INTO policy_rules (p_type, v0, v1, v2, v3, v4, v5) VALUES ('p', 'admin', 'admin:manage', 'anywhere', 'admin:anywhere', '', '')").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = '202612020006_hotline'").Error; err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // twice: the second run adds nothing
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 3 {
				t.Fatalf("run %d: %d case:read_personal rows, want 3", i, n)
			}
			if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = '202612020006_hotline'").Error; err != nil {
				t.Fatal(err)
			}
		}
	})
}
