package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

func TestMigrateTwiceKeepsData(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		storetest.MustSeedDemo(t, s)
		var users, migrations int64
		s.DB.Model(&store.User{}).Count(&users)
		s.DB.Table("schema_migrations").Count(&migrations)
		if users != int64(len(store.DemoUsers)) {
			t.Errorf("users = %d after re-migrate and re-seed, want %d", users, len(store.DemoUsers))
		}
		if migrations != int64(len(store.MigrationIDs())) {
			t.Errorf("schema_migrations rows = %d, want %d", migrations, len(store.MigrationIDs()))
		}
	})
}

func TestDemoUsers(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		tests := []struct {
			username, role, orgUnit, dept string
		}{
			{"admin", "admin", "110000", ""},
			{"city-commander", "commander", "110000", ""},
			{"d1-commander", "commander", "110101", ""},
			{"s1-secretary", "street_secretary", "110101001", ""},
			{"c1-secretary", "community_secretary", "110101001001", ""},
			{"c3-secretary", "community_secretary", "110101002001", ""},
			{"g1-worker", "grid_worker", "110101001001001", ""},
			{"s1-police", "clerk", "110101001", "s1-police"},
			{"s1-market", "clerk", "110101001", "s1-market"},
			{"s1-citymgmt", "clerk", "110101001", "s1-citymgmt"},
			{"d1-police", "clerk", "110101", "d1-police"},
			{"d1-supervisor", "supervisor", "110101", ""},
			{"d2-supervisor", "supervisor", "110102", ""},
		}
		for _, tt := range tests {
			t.Run(tt.username, func(t *testing.T) {
				u, err := s.UserByUsername(ctx, tt.username)
				if err != nil {
					t.Fatal(err)
				}
				dept := ""
				if u.DepartmentID != nil {
					dept = *u.DepartmentID
				}
				if u.Role != tt.role || u.OrgUnitID != tt.orgUnit || dept != tt.dept {
					t.Errorf("got role %s org %s dept %s, want %s %s %s", u.Role, u.OrgUnitID, dept, tt.role, tt.orgUnit, tt.dept)
				}
				unit, err := s.OrgUnit(ctx, u.OrgUnitID)
				if err != nil {
					t.Fatal(err)
				}
				if u.OrgPath != unit.Path {
					t.Errorf("user path %q != org unit path %q", u.OrgPath, unit.Path)
				}
			})
		}
		if _, err := s.UserByUsername(ctx, "nobody"); whistle.ErrorCode(err) != whistle.ENotFound {
			t.Errorf("unknown user: got %v, want not_found", err)
		}
	})
}

func TestChain(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		storetest.MustSeedDemo(t, s)
		tests := []struct {
			unit string
			want []string
		}{
			{"110101001001001", []string{"110101001001", "110101001", "110101", "110000"}}, // a grid files at its community
			{"110101001001", []string{"110101001001", "110101001", "110101", "110000"}},
			{"110101001", []string{"110101001", "110101", "110000"}},
			{"110000", []string{"110000"}},
		}
		for _, tt := range tests {
			chain, err := s.Chain(context.Background(), tt.unit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range chain {
				got = append(got, o.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Chain(%s) = %v, want %v", tt.unit, got, tt.want)
			}
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.MustSeedDemo(t, s)
		u, _ := s.UserByUsername(ctx, "c1-secretary")
		good, err := s.IssueToken(ctx, u.ID, "test", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		expired, _ := s.IssueToken(ctx, u.ID, "old", time.Hour)
		s.DB.Model(&store.APIToken{}).Where("hash = ?", store.HashToken(expired)).Update("expires_at", time.Now().Add(-time.Minute))
		revoked, _ := s.IssueToken(ctx, u.ID, "gone", time.Hour)
		if err := s.RevokeToken(ctx, revoked); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, token, code string
		}{
			{"Valid", good, ""},
			{"Unknown", "sb_nonsense", whistle.EUnauthorized},
			{"Empty", "", whistle.EUnauthorized},
			{"Expired", expired, whistle.EUnauthorized},
			{"Revoked", revoked, whistle.EUnauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.UserByToken(ctx, tt.token)
				if code := whistle.ErrorCode(err); code != tt.code {
					t.Fatalf("code = %q (%v), want %q", code, err, tt.code)
				}
				if tt.code == "" && got.Username != "c1-secretary" {
					t.Errorf("user = %s", got.Username)
				}
			})
		}
		var stored store.APIToken
		s.DB.Where("hash = ?", store.HashToken(good)).Take(&stored)
		if stored.Hash == good || stored.Hash == "" {
			t.Error("token must be stored hashed")
		}
	})
}

