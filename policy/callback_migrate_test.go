package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// TestCallbackRulesMigration: a database whose rules were seeded before
// the call-back (回访) comes out of migration 202612031003_callback with
// exactly today's defaults, so a community secretary may record a
// call-back on a case filed in the community and a clerk may not; running
// it again adds nothing (and finds its columns already there).
func TestCallbackRulesMigration(t *testing.T) {
	const id = "202612031003_callback"
	if !slices.Contains(store.MigrationIDs(), id) {
		t.Fatalf("migration %s is not registered", id)
	}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, r := range DefaultRules() {
			if r.Action == Callback {
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
		c1 := users["c1-secretary"]
		obj := Object{OrgPath: string(c1.OrgPath), HolderOrgPath: string(c1.OrgPath)}
		checkDecision(t, p, c1, Callback, obj, true, "")
		checkDecision(t, p, users["s1-police"], Callback, obj, false, "default:deny")
		for _, col := range []string{"callback_required", "callback_status", "callbacks_json"} {
			if !s.DB.Migrator().HasColumn("cases", col) {
				t.Errorf("cases.%s missing", col)
			}
		}
		for _, tbl := range []string{"supervision_rollup", "supervision_facts", "supervision_published", "supervision_adjustments"} {
			if !s.DB.Migrator().HasColumn(tbl, "cb_unreached") || !s.DB.Migrator().HasColumn(tbl, "cb_expired") {
				t.Errorf("%s lacks the call-back counters", tbl)
			}
		}
	})
}
