package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// TestAppealsRulesMigration: a database whose rules were seeded before
// issue 17's appeals and periodic evaluation comes out of migration
// 202612021705_appeals with exactly today's defaults, so a station's clerk
// may appeal and a street secretary rate; running it again adds nothing.
func TestAppealsRulesMigration(t *testing.T) {
	const id = "202612021705_appeals"
	if !slices.Contains(store.MigrationIDs(), id) {
		t.Fatalf("migration %s is not registered", id)
	}
	added := []Action{Appeal, AnswerAppeal, PeriodicEvaluate}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, r := range DefaultRules() {
			if slices.Contains(added, r.Action) {
				continue
			}
			row := newRow("p", r.values())
			if err := s.DB.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", id).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		p, err := New(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Rules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		key := func(r Rule) string { return string(r.Role) + " " + string(r.Action) + " " + r.Relation + " " + r.Name }
		var have, want []string
		for _, r := range got {
			have = append(have, key(r))
		}
		for _, r := range DefaultRules() {
			want = append(want, key(r))
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			t.Fatalf("rules after migration:\n%q\nwant today's defaults:\n%q", have, want)
		}
		checkDecision(t, p, users["s1-police"], Appeal, Object{DepartmentID: users["s1-police"].DepartmentID}, true, "")
		checkDecision(t, p, users["s1-secretary"], PeriodicEvaluate, Object{OrgPath: string(users["s1-secretary"].OrgPath), HolderOrgPath: string(users["s1-secretary"].OrgPath)}, true, "")
	})
}