func TestSLAPolicyFor(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if err := s.SeedDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutSLAPolicy(ctx, store.SLAPolicy{Class: "key", Level: "district", ReportWithin: "1h", HandleWithin: "2d", EvaluateWithin: "3d", DefaultSatisfaction: "satisfied"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutSLAPolicy(ctx, store.SLAPolicy{Class: "emergency", ReportWithin: "2s", HandleWithin: "10s", EvaluateWithin: "3d", DefaultSatisfaction: "satisfied"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			class          whistle.Class
			level          whistle.Level
			report, handle string
		}{
			{whistle.ClassRoutine, whistle.LevelCommunity, "1d", "7d"},
			{whistle.ClassCoordination, whistle.LevelStreet, "2d", "15d"},
			{whistle.ClassKey, whistle.LevelStreet, "2h", "3d"},
			{whistle.ClassKey, whistle.LevelDistrict, "1h", "2d"},
			{whistle.ClassEmergency, whistle.LevelCommunity, "2s", "10s"},
		}
		for _, tt := range tests {
			p, err := s.SLAPolicyFor(ctx, tt.class, tt.level)
			if err != nil {
				t.Fatal(err)
			}
			if p.ReportWithin != tt.report || p.HandleWithin != tt.handle {
				t.Errorf("%s/%s = %s/%s, want %s/%s", tt.class, tt.level, p.ReportWithin, p.HandleWithin, tt.report, tt.handle)
			}
		}
		var n int64
		s.DB.Model(&store.SLAPolicy{}).Where("class = ?", "emergency").Count(&n)
		if n != 1 {
			t.Errorf("emergency rows = %d after a replace, want 1", n)
		}
		days, err := s.CalendarDays(ctx)
		if err != nil || len(days) == 0 {
			t.Fatalf("calendar days = %d, %v; want the shipped calendar", len(days), err)
		}
	})
}

func sampleCase(id string, seq int64, status whistle.CaseStatus) whistle.Case {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	return whistle.Case{
		ID: id, Title: "酒吧街噪音扰民", Description: "夜间噪音", Category: "治安秩序", Source: whistle.SourceGrid,
		Class: whistle.ClassRoutine, Status: status, Level: whistle.LevelCommunity,
		OrgUnitID: "110101001001", OrgPath: "/110000/110101/110101001/110101001001/",
		HolderOrgUnitID: "110101001001", HolderOrgPath: "/110000/110101/110101001/110101001001/",
		FiledBy: "c1-secretary", FiledByUserID: "u-c1-secretary", CreatedAt: at, UpdatedAt: at.Add(time.Duration(seq) * time.Minute), Seq: seq,
		Tasks: []whistle.Task{{ID: id + "-t1", CaseID: id, DepartmentID: "s1-police", Status: whistle.TaskSummoned, SummonedAt: at,
			ReportDeadline: at.Add(24 * time.Hour), HandleDeadline: at.Add(7 * 24 * time.Hour)}},
	}
}

func TestApplyCaseIsIdempotentAndOrderSafe(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		v1 := sampleCase("c-1", 2, whistle.CaseOpen)
		e1 := []whistle.TimelineEntry{{Seq: 1, At: at, Type: whistle.EventFiled, Actor: "c1-secretary"}, {Seq: 2, At: at, Type: whistle.EventSummoned, Actor: "c1-secretary", TaskID: "c-1-t1"}}
		v2 := sampleCase("c-1", 3, whistle.CaseOpen)
		v2.Tasks[0].Status = whistle.TaskReported
		e2 := []whistle.TimelineEntry{{Seq: 3, At: at, Type: whistle.EventReported, Actor: "s1-police", TaskID: "c-1-t1"}}
		for i, step := range []struct {
			c       whistle.Case
			entries []whistle.TimelineEntry
		}{{v1, e1}, {v1, e1}, {v2, e2}, {v2, e2}, {v1, e1}} { // retries and a late stale write
			if err := s.ApplyCase(ctx, step.c, step.entries); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		got, err := s.Case(ctx, "c-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Seq != 3 || got.Tasks[0].Status != whistle.TaskReported {
			t.Errorf("seq %d task %s: a stale write rolled the case back", got.Seq, got.Tasks[0].Status)
		}
		if len(got.Timeline) != 3 {
			t.Fatalf("timeline has %d entries, want 3 (one per seq)", len(got.Timeline))
		}
		for i, e := range got.Timeline {
			if e.Seq != int64(i+1) {
				t.Errorf("timeline[%d].Seq = %d", i, e.Seq)
			}
		}
		if got.Title != v1.Title || got.OrgPath != v1.OrgPath || !got.Tasks[0].ReportDeadline.Equal(v1.Tasks[0].ReportDeadline) {
			t.Errorf("round trip lost fields: %+v", got)
		}
	})
}

