package policy

import (
	"context"
	"slices"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/store/storetest"
)

// issue14Actions are the actions migration 202612021402 gives rows to.
var issue14Actions = []Action{Urge, SuperviseCase, AnswerOrder}

// TestFollowupRulesMigration: a database seeded with the rules shipped
// before issue 14 (today's defaults without its rows) and an admin's own
// rule comes out of migration 202612021402 with today's defaults and the
// admin's rule, twice run or not: a supervisor may then urge and issue
// orders in its district, a clerk answer for its department.
func TestFollowupRulesMigration(t *testing.T) {
	const id = "202612021402_followup_rules"
	if !slices.Contains(store.MigrationIDs(), id) {
		t.Fatalf("migration %s is not registered", id)
	}
	custom := Rule{Role: "street_secretary", Action: SuperviseCase, Relation: "jurisdiction", Name: "local:street_supervises"}
	storetest.ForEachDB(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, r := range append(DefaultRules(), custom) {
			if slices.Contains(issue14Actions, r.Action) && r != custom {
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
		sup, clerk := users["d1-supervisor"], users["s1-police"]
		inDistrict := Object{OrgPath: s1, HolderOrgPath: s1, DepartmentID: dept(s1)}
		checkDecision(t, p, sup, Urge, inDistrict, false, DefaultDeny)
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
		for _, r := range append(DefaultRules(), custom) {
			want = append(want, key(r))
		}
		slices.Sort(have)
		slices.Sort(want)
		if !slices.Equal(have, want) {
			t.Fatalf("rules after migration:\n%q\nwant today's defaults and the admin's rule:\n%q", have, want)
		}
		checkDecision(t, p, sup, Urge, inDistrict, true, "")
		checkDecision(t, p, sup, SuperviseCase, inDistrict, true, "")
		checkDecision(t, p, clerk, AnswerOrder, Object{DepartmentID: clerk.DepartmentID}, true, "")
		checkDecision(t, p, users["s1-secretary"], SuperviseCase, inDistrict, true, "") // the admin's rule stays
	})
}
