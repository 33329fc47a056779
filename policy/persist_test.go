package policy

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// supervisorVerifies is a rule the defaults do not have.
var supervisorVerifies = Rule{Role: whistle.RoleSupervisor, Action: Verify, Relation: "chain", Name: "case:supervisor_verifies"}

func countRules(t *testing.T, p *Policy) int {
	t.Helper()
	rules, err := p.Rules(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(rules)
}

func TestSeededOnce(t *testing.T) {
	db := mustOpenDB(t)
	p := mustNew(t, db)
	want := len(DefaultRules())
	if got := countRules(t, p); got != want {
		t.Fatalf("after first New: %d rules, want %d", got, want)
	}
	p2 := mustNew(t, db)
	if got := countRules(t, p2); got != want {
		t.Fatalf("after second New: %d rules, want %d (seeded twice?)", got, want)
	}
	rules, _ := p.Rules(t.Context())
	for i, r := range DefaultRules() {
		got := rules[i]
		got.ID = 0
		if got != r {
			t.Fatalf("rule %d = %+v, want %+v", i, got, r)
		}
	}
}

func TestAddedRuleSurvivesNew(t *testing.T) {
	db := mustOpenDB(t)
	p := mustNew(t, db)
	sup := users["d1-supervisor"]
	obj := Object{OrgPath: c1, HolderOrgPath: d1}
	checkDecision(t, p, sup, Verify, obj, false, DefaultDeny)

	if err := p.AddRule(t.Context(), supervisorVerifies); err != nil {
		t.Fatal(err)
	}
	checkDecision(t, p, sup, Verify, obj, true, "")
	checkDecision(t, p, users["d2-supervisor"], Verify, obj, false, "case:supervisor_verifies")

	p2 := mustNew(t, db)
	checkDecision(t, p2, sup, Verify, obj, true, "")
	if got, want := countRules(t, p2), len(DefaultRules())+1; got != want {
		t.Fatalf("%d rules, want %d", got, want)
	}

	if err := p2.RemoveRule(t.Context(), supervisorVerifies); err != nil {
		t.Fatal(err)
	}
	checkDecision(t, p2, sup, Verify, obj, false, DefaultDeny)
	checkDecision(t, mustNew(t, db), sup, Verify, obj, false, DefaultDeny)
}

func TestEditErrors(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	ctx := t.Context()
	adminRule := Rule{Role: whistle.RoleAdmin, Action: Admin, Relation: "anywhere", Name: "admin:anywhere"}
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"UnknownRole", p.AddRule(ctx, Rule{Role: "root", Action: Admin, Relation: "anywhere", Name: "x"}), whistle.EInvalid},
		{"UnknownAction", p.AddRule(ctx, Rule{Role: whistle.RoleAdmin, Action: "case:delete", Relation: "anywhere", Name: "x"}), whistle.EInvalid},
		{"UnknownRelation", p.AddRule(ctx, Rule{Role: whistle.RoleAdmin, Action: Admin, Relation: "everywhere", Name: "x"}), whistle.EInvalid},
		{"NoName", p.AddRule(ctx, Rule{Role: whistle.RoleAdmin, Action: Admin, Relation: "anywhere"}), whistle.EInvalid},
		{"Duplicate", p.AddRule(ctx, adminRule), whistle.EConflict},
		{"RemoveMissing", p.RemoveRule(ctx, supervisorVerifies), whistle.ENotFound},
		{"RemoveLastAdminRule", p.RemoveRule(ctx, adminRule), whistle.EConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := whistle.ErrorCode(tt.err); got != tt.code {
				t.Fatalf("code %q (%v), want %q", got, tt.err, tt.code)
			}
		})
	}
	if got, want := countRules(t, p), len(DefaultRules()); got != want {
		t.Fatalf("refused edits changed the table: %d rules, want %d", got, want)
	}
	checkDecision(t, p, users["admin"], Admin, Object{}, true, "")
}

// TestMalformedRowIsSkipped: a hand-written bad row does not break decisions.
func TestMalformedRowIsSkipped(t *testing.T) {
	db := mustOpenDB(t)
	p := mustNew(t, db)
	bad := []store.PolicyRule{
		{PType: "p", V0: "clerk", V1: "case:file"}, // too short
		{PType: "p", V0: "clerk", V1: "case:file", V2: "anywhere", V3: "x", V4: "extra"},
		{PType: "g", V0: "alice", V1: "admin"}, // no role definitions in the model
		{PType: "p", V0: "clerk", V1: "case:verify", V2: "no_such_relation", V3: "x"},
	}
	if err := db.Create(&bad).Error; err != nil {
		t.Fatal(err)
	}
	if err := p.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkDecision(t, p, users["s1-police"], FileCase, Object{OrgPath: s1, HolderOrgPath: s1}, false, DefaultDeny)
	checkDecision(t, p, users["s1-police"], Verify, Object{OrgPath: s1, HolderOrgPath: s1}, false, "x")
	checkDecision(t, p, users["c1-secretary"], Summon, Object{HolderOrgPath: c1, DepartmentOrgPath: s1}, true, "")
}

// TestWatch: an edit through one instance reaches another that watches the
// same database — added, removed, or changed in place (same count, same ids).
func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.db")
	a := mustNew(t, mustOpenDBAt(t, path))
	b := mustNew(t, mustOpenDBAt(t, path))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stopped := make(chan struct{})
	go func() { a.Watch(ctx, 10*time.Millisecond); close(stopped) }()

	sup, obj := users["d1-supervisor"], Object{OrgPath: c1, HolderOrgPath: d1}
	waitFor := func(allowed bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for (a.Authorize(sup, Verify, obj) == nil) != allowed {
			if time.Now().After(deadline) {
				t.Fatalf("watching instance did not pick up the edit (want allowed=%v)", allowed)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	checkDecision(t, a, sup, Verify, obj, false, DefaultDeny)
	if err := b.AddRule(t.Context(), supervisorVerifies); err != nil {
		t.Fatal(err)
	}
	waitFor(true)
	if err := b.RemoveRule(t.Context(), supervisorVerifies); err != nil {
		t.Fatal(err)
	}
	waitFor(false)

	// An edit that keeps count and max(id): change a row in place.
	if err := b.db.Model(&store.PolicyRule{}).Where("v0 = ? AND v1 = ?", "supervisor", "case:read").
		Update("v1", "case:verify").Error; err != nil {
		t.Fatal(err)
	}
	// supervisor case:verify now has relation jurisdiction: d1 covers c1.
	waitFor(true)

	cancel()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after its context was cancelled")
	}
}