func TestListCasesInJurisdiction(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c1 := sampleCase("c-c1", 1, whistle.CaseOpen)
		c3 := sampleCase("c-c3", 1, whistle.CaseClosed)
		c3.OrgUnitID, c3.OrgPath = "110101002001", "/110000/110101/110101002/110101002001/"
		c3.HolderOrgUnitID, c3.HolderOrgPath = c3.OrgUnitID, c3.OrgPath
		c3.Tasks[0].DepartmentID = "s2-police"
		c4 := sampleCase("c-c4", 1, whistle.CaseOpen)
		c4.OrgUnitID, c4.OrgPath, c4.Overdue = "110102001001", "/110000/110102/110102001/110102001001/", true
		c4.HolderOrgUnitID, c4.HolderOrgPath = c4.OrgUnitID, c4.OrgPath
		c4.Tasks[0].DepartmentID = "s3-police"
		c4.CreatedAt = c4.CreatedAt.Add(time.Hour)
		c4.FiledBy, c4.FiledByUserID = "c3-secretary", "u-c3-secretary"
		// Filed at district 2 and dispatched down to its street: the
		// street sees it (held in its subtree), a district-1 unit does not.
		d2 := sampleCase("c-d2", 1, whistle.CaseOpen)
		d2.OrgUnitID, d2.OrgPath = "110102", "/110000/110102/"
		d2.HolderOrgUnitID, d2.HolderOrgPath, d2.Level = "110102001", "/110000/110102/110102001/", whistle.LevelStreet
		d2.Tasks[0].DepartmentID = "s3-market"
		d2.CreatedAt = c4.CreatedAt.Add(time.Hour)
		for _, c := range []whistle.Case{c1, c3, c4, d2} {
			if err := s.ApplyCase(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		yes := true
		tests := []struct {
			name string
			f    store.CaseFilter
			want []string
		}{
			{"City", store.CaseFilter{Scope: store.Scope{PathPrefix: "/110000/"}}, []string{"c-d2", "c-c4", "c-c3", "c-c1"}},
			{"District1", store.CaseFilter{Scope: store.Scope{PathPrefix: "/110000/110101/"}}, []string{"c-c3", "c-c1"}},
			{"Street1", store.CaseFilter{Scope: store.Scope{PathPrefix: "/110000/110101/110101001/"}}, []string{"c-c1"}},
			{"Street3HeldDispatched", store.CaseFilter{Scope: store.Scope{PathPrefix: "/110000/110102/110102001/"}}, []string{"c-d2", "c-c4"}},
			{"Department", store.CaseFilter{Scope: store.Scope{DepartmentID: "s2-police"}}, []string{"c-c3"}},
			{"NoScopeSeesNothing", store.CaseFilter{}, nil},
			{"Status", store.CaseFilter{Scope: store.Scope{All: true}, Status: "closed"}, []string{"c-c3"}},
			{"Overdue", store.CaseFilter{Scope: store.Scope{All: true}, Overdue: &yes}, []string{"c-c4"}},
			{"Query", store.CaseFilter{Scope: store.Scope{All: true}, Query: "酒吧"}, []string{"c-d2", "c-c4", "c-c3", "c-c1"}},
			{"QueryMiss", store.CaseFilter{Scope: store.Scope{All: true}, Query: "积水"}, nil},
			{"DepartmentFilter", store.CaseFilter{Scope: store.Scope{All: true}, DepartmentID: "s3-police"}, []string{"c-c4"}},
			{"FiledBy", store.CaseFilter{Scope: store.Scope{All: true}, FiledBy: "u-c3-secretary"}, []string{"c-c4"}},
			{"FiledByInsideScope", store.CaseFilter{Scope: store.Scope{PathPrefix: "/110000/110101/"}, FiledBy: "u-c3-secretary"}, nil},
			{"Page2", store.CaseFilter{Scope: store.Scope{All: true}, Page: store.Page{Page: 2, PageSize: 2}}, []string{"c-c3", "c-c1"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, total, err := s.ListCases(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, c := range got {
					ids = append(ids, c.ID)
					if len(c.Tasks) != 1 {
						t.Errorf("case %s listed with %d tasks", c.ID, len(c.Tasks))
					}
				}
				if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
					t.Errorf("got %v, want %v", ids, tt.want)
				}
				if tt.f.Page.Page == 0 && total != int64(len(tt.want)) {
					t.Errorf("total = %d, want %d", total, len(tt.want))
				}
			})
		}
	})
}

func TestInboxMostUrgentFirst(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := sampleCase("c-a", 1, whistle.CaseOpen) // summoned: report deadline +24h
		b := sampleCase("c-b", 1, whistle.CaseOpen)
		b.Tasks[0].Status = whistle.TaskReported // reported: handle deadline +7d
		c := sampleCase("c-c", 1, whistle.CaseOpen)
		c.Tasks[0].ReportDeadline = a.Tasks[0].ReportDeadline.Add(-time.Hour)
		d := sampleCase("c-d", 1, whistle.CaseClosed)
		d.Tasks[0].Status = whistle.TaskDone
		for _, x := range []whistle.Case{a, b, c, d} {
			if err := s.ApplyCase(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, total, err := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s1-police"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range got {
			ids = append(ids, v.CaseID)
		}
		if want := "[c-c c-a c-b]"; fmt.Sprint(ids) != want || total != 3 {
			t.Errorf("inbox = %v (total %d), want %s", ids, total, want)
		}
		if got[0].CaseTitle == "" || !got[0].NextDeadline.Equal(c.Tasks[0].ReportDeadline) {
			t.Errorf("inbox row lacks case title or deadline: %+v", got[0])
		}
		other, _, _ := s.ListTasks(ctx, store.TaskFilter{DepartmentID: "s2-police"})
		if len(other) != 0 {
			t.Errorf("another department sees %d tasks", len(other))
		}
	})
}
