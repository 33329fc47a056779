package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/shaobao/shaobao/whistle"
)

// TestMergedFilerReadsSurvivor: the filer of a merged case follows the
// surviving case (并案: both filers see its progress) even where the
// survivor lies outside the filer's jurisdiction, as one handed down from
// another unit can. It grants reading only: any other action on the
// survivor is refused naming the rule, and users who filed nothing merged
// into it still get "not found".
func TestMergedFilerReadsSurvivor(t *testing.T) {
	srv, st := newServer(t)
	ctx := context.Background()
	now := time.Now().UTC()
	const (
		community1 = "/110000/110101/110101001/110101001001/"
		community3 = "/110000/110101/110101002/110101002001/"
	)
	project := func(c whistle.Case) {
		t.Helper()
		c.Title, c.Category, c.Source, c.Class, c.Level = "井盖缺失", "市政设施", whistle.SourceGrid, whistle.ClassKey, whistle.LevelCommunity
		c.Location, c.CreatedAt, c.UpdatedAt, c.Seq = whistle.Location{Address: "光明路 3 号"}, now, now, 1
		c.HolderOrgUnitID, c.HolderOrgPath = c.OrgUnitID, c.OrgPath
		if err := st.ApplyCase(ctx, c, []whistle.TimelineEntry{{Seq: 1, At: now, Type: whistle.EventFiled, Actor: c.FiledBy}}); err != nil {
			t.Fatal(err)
		}
	}
	// The survivor, in community 3 (street 2): outside g1-worker's community.
	project(whistle.Case{ID: "SB-SURVIVOR", Status: whistle.CaseOpen, OrgUnitID: "110101002001", OrgPath: community3,
		FiledBy: "c3-secretary", FiledByUserID: "u-c3-secretary"})
	// g1-worker's report, merged into it.
	closed := now
	project(whistle.Case{ID: "SB-MERGED", Status: whistle.CaseClosed, Outcome: whistle.OutcomeMerged, MergedInto: "SB-SURVIVOR", ClosedAt: &closed,
		OrgUnitID: "110101001001001", OrgPath: community1 + "110101001001001/", FiledBy: "g1-worker", FiledByUserID: "u-g1-worker"})
	// Another community-3 case nothing was merged into.
	project(whistle.Case{ID: "SB-OTHER", Status: whistle.CaseOpen, OrgUnitID: "110101002001", OrgPath: community3,
		FiledBy: "c3-secretary", FiledByUserID: "u-c3-secretary"})

	g1, c1, c3 := token(t, st, "g1-worker"), token(t, st, "c1-secretary"), token(t, st, "c3-secretary")
	for _, tt := range []struct {
		name, tok, method, path, body string
		status                        int
	}{
		{"FilerReadsSurvivor", g1, "GET", "/api/v1/cases/SB-SURVIVOR", "", 200},
		{"FilerReadsOwnMergedCase", g1, "GET", "/api/v1/cases/SB-MERGED", "", 200},
		{"FilerCannotReadOtherCases", g1, "GET", "/api/v1/cases/SB-OTHER", "", 404},
		{"FilerCannotActOnSurvivor", g1, "POST", "/api/v1/cases/SB-SURVIVOR/escalate", `{"reason":"x"}`, 403},
		{"SameCommunityNotFiler", c1, "GET", "/api/v1/cases/SB-SURVIVOR", "", 404},
		{"SurvivorsOwnCommunity", c3, "GET", "/api/v1/cases/SB-SURVIVOR", "", 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.tok, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("got %d %v, want %d", r.status, r.body, tt.status)
			}
		})
	}
	// The store query behind it.
	if ok, err := st.FiledCaseMergedInto(ctx, "u-g1-worker", "SB-SURVIVOR"); err != nil || !ok {
		t.Errorf("FiledCaseMergedInto(g1-worker, survivor) = %v, %v; want true", ok, err)
	}
	if ok, err := st.FiledCaseMergedInto(ctx, "u-c1-secretary", "SB-SURVIVOR"); err != nil || ok {
		t.Errorf("FiledCaseMergedInto(c1-secretary, survivor) = %v, %v; want false", ok, err)
	}
}
