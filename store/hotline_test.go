package store_test

import (
	"context"
	"strconv"
	"sync"
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

// TestClaimHotlineTicket: the first claim of a ticket number numbers its
// case; a later one, by either path, gets that claim back; a delivery is
// accepted once (an exact replay is refused, and a refusal records
// nothing); a webhook body differing from the webhook's first is a
// conflict, an import's never; the system posting an imported ticket
// adopts it; a forgotten delivery may come again.
func TestClaimHotlineTicket(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		tk := func(no, system, hash string) store.HotlineTicket {
			return store.HotlineTicket{TicketNo: no, SystemID: system, CaseID: "SB-" + no + "-" + hash, CallAt: time.Now(), RequestType: "投诉", BodyHash: hash}
		}
		delivery := func(sig string) *store.HotlineDelivery {
			return &store.HotlineDelivery{SignatureHash: sig, SystemID: "sys-a"}
		}
		deliveries := func() int64 {
			var n int64
			if err := s.DB.Model(&store.HotlineDelivery{}).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}

		first, created, err := s.ClaimHotlineTicket(ctx, tk("W-1", "sys-a", "h1"), delivery("sig-1"))
		if err != nil || !created || !store.IsCaseNumber(first.CaseNumber) || first.CaseID != "SB-W-1-h1" {
			t.Fatalf("first claim = %+v %v %v", first, created, err)
		}
		for _, tc := range []struct {
			name    string
			t       store.HotlineTicket
			d       *store.HotlineDelivery
			code    string
			systemA bool
		}{
			{"RedeliveredSameBody", tk("W-1", "sys-a", "h1"), delivery("sig-2"), "", true},
			{"ExactReplay", tk("W-1", "sys-a", "h1"), delivery("sig-2"), whistle.EReplayed, true},
			{"WebhookOtherBody", tk("W-1", "sys-a", "h2"), delivery("sig-3"), whistle.EConflict, true},
			{"ImportOtherBody", tk("W-1", "", "import"), nil, "", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := deliveries()
				got, created, err := s.ClaimHotlineTicket(ctx, tc.t, tc.d)
				if whistle.ErrorCode(err) != tc.code || created {
					t.Fatalf("= %v %v, want code %q", created, err, tc.code)
				}
				if tc.code != "" {
					if n := deliveries(); n != before {
						t.Errorf("a refusal recorded a delivery: %d → %d", before, n)
					}
					return
				}
				if got.CaseID != first.CaseID || got.CaseNumber != first.CaseNumber || got.SystemID != "sys-a" {
					t.Errorf("claim = %+v, want the first %+v", got, first)
				}
			})
		}

		// Imported first, then posted: no conflict, and the system adopts it.
		imp, created, err := s.ClaimHotlineTicket(ctx, tk("I-1", "", "import"), nil)
		if err != nil || !created {
			t.Fatalf("import claim = %v %v", created, err)
		}
		got, created, err := s.ClaimHotlineTicket(ctx, tk("I-1", "sys-a", "webhook"), delivery("sig-i"))
		if err != nil || created || got.CaseID != imp.CaseID || got.SystemID != "sys-a" {
			t.Errorf("webhook after import = %+v %v %v", got, created, err)
		}

		// A delivery whose filing failed is forgotten and may come again.
		if err := s.ForgetHotlineDelivery(ctx, "sig-i"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimHotlineTicket(ctx, tk("I-1", "sys-a", "webhook"), delivery("sig-i")); err != nil {
			t.Errorf("a forgotten delivery again = %v", err)
		}
		// Deliveries past the window are purged by the next claim.
		if err := s.DB.Model(&store.HotlineDelivery{}).Where("signature_hash = ?", "sig-1").
			Update("received_at", time.Now().Add(-store.HotlineDeliveryTTL-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClaimHotlineTicket(ctx, tk("W-1", "sys-a", "h1"), delivery("sig-4")); err != nil {
			t.Fatal(err)
		}
		var old int64
		s.DB.Model(&store.HotlineDelivery{}).Where("signature_hash = ?", "sig-1").Count(&old)
		if old != 0 {
			t.Errorf("a delivery past the window was kept")
		}
	})
}

// TestClaimHotlineTicketRace: a webhook delivery and an import of the same
// ticket, and two identical deliveries, racing: exactly one claim, one
// case id and one number; of two identical deliveries one is a replay.
func TestClaimHotlineTicketRace(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for round := 0; round < 10; round++ {
			no := "R-" + strconv.Itoa(round)
			type result struct {
				t       store.HotlineTicket
				created bool
				err     error
			}
			claims := []struct {
				t store.HotlineTicket
				d *store.HotlineDelivery
			}{
				{store.HotlineTicket{TicketNo: no, SystemID: "sys-a", CaseID: "SB-webhook-" + no, CallAt: time.Now(), BodyHash: "w"},
					&store.HotlineDelivery{SignatureHash: "sig-" + no, SystemID: "sys-a"}},
				{store.HotlineTicket{TicketNo: no, CaseID: "SB-import-" + no, CallAt: time.Now(), BodyHash: "i"}, nil},
				{store.HotlineTicket{TicketNo: no, SystemID: "sys-a", CaseID: "SB-webhook-" + no, CallAt: time.Now(), BodyHash: "w"},
					&store.HotlineDelivery{SignatureHash: "sig-" + no, SystemID: "sys-a"}},
			}
			results := make([]result, len(claims))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, c := range claims {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					got, created, err := s.ClaimHotlineTicket(ctx, c.t, c.d)
					results[i] = result{got, created, err}
				}()
			}
			close(start)
			wg.Wait()
			created, replayed := 0, 0
			var ids, numbers []string
			for i, r := range results {
				switch {
				case whistle.ErrorCode(r.err) == whistle.EReplayed && i != 1:
					replayed++
					continue
				case r.err != nil:
					t.Fatalf("round %d claim %d: %v", round, i, r.err)
				case r.created:
					created++
				}
				ids, numbers = append(ids, r.t.CaseID), append(numbers, r.t.CaseNumber)
			}
			if created != 1 || replayed != 1 {
				t.Fatalf("round %d: %d claims created, %d replays, want 1 and 1: %+v", round, created, replayed, results)
			}
			for i := range ids {
				if ids[i] != ids[0] || numbers[i] != numbers[0] || numbers[i] == "" {
					t.Fatalf("round %d: claims disagree: %v %v", round, ids, numbers)
				}
			}
			var n int64
			s.DB.Model(&store.HotlineTicket{}).Where("ticket_no = ?", no).Count(&n)
			if n != 1 {
				t.Fatalf("round %d: %d rows", round, n)
			}
		}
	})
}
