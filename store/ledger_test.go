package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// ledgerOf is the ledger of f, by case id.
func ledgerOf(t *testing.T, s *store.Store, f store.CaseFilter) ([]string, map[string]store.LedgerRow) {
	t.Helper()
	var ids []string
	rows := map[string]store.LedgerRow{}
	if err := s.EachLedgerRow(context.Background(), f, func(r store.LedgerRow) error {
		ids = append(ids, r.ID)
		rows[r.ID] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids, rows
}

// TestLedgerColumns: a closed case's row carries what the ledger shows:
// its unit's name, place, times, outcome and failed verifications; the
// departments are the names of the departments summoned, in summon order,
// a dropped task's left out and a department summoned again right after
// itself named once; a case without tasks has none.
func TestLedgerColumns(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		storetest.MustSeedDemo(t, s)
		c := problem("D1", pathC1, grid1, "占道经营", 1)
		c.Location.Address = "和平里酒吧街 12 号"
		verified, closed := c.CreatedAt.Add(50*time.Hour), c.CreatedAt.Add(60*time.Hour)
		c.Status, c.Outcome, c.VerifiedAt, c.ClosedAt = whistle.CaseClosed, whistle.OutcomeResolved, &verified, &closed
		c.VerifyFailures, c.Overdue = 2, true
		at := c.CreatedAt
		// Task ids run against the summon order: the column follows the clock.
		police := task(c.ID, 5, "s1-police", at)
		police.DepartmentName = "和平派出所"
		market := task(c.ID, 4, "s1-citymgmt", at.Add(time.Hour))
		market.DepartmentName, market.Status, market.DroppedAt = "和平城管执法队", whistle.TaskDropped, tp(at.Add(90*time.Minute))
		again := task(c.ID, 3, "s1-police", at.Add(2*time.Hour)) // right after police once the dropped task is out
		again.DepartmentName = "和平派出所"
		city := task(c.ID, 2, "s1-citymgmt", at.Add(3*time.Hour))
		city.DepartmentName = "和平城管执法队"
		back := task(c.ID, 1, "s1-police", at.Add(4*time.Hour)) // after another department: named again
		back.DepartmentName = "和平派出所"
		c.Tasks = []whistle.Task{police, market, again, city, back}
		none := problem("D2", pathC1, "", "噪音扰民", 2)
		// A name holding the separator stays whole, and a name equal to a
		// part of the previous one is no repeat.
		joint := problem("D3", pathC1, "", "噪音扰民", 3)
		joint.Tasks = []whistle.Task{task(joint.ID, 1, "s1-police", joint.CreatedAt), task(joint.ID, 2, "s1-police", joint.CreatedAt.Add(time.Hour)),
			task(joint.ID, 3, "s1-citymgmt", joint.CreatedAt.Add(2*time.Hour))}
		joint.Tasks[0].DepartmentName, joint.Tasks[1].DepartmentName, joint.Tasks[2].DepartmentName = "和平派出所、治安队", "和平派出所、治安队", "治安队"
		projectAll(t, s, []whistle.Case{c, none, joint})

		ids, rows := ledgerOf(t, s, store.CaseFilter{Scope: store.Scope{PathPrefix: pathS1}})
		if fmt.Sprint(ids) != "[D1 D2 D3]" {
			t.Fatalf("ledger %v, want [D1 D2 D3]", ids)
		}
		got := rows["D1"]
		if want := "和平派出所、和平城管执法队、和平派出所"; got.Departments != want {
			t.Errorf("departments %q, want %q", got.Departments, want)
		}
		if want := "和平派出所、治安队、治安队"; rows["D3"].Departments != want {
			t.Errorf("departments %q, want %q", rows["D3"].Departments, want)
		}
		if got.UnitName != "和平里社区" || got.OrgUnitID != "110101001001" || got.GridID != grid1 || got.Address != c.Location.Address ||
			got.Number != c.Number || got.Title != c.Title || got.Category != "占道经营" || got.Source != string(whistle.SourceGrid) ||
			got.Class != string(whistle.ClassRoutine) || got.Level != string(whistle.LevelCommunity) || got.Status != string(whistle.CaseClosed) ||
			!got.Overdue || got.Outcome != string(whistle.OutcomeResolved) || got.VerifyFailures != 2 {
			t.Errorf("row %+v", got)
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.VerifiedAt == nil || !got.VerifiedAt.Equal(verified) || got.ClosedAt == nil || !got.ClosedAt.Equal(closed) {
			t.Errorf("times: filed %v verified %v closed %v, want %v %v %v", got.CreatedAt, got.VerifiedAt, got.ClosedAt, c.CreatedAt, verified, closed)
		}
		if r := rows["D2"]; r.Departments != "" || r.GridID != "" || r.VerifiedAt != nil || r.ClosedAt != nil || r.Outcome != "" {
			t.Errorf("case without tasks: %+v", r)
		}

		// Rows as a release without stored names wrote them during a
		// rolling update (the names of an older version, or none): the
		// ledger reads their tasks and shows the same.
		if err := s.DB.Exec("UPDATE cases SET ledger_names = 'stale', ledger_names_seq = seq - 1 WHERE id = 'D1'").Error; err != nil {
			t.Fatal(err)
		}
		if err := s.DB.Exec("UPDATE cases SET ledger_names = NULL, ledger_names_seq = NULL WHERE id IN ('D2', 'D3')").Error; err != nil {
			t.Fatal(err)
		}
		_, reread := ledgerOf(t, s, store.CaseFilter{Scope: store.Scope{PathPrefix: pathS1}})
		for id, r := range rows {
			if reread[id].Departments != r.Departments {
				t.Errorf("%s read from its tasks: departments %q, want %q", id, reread[id].Departments, r.Departments)
			}
		}
	})
}

// TestLedgerUnitNames: every row names its filing unit, whichever the
// scope: a unit in the scope, a unit above it that handed the case down,
// a unit outside it whose case the scope holds, and under a department's
// or the filter's subtree; an unknown unit is named "".
func TestLedgerUnitNames(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		storetest.MustSeedDemo(t, s)
		in := problem("U1", pathC1, "", "占道经营", 1)
		above := problem("U2", pathD1, "", "占道经营", 2) // filed at the district, handed down to community 1
		above.HolderOrgUnitID, above.HolderOrgPath = "110101001001", pathC1
		across := problem("U3", pathC4, "", "占道经营", 3) // filed in another district, handed to community 1
		across.HolderOrgUnitID, across.HolderOrgPath = "110101001001", pathC1
		other := problem("U4", pathC3, "", "占道经营", 4)
		gone := problem("U5", pathC3, "", "占道经营", 5) // its unit since removed from the tree
		gone.OrgUnitID = "110101002009"
		for _, c := range []*whistle.Case{&in, &across} {
			c.Tasks = []whistle.Task{task(c.ID, 1, "s1-police", c.CreatedAt)}
		}
		projectAll(t, s, []whistle.Case{in, above, across, other, gone})
		want := map[string]string{"U1": "和平里社区", "U2": "城东区", "U3": "新华社区", "U4": "光明社区", "U5": ""}
		for _, tc := range []struct {
			name string
			f    store.CaseFilter
			ids  string
		}{
			{"Street", store.CaseFilter{Scope: store.Scope{PathPrefix: pathS1}}, "[U1 U2 U3]"},
			{"City", store.CaseFilter{Scope: store.Scope{All: true}}, "[U1 U2 U3 U4 U5]"},
			{"Department", store.CaseFilter{Scope: store.Scope{DepartmentID: "s1-police"}}, "[U1 U3]"},
			{"OrgInFilter", store.CaseFilter{Scope: store.Scope{All: true}, OrgPath: pathC4}, "[U3]"},
			{"OrgInScope", store.CaseFilter{Scope: store.Scope{PathPrefix: pathD1}, OrgPath: "/110000/110101/110101002/"}, "[U4 U5]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ids, rows := ledgerOf(t, s, tc.f)
				if fmt.Sprint(ids) != tc.ids {
					t.Fatalf("ledger %v, want %s", ids, tc.ids)
				}
				for _, id := range ids {
					if rows[id].UnitName != want[id] {
						t.Errorf("%s filed by %s: unit %q, want %q", id, rows[id].OrgUnitID, rows[id].UnitName, want[id])
					}
				}
			})
		}
	})
}

