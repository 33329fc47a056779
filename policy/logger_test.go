package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
)

// The policy logs through the logger it was given, at its level and in its
// format, and nothing through slog.Default (which ignored --log-format
// and --log-level).
func TestPolicyLogsThroughItsLogger(t *testing.T) {
	var stray bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&stray, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(prev)

	for _, tc := range []struct {
		name  string
		level slog.Level
		want  []string // messages logged, in order
	}{
		{"Info", slog.LevelInfo, []string{"policy: seeded default rules", "policy: skipping malformed rule", "policy: rules reloaded"}},
		{"WarnHidesInfo", slog.LevelWarn, []string{"policy: skipping malformed rule"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			db := mustOpenDB(t)
			p, err := New(t.Context(), db, WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level}))))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Create(&store.PolicyRule{PType: "p", V0: "clerk", V1: "case:file"}).Error; err != nil {
				t.Fatal(err)
			}
			if err := p.refresh(t.Context()); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				var line struct{ Msg, Level string }
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("not a JSON line: %q: %v", l, err)
				}
				got = append(got, line.Msg)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("logged %q, want %q", got, tc.want)
			}
		})
	}
	if stray.Len() > 0 {
		t.Errorf("the policy logged through slog.Default:\n%s", stray.String())
	}
}

// A refusal names its rule for the log as well as in its message; an
// allowed request or another error names none.
func TestRefusingRule(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"NoRuleForTheRole", p.Authorize(users["g1-worker"], Admin, Object{}), DefaultDeny},
		{"RuleWhoseRelationFails", p.Authorize(users["s1-police"], ReportTask, Object{DepartmentID: dept(d1)}), "task:own_department"},
		{"Allowed", p.Authorize(users["s1-police"], ReportTask, Object{DepartmentID: dept(s1)}), ""},
		{"Wrapped", fmt.Errorf("report: %w", p.Authorize(users["s1-police"], ReportTask, Object{DepartmentID: dept(d1)})), "task:own_department"},
		{"OtherError", whistle.Errorf(whistle.EConflict, "冲突", "conflict"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RefusingRule(tc.err); got != tc.want {
				t.Errorf("RefusingRule(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
