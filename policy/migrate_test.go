package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
	"github.com/shaobao/shaobao/whistle"
)

// previousDefaults are the rules the policy shipped before grid workers
// lost their decisions: today's defaults without case:whistle, plus the
// grid worker's escalate and answer-extension rows.
func previousDefaults() []Rule {
	var out []Rule
	for _, r := range DefaultRules() {
		if r.Action != Whistle {
			out = append(out, r)
		}
	}
	return append(out,
		Rule{Role: whistle.RoleGridWorker, Action: Escalate, Relation: "grid_holder", Name: "case:holder_level"},
		Rule{Role: whistle.RoleGridWorker, Action: AnswerExtension, Relation: "grid_holder", Name: "case:holder_level"})
}

// TestGridWorkerRulesMigration: a database seeded with the previous
// defaults (and an admin's own grid worker rule) comes out of migration
// 202612020001 with exactly today's defaults plus the admin's rule, so a
// grid worker there may no longer escalate, answer extensions or whistle
// more, while a secretary still whistles; a database whose rules are not
// seeded yet stays empty for the policy to seed.
func TestGridWorkerRulesMigration(t *testing.T) {
	const id = "202612020001_grid_worker_rules"
	if !slices.Contains(store.MigrationIDs(), id) {
		t.Fatalf("migration %s is not registered", id)
	}
	custom := Rule{Role: whistle.RoleGridWorker, Action: Escalate, Relation: "holder", Name: "local:grid_escalates_own"}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var n int64
		if err := s.DB.Model(&store.PolicyRule{}).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("a fresh database has %d rules (%v), want none before the policy seeds", n, err)
		}
		for _, r := range append(previousDefaults(), custom) {
			row := newRow("p", r.values())
			if err := s.DB.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		// Upgrade: the migration has not run on this database yet.
		if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
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
		for _, r := range append(DefaultRules(), custom) {
			want = append(want, key(r))
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			t.Fatalf("rules after migration:\n%q\nwant today's defaults and the admin's rule:\n%q", have, want)
		}
		g1 := users["g1-worker"]
		held := Object{OrgPath: string(g1.OrgPath), HolderOrgPath: c1}
		checkDecision(t, p, g1, AnswerExtension, held, false, DefaultDeny)
		checkDecision(t, p, g1, Whistle, held, false, DefaultDeny)
		checkDecision(t, p, g1, Escalate, held, false, "local:grid_escalates_own") // the admin's rule stays, and holds only at g1
		checkDecision(t, p, users["c1-secretary"], Whistle, held, true, "")
	})
}

// issue13Actions are the actions migration 202612021303 gives rows to.
var issue13Actions = []Action{Dispatch, Recall, AnswerEscalation, AnswerReturn, Drop, SetLead, ApplyUnresolvable, AnswerUnresolvable, Release}

// TestTwowayRulesMigration: a database seeded with the rules shipped
// before issue 13 (today's defaults without its rows) comes out of
// migration 202612021303 with exactly today's defaults, twice run or
// not, so d1-commander may whistle s1-police and dispatch there.
func TestTwowayRulesMigration(t *testing.T) {
	const id = "202612021303_twoway_rules"
	if !slices.Contains(store.MigrationIDs(), id) {
		t.Fatalf("migration %s is not registered", id)
	}
	before := func(r Rule) bool {
		return !slices.Contains(issue13Actions, r.Action) && r.Relation != "command_summon"
	}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, r := range DefaultRules() {
			if !before(r) {
				continue
			}
			row := newRow("p", r.values())
			if err := s.DB.Create(&row).Error; err != nil {
				t.Fatal(err)
			}
		}
		p, err := New(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		d1c := users["d1-commander"]
		below := Object{OrgPath: d1, HolderOrgPath: d1, DepartmentID: dept(s1), DepartmentOrgPath: s1}
		checkDecision(t, p, d1c, Summon, below, false, "case:summon_scope")
		for range 2 { // a second run adds nothing
			if err := s.DB.Exec("DELETE FROM schema_migrations WHERE id = ?", id).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Reload(ctx); err != nil {
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
		checkDecision(t, p, d1c, Summon, below, true, "")
		checkDecision(t, p, d1c, Dispatch, Object{OrgPath: d1, HolderOrgPath: d1}, true, "")
		checkDecision(t, p, users["s1-police"], Release, Object{TaskDepartmentIDs: []string{dept(s1)}}, true, "")
	})
}