// TestLedgerMatchesList: for each filter, the ledger holds the cases GET
// /cases lists, in the same order (newest first).
func TestLedgerMatchesList(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		var cases []whistle.Case
		paths := []string{pathC1, pathC3, pathC4}
		for i := range 18 {
			c := problem(fmt.Sprintf("M%02d", i), paths[i%3], "", "占道经营", i/3) // three cases a day, one per community
			c.Number = fmt.Sprintf("20260501-%05d", 100+i)
			if i%4 == 0 {
				c.Status = whistle.CaseClosed
			}
			if i%5 == 0 {
				c.Class = whistle.ClassKey
			}
			c.Overdue = i%2 == 0
			if i%6 == 1 {
				c.Title = "夜市噪音 " + c.ID
			}
			if i%3 == 0 {
				c.Tasks = []whistle.Task{task(c.ID, 1, "s1-police", c.CreatedAt)}
			}
			cases = append(cases, c)
		}
		// Filed at the district, handed down to community 1: street 1's by
		// its holder alone.
		down := problem("M99", pathD1, "", "占道经营", 2)
		down.Number, down.HolderOrgUnitID, down.HolderOrgPath = "20260501-00999", "110101001001", pathC1
		cases = append(cases, down)
		projectAll(t, s, cases)
		from, to := leadersUntil.AddDate(0, 0, -4), leadersUntil.AddDate(0, 0, -1)
		yes := true
		for _, tc := range []struct {
			name string
			f    store.CaseFilter
		}{
			{"District", store.CaseFilter{Scope: store.Scope{PathPrefix: pathD1}}},
			{"Street", store.CaseFilter{Scope: store.Scope{PathPrefix: pathS1}}},
			{"OrgInScope", store.CaseFilter{Scope: store.Scope{PathPrefix: pathD1}, OrgPath: pathS1}},
			{"Period", store.CaseFilter{Scope: store.Scope{All: true}, From: &from, To: &to}},
			{"StatusAndClass", store.CaseFilter{Scope: store.Scope{All: true}, Status: "open", Class: "key"}},
			{"Overdue", store.CaseFilter{Scope: store.Scope{PathPrefix: pathD1}, Overdue: &yes}},
			{"Department", store.CaseFilter{Scope: store.Scope{DepartmentID: "s1-police"}}},
			{"Text", store.CaseFilter{Scope: store.Scope{All: true}, Query: "噪音"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.f.Page = store.Page{PageSize: 200}
				list, total, err := s.ListCases(ctx, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				if total == 0 || total == int64(len(cases)) {
					t.Fatalf("the filter keeps %d of %d cases: it tests nothing", total, len(cases))
				}
				want := make([]string, len(list))
				for i, c := range list {
					want[i] = c.ID
				}
				got, _ := ledgerOf(t, s, tc.f)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("ledger %v, list %v", got, want)
				}
				if tc.name == "Street" && !slices.Contains(got, "M99") {
					t.Errorf("street ledger %v misses the case handed down to it", got)
				}
			})
		}
	})
}

// TestLedgerStops: the writer's error ends the export and is returned.
func TestLedgerStops(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		storetest.MustSeedDemo(t, s)
		projectAll(t, s, []whistle.Case{problem("S1", pathC1, "", "占道经营", 1), problem("S2", pathC1, "", "占道经营", 2)})
		stop := errors.New("client gone")
		n := 0
		err := s.EachLedgerRow(context.Background(), store.CaseFilter{Scope: store.Scope{All: true}}, func(store.LedgerRow) error {
			n++
			return stop
		})
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("error %v after %d rows, want %v after 1", err, n, stop)
		}
	})
}
