package policy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// The demo city, as paths: city → districts d1, d2 → streets s1, s2 (d1)
// and s3 (d2) → communities c1, c2 (s1), c3 (s2), c4 (s3) → grids g1, g2 (c1).
const (
	city = "/110000/"
	d1   = city + "110101/"
	d2   = city + "110102/"
	s1   = d1 + "110101001/"
	s2   = d1 + "110101002/"
	s3   = d2 + "110102001/"
	c1   = s1 + "110101001001/"
	c2   = s1 + "110101001002/"
	c3   = s2 + "110101002001/"
	c4   = s3 + "110102001001/"
	g1   = c1 + "110101001001001/"
	g2   = c1 + "110101001001002/"
)

// dept names the department stationed at unit (a street's squads, a
// district's bureau, a city department).
func dept(unit string) string { return "dept" + unit }

func user(name string, role whistle.Role, path string) whistle.Actor {
	return whistle.Actor{UserID: "u-" + name, Username: name, Role: role, OrgPath: whistle.OrgPath(path)}
}

func clerk(name, path string) whistle.Actor {
	s := user(name, whistle.RoleClerk, path)
	s.DepartmentID = dept(path)
	return s
}

// The demo users, plus a street command centre and a district-2 commander.
var users = map[string]whistle.Actor{
	"admin":          user("admin", whistle.RoleAdmin, city),
	"city-commander": user("city-commander", whistle.RoleCommander, city),
	"d1-commander":   user("d1-commander", whistle.RoleCommander, d1),
	"d2-commander":   user("d2-commander", whistle.RoleCommander, d2),
	"s1-commander":   user("s1-commander", whistle.RoleCommander, s1),
	"s1-secretary":   user("s1-secretary", whistle.RoleStreetSecretary, s1),
	"s2-secretary":   user("s2-secretary", whistle.RoleStreetSecretary, s2),
	"c1-secretary":   user("c1-secretary", whistle.RoleCommunitySecretary, c1),
	"c3-secretary":   user("c3-secretary", whistle.RoleCommunitySecretary, c3),
	"g1-worker":      user("g1-worker", whistle.RoleGridWorker, g1),
	"s1-police":      clerk("s1-police", s1),
	"d1-police":      clerk("d1-police", d1),
	"d1-supervisor":  user("d1-supervisor", whistle.RoleSupervisor, d1),
	"d2-supervisor":  user("d2-supervisor", whistle.RoleSupervisor, d2),
}

// checkDecision asserts p's decision: allowed, or refused as forbidden with
// both messages naming rule.
func checkDecision(t *testing.T, p *Policy, sub whistle.Actor, act Action, obj Object, allow bool, rule string) {
	t.Helper()
	err := p.Authorize(sub, act, obj)
	if allow {
		if err != nil {
			t.Fatalf("%s %s %+v: want allowed, got %v", sub.Username, act, obj, err)
		}
		return
	}
	var werr *whistle.Error
	if !errors.As(err, &werr) {
		t.Fatalf("%s %s %+v: want refused by %s, got %v", sub.Username, act, obj, rule, err)
	}
	if werr.Code != whistle.EForbidden {
		t.Fatalf("%s %s: code %q, want forbidden (%v)", sub.Username, act, werr.Code, err)
	}
	if !strings.Contains(werr.Message, "（规则 "+rule+"）") || !strings.HasPrefix(werr.Message, "无权操作：") {
		t.Fatalf("%s %s: zh message %q does not name rule %s", sub.Username, act, werr.Message, rule)
	}
	// Several rules are named 、-separated in Chinese, comma-separated in English.
	if !strings.Contains(werr.MessageEN, "(rule "+strings.ReplaceAll(rule, "、", ", ")+")") || !strings.HasPrefix(werr.MessageEN, "forbidden: ") {
		t.Fatalf("%s %s: en message %q does not name rule %s", sub.Username, act, werr.MessageEN, rule)
	}
}

// around places units relative to a subject: its own unit, a child, its
// parent, a sibling and a unit of the other district ("" = none). holds is
// the unit whose cases it acts on (a grid worker: its community).
type around struct{ own, child, parent, sibling, other, holds string }

var positions = map[string]around{
	"admin":          {own: city, child: d1, other: s3, holds: city},
	"city-commander": {own: city, child: d1, other: s3, holds: city},
	"d1-commander":   {d1, s1, city, d2, s3, d1},
	"s1-commander":   {s1, c1, d1, s2, s3, s1},
	"s1-secretary":   {s1, c1, d1, s2, s3, s1},
	"c1-secretary":   {c1, g1, s1, c2, c4, c1},
	"g1-worker":      {own: g1, parent: c1, sibling: g2, other: c4, holds: c1},
	"s1-police":      {s1, c1, d1, s2, s3, s1},
	"d1-supervisor":  {d1, s1, city, d2, s3, d1},
}

// objectAt is act's object at unit: a case filed and held there, its
// department's task there; for Summon, a department there summoned on a
// case held at holds; for Supervise and Admin, a view of unit.
func objectAt(act Action, unit, holds string) Object {
	switch act {
	case Summon:
		return Object{OrgPath: holds, HolderOrgPath: holds, DepartmentID: dept(unit), DepartmentOrgPath: unit}
	case Supervise, Admin:
		return Object{OrgPath: unit}
	default:
		return Object{OrgPath: unit, HolderOrgPath: unit, DepartmentID: dept(unit), TaskDepartmentIDs: []string{dept(unit)}}
	}
}

// TestDecisionMatrix is the spec: every role × every action × the units
// around the subject. Each entry is "allowed positions | rule that refuses
// the others"; an action left out allows nothing and refuses by
// default:deny.
func TestDecisionMatrix(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	const (
		file       = "case:file_own_unit"
		juris      = "case:jurisdiction"
		summon     = "case:summon_scope"
		holder     = "case:holder_level"
		filer      = "case:filer_side"
		own        = "task:own_department"
		stationed  = "task:stationed_unit"
		taskDept   = "case:task_department"
		superv     = "supervision:jurisdiction"
		dispatcher = "case:dispatcher"
		answerer   = "case:escalation_answerer"
		approver   = "case:unresolvable_approver"
		caseDept   = "task:case_department"
		urger      = "task:urger"
		superCase  = "case:supervisor"
		named      = "supervision:named_department"
		mapJuris   = "map:jurisdiction"
		appealDept = "supervision:appealer"
		appealAns  = "supervision:appeal_answerer"
		periodic   = "supervision:periodic_rater"
		cbFiler    = "case:callback_filer_side"
	)
	matrix := []struct {
		who  string
		want map[Action]string
	}{
		{"admin", map[Action]string{
			ReadCase:  "own child other | -",
			Supervise: "own child other | -",
			Admin:     "own child other | -",
			ReadMap:   "own child other | -",
			// Appeals (issue 17): an admin answers anywhere.
			AnswerAppeal: "own child other | -",
		}},
		{"city-commander", map[Action]string{
			FileCase: "own | " + file, ReadCase: "own child other | " + juris,
			Summon:   "own child other | " + summon, // its own, and every level below it
			Whistle:  "own | " + holder,
			Escalate: "own | " + holder, AnswerExtension: "own | " + holder,
			Accept: "own | " + holder, Reject: "own | " + holder, Merge: "own | " + holder, ReadPersonal: "own | " + holder,
			Verify: "own | " + filer, Evaluate: "own | " + filer, Callback: "own | " + cbFiler,
			Supervise: "own child other | " + superv,
			Dispatch:  "own | " + holder, Recall: "own | " + dispatcher, AnswerEscalation: "own | " + answerer,
			AnswerReturn: "own | " + holder, Drop: "own | " + holder, SetLead: "own | " + holder,
			ApplyUnresolvable: "own | " + holder, AnswerUnresolvable: "own | " + approver,
			Urge: "own | " + urger, SuperviseCase: "own child other | " + superCase,
			ReadMap: "own child other | " + mapJuris, PeriodicEvaluate: "own | " + periodic,
		}},
		{"d1-commander", map[Action]string{
			FileCase: "own | " + file, ReadCase: "own child | " + juris, ReadMap: "own child | " + mapJuris,
			Summon: "own parent child | " + summon, // and the levels below it

			Whistle:  "own | " + holder,
			Escalate: "own | " + holder, AnswerExtension: "own | " + holder,
			Accept: "own | " + holder, Reject: "own | " + holder, Merge: "own | " + holder, ReadPersonal: "own | " + holder,
			Verify: "own | " + filer, Evaluate: "own | " + filer, Callback: "own | " + cbFiler,
			Supervise: "own child | " + superv,
			Dispatch:  "own | " + holder, Recall: "own | " + dispatcher, AnswerEscalation: "own | " + answerer,
			AnswerReturn: "own | " + holder, Drop: "own | " + holder, SetLead: "own | " + holder,
			ApplyUnresolvable: "own | " + holder, AnswerUnresolvable: "own | " + approver,
			Urge: "own | " + urger, SuperviseCase: "own child | " + superCase,
			PeriodicEvaluate: "own | " + periodic,
		}},
		{"s1-commander", map[Action]string{
			FileCase: "own | " + file, ReadCase: "own child | " + juris, ReadMap: "own child | " + mapJuris,
			Summon: "own parent child | " + summon,

			Whistle:  "own | " + holder,
			Escalate: "own | " + holder, AnswerExtension: "own | " + holder,
			Accept: "own | " + holder, Reject: "own | " + holder, Merge: "own | " + holder, ReadPersonal: "own | " + holder,
			Verify: "own | " + filer, Evaluate: "own | " + filer, Callback: "own | " + cbFiler,
			Supervise: "own child | " + superv,
			Dispatch:  "own | " + holder, Recall: "own | " + dispatcher, AnswerEscalation: "own | " + answerer,
			AnswerReturn: "own | " + holder, Drop: "own | " + holder, SetLead: "own | " + holder,
			ApplyUnresolvable: "own | " + holder, AnswerUnresolvable: "own | " + approver,
			Urge: "own | " + urger, SuperviseCase: "own child | " + superCase,
			PeriodicEvaluate: "own | " + periodic,
		}},
		{"s1-secretary", map[Action]string{
			FileCase: "own | " + file, ReadCase: "own child | " + juris, ReadMap: "own child | " + mapJuris,
			Summon:   "own parent child | " + summon,
			Whistle:  "own | " + holder,
			Escalate: "own | " + holder, AnswerExtension: "own | " + holder,
			Accept: "own | " + holder, Reject: "own | " + holder, Merge: "own | " + holder, ReadPersonal: "own | " + holder,
			Verify: "own | " + filer, Evaluate: "own | " + filer, Callback: "own | " + cbFiler,
			Dispatch: "own | " + holder, Recall: "own | " + dispatcher, AnswerEscalation: "own | " + answerer,
			AnswerReturn: "own | " + holder, Drop: "own | " + holder, SetLead: "own | " + holder,
			ApplyUnresolvable: "own | " + holder, AnswerUnresolvable: "own | " + approver,
			Urge:      "own | " + urger,
			Supervise: "own child | " + superv, // their street's views (issue 17)
			// Periodic evaluation for the street (issue 17).
			PeriodicEvaluate: "own | " + periodic,
		}},
		{"c1-secretary", map[Action]string{
			FileCase: "own | " + file, ReadCase: "own child | " + juris, ReadMap: "own child | " + mapJuris,
			Summon:   "own parent | " + summon,
			Whistle:  "own | " + holder,
			Escalate: "own | " + holder, AnswerExtension: "own | " + holder,
			Accept: "own | " + holder, Reject: "own | " + holder, Merge: "own | " + holder, ReadPersonal: "own | " + holder,
			Verify: "own | " + filer, Evaluate: "own | " + filer, Callback: "own | " + cbFiler,
			// A community reviews its own escalations; it dispatches
			// nothing (no command level below it) and approves nothing.
			AnswerEscalation: "own | " + answerer,
			AnswerReturn:     "own | " + holder, Drop: "own | " + holder, SetLead: "own | " + holder,
			ApplyUnresolvable: "own | " + holder,
			Urge:              "own | " + urger,
		}},
		// A grid worker acts for its community (its parent): files there,
		// naming what the community may summon, and sees the community's
		// cases (its sibling grid's too). It reports; the secretary decides:
		// no whistling more, escalating or answering extensions (default deny).
		{"g1-worker", map[Action]string{
			FileCase: "parent | " + file, ReadCase: "own parent sibling | " + juris,
			Summon:  "parent | " + summon,
			ReadMap: "own parent sibling | " + mapJuris, // the location picker
		}},
		{"s1-police", map[Action]string{
			ReadCase:   "own | " + taskDept,
			ReportTask: "own | " + own, Feedback: "own | " + own, ReturnTask: "own | " + own,
			RequestExtension: "own | " + own, ReadInbox: "own | " + own + "、" + stationed,
			Release:     "own | " + caseDept,
			AnswerOrder: "own | " + named,
			Appeal:      "own | " + appealDept, // and its stationed units (BureauAppealsForStation)
		}},
		{"d1-supervisor", map[Action]string{
			ReadCase:  "own child | " + juris,
			ReadMap:   "own child | " + mapJuris,
			Supervise: "own child | " + superv,
			Urge:      "own child | " + urger, SuperviseCase: "own child | " + superCase,
			AnswerAppeal: "own child | " + appealAns,
		}},
	}
	roles := map[whistle.Role]bool{}
	for _, row := range matrix {
		sub, ok := users[row.who]
		if !ok {
			t.Fatalf("no user %s", row.who)
		}
		roles[sub.Role] = true
		pos := positions[row.who]
		for _, act := range Actions {
			spec, listed := row.want[act]
			if !listed {
				spec = " | " + DefaultDeny
			}
			allowed, rule, _ := strings.Cut(spec, " | ")
			allowedAt := map[string]bool{}
			for _, name := range strings.Fields(allowed) {
				allowedAt[name] = true
			}
			for _, at := range []struct{ name, unit string }{
				{"own", pos.own}, {"child", pos.child}, {"parent", pos.parent},
				{"sibling", pos.sibling}, {"other", pos.other},
			} {
				if at.unit == "" {
					if allowedAt[at.name] {
						t.Fatalf("%s: spec allows %s, which it has not", row.who, at.name)
					}
					continue
				}
				t.Run(row.who+"/"+string(act)+"/"+at.name, func(t *testing.T) {
					checkDecision(t, p, sub, act, objectAt(act, at.unit, pos.holds), allowedAt[at.name], rule)
				})
			}
		}
	}
	for _, r := range whistle.Roles {
		if !roles[r] {
			t.Errorf("role %s missing from the matrix", r)
		}
	}
}

// TestSummon: a level summons departments of its own level or the level
// directly above, inside its own jurisdiction, on cases it holds.
func TestSummon(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	summonAt := func(holder, deptUnit string) Object {
		return Object{OrgPath: holder, HolderOrgPath: holder, DepartmentID: dept(deptUnit), DepartmentOrgPath: deptUnit}
	}
	const rule = "case:summon_scope"
	tests := []struct {
		name  string
		who   string
		obj   Object
		allow bool
		rule  string
	}{
		{"CommunityStreetSquads", "c1-secretary", summonAt(c1, s1), true, ""},
		{"CommunityDistrictBureau", "c1-secretary", summonAt(c1, d1), false, rule},
		{"CommunityOtherStreetSquads", "c1-secretary", summonAt(c1, s2), false, rule},
		{"GridWorkerStreetSquads", "g1-worker", summonAt(c1, s1), true, ""},
		{"GridWorkerDistrictBureau", "g1-worker", summonAt(c1, d1), false, rule},
		{"GridWorkerOtherStreetSquads", "g1-worker", summonAt(c1, s2), false, rule},
		{"StreetOwnSquads", "s1-secretary", summonAt(s1, s1), true, ""},
		{"StreetDistrictBureau", "s1-secretary", summonAt(s1, d1), true, ""},
		{"StreetCity", "s1-secretary", summonAt(s1, city), false, rule},
		{"StreetOtherDistrict", "s1-secretary", summonAt(s1, d2), false, rule},
		{"StreetSiblingSquads", "s1-secretary", summonAt(s1, s2), false, rule},
		{"StreetCommandCentreDistrictBureau", "s1-commander", summonAt(s1, d1), true, ""},
		{"DistrictOwn", "d1-commander", summonAt(d1, d1), true, ""},
		{"DistrictCity", "d1-commander", summonAt(d1, city), true, ""},
		{"DistrictOtherDistrict", "d1-commander", summonAt(d1, d2), false, rule},
		// A command centre also whistles the levels below it (issue 13).
		{"DistrictStreetSquadsBelow", "d1-commander", summonAt(d1, s1), true, ""},
		{"DistrictCommunityBelow", "d1-commander", summonAt(d1, c1), true, ""},
		{"DistrictOtherDistrictsStreet", "d1-commander", summonAt(d1, s3), false, rule},
		{"DistrictStreetSquadsOnStreetHeldCase", "d1-commander", summonAt(s1, s1), false, rule},
		{"StreetCommunityBelow", "s1-secretary", summonAt(s1, c1), true, ""},
		{"StreetOtherStreetsCommunity", "s1-secretary", summonAt(s1, c3), false, rule},
		{"CityDistrictBelow", "city-commander", summonAt(city, d1), true, ""},
		{"CommunitySecretaryNoneBelow", "c1-secretary", summonAt(c1, g1), false, rule},
		{"GridWorkerNoneBelow", "g1-worker", summonAt(c1, g1), false, rule},
		{"CityOwn", "city-commander", summonAt(city, city), true, ""},
		// Only the holding level whistles (and re-routes a returned task).
		{"StreetOnCommunityHeldCase", "s1-secretary", summonAt(c1, s1), false, rule},
		{"CommunityOnEscalatedCase", "c1-secretary", summonAt(s1, s1), false, rule},
		{"OtherStreetSecretary", "s2-secretary", summonAt(s1, s1), false, rule},
		{"OtherDistrictCommander", "d2-commander", summonAt(d1, d1), false, rule},
		{"NoDepartmentPath", "s1-secretary", Object{OrgPath: s1, HolderOrgPath: s1, DepartmentID: "x"}, false, rule},
		{"ClerkCannotSummon", "s1-police", summonAt(s1, s1), false, DefaultDeny},
		{"SupervisorCannotSummon", "d1-supervisor", summonAt(d1, d1), false, DefaultDeny},
		{"AdminCannotSummon", "admin", summonAt(city, city), false, DefaultDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, p, users[tt.who], Summon, tt.obj, tt.allow, tt.rule)
		})
	}
}

// TestCaseAcrossLevels covers cases whose origin and holder differ: filing
// from a grid, escalated cases, the filer's side, clerks' task departments.
func TestCaseAcrossLevels(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	heldAt := func(origin, holder string) Object { return Object{OrgPath: origin, HolderOrgPath: holder} }
	tests := []struct {
		name  string
		who   string
		act   Action
		obj   Object
		allow bool
		rule  string
	}{
		// Filing.
		{"GridWorkerFilesInGridHeldByCommunity", "g1-worker", FileCase, heldAt(g1, c1), true, ""},
		{"GridWorkerFilesWithoutOrigin", "g1-worker", FileCase, Object{HolderOrgPath: c1}, true, ""},
		{"GridWorkerFilesInOtherCommunity", "g1-worker", FileCase, heldAt(c2, c1), false, "case:file_own_unit"},
		{"GridWorkerCannotHoldAtGrid", "g1-worker", FileCase, heldAt(g1, g1), false, "case:file_own_unit"},
		{"SecretaryFilesInOwnGrid", "c1-secretary", FileCase, heldAt(g1, c1), true, ""},
		{"SecretaryFilesElsewhereHeldHere", "c1-secretary", FileCase, heldAt(c3, c1), false, "case:file_own_unit"},
		{"StreetFilesForCommunity", "s1-secretary", FileCase, heldAt(c1, c1), false, "case:file_own_unit"},
		{"StreetFilesOwnCommunityCaseHeldAtStreet", "s1-secretary", FileCase, heldAt(c1, s1), true, ""},
		// A case filed in c1, escalated to d1: who sees it, who verifies it.
		{"FilerSeesEscalated", "c1-secretary", ReadCase, heldAt(c1, d1), true, ""},
		{"GridWorkerSeesEscalated", "g1-worker", ReadCase, heldAt(c1, d1), true, ""},
		{"HolderSeesEscalated", "d1-commander", ReadCase, heldAt(c1, d1), true, ""},
		{"CitySeesEscalated", "city-commander", ReadCase, heldAt(c1, d1), true, ""},
		{"SiblingStreetDoesNotSee", "s2-secretary", ReadCase, heldAt(c1, d1), false, "case:jurisdiction"},
		{"OtherDistrictDoesNotSee", "d2-commander", ReadCase, heldAt(c1, d1), false, "case:jurisdiction"},
		{"OtherDistrictSupervisorDoesNotSee", "d2-supervisor", ReadCase, heldAt(c1, d1), false, "case:jurisdiction"},
		{"CitySeesCaseHeldAtCity", "city-commander", ReadCase, heldAt(c4, city), true, ""},
		{"HolderAloneGrantsRead", "d2-commander", ReadCase, heldAt(c3, d2), true, ""},
		{"FilerVerifiesEscalated", "c1-secretary", Verify, heldAt(c1, d1), true, ""},
		{"StreetOnChainVerifies", "s1-secretary", Verify, heldAt(c1, d1), true, ""},
		{"HolderEvaluates", "d1-commander", Evaluate, heldAt(c1, d1), true, ""},
		{"AboveHolderCannotVerify", "city-commander", Verify, heldAt(c1, d1), false, "case:filer_side"},
		{"OffChainCannotVerify", "s2-secretary", Verify, heldAt(c1, d1), false, "case:filer_side"},
		{"OtherCommunityCannotEvaluate", "c3-secretary", Evaluate, heldAt(c1, s1), false, "case:filer_side"},
		{"HolderAboveChainCannotVerifyStreetHeld", "d1-commander", Verify, heldAt(c1, s1), false, "case:filer_side"},
		{"GridWorkerCannotVerify", "g1-worker", Verify, heldAt(g1, c1), false, DefaultDeny},
		// Filed at d1 and dispatched down to s1: the filer and the holder
		// verify; the city and the communities below do not.
		{"FilerVerifiesDispatched", "d1-commander", Verify, heldAt(d1, s1), true, ""},
		{"HolderVerifiesDispatched", "s1-secretary", Verify, heldAt(d1, s1), true, ""},
		{"AboveFilerCannotVerifyDispatched", "city-commander", Verify, heldAt(d1, s1), false, "case:filer_side"},
		{"BelowHolderCannotVerifyDispatched", "c1-secretary", Verify, heldAt(d1, s1), false, "case:filer_side"},
		// Filed at c1, escalated to d1, dispatched to s2: the tree path
		// c1 → s1 → d1 → s2.
		{"FilerVerifiesAcrossBranches", "c1-secretary", Verify, heldAt(c1, s2), true, ""},
		{"CommonAncestorVerifiesAcrossBranches", "d1-commander", Evaluate, heldAt(c1, s2), true, ""},
		{"HolderVerifiesAcrossBranches", "s2-secretary", Verify, heldAt(c1, s2), true, ""},
		{"OffPathCannotVerifyAcrossBranches", "c3-secretary", Verify, heldAt(c1, s2), false, "case:filer_side"},
		// The answers: the unit the API names as the object's holder.
		{"DispatcherRecalls", "d1-commander", Recall, heldAt(d1, d1), true, ""},
		{"ReceiverCannotRecall", "s1-secretary", Recall, heldAt(d1, d1), false, "case:dispatcher"},
		{"CommunityCannotDispatch", "c1-secretary", Dispatch, heldAt(c1, c1), false, DefaultDeny},
		{"UpperLevelAnswersEscalation", "s1-secretary", AnswerEscalation, heldAt(c1, s1), true, ""},
		{"AskerCannotAnswerOwnEscalation", "c1-secretary", AnswerEscalation, heldAt(c1, s1), false, "case:escalation_answerer"},
		{"ClerkCannotAnswerEscalation", "s1-police", AnswerEscalation, heldAt(s1, s1), false, DefaultDeny},
		{"ApproverAnswersUnresolvable", "d1-commander", AnswerUnresolvable, heldAt(s1, d1), true, ""},
		{"ApplicantCannotApprove", "s1-secretary", AnswerUnresolvable, heldAt(s1, d1), false, "case:unresolvable_approver"},
		{"SupervisorCannotDrop", "d1-supervisor", Drop, heldAt(d1, d1), false, DefaultDeny},
		{"ClerkReleasesOnItsCase", "s1-police", Release, Object{TaskDepartmentIDs: []string{dept(s1), "s1-market"}}, true, ""},
		{"ClerkCannotReleaseElsewhere", "s1-police", Release, Object{TaskDepartmentIDs: []string{"s1-market"}}, false, "task:case_department"},
		// A grid worker reports; its community's secretary decides.
		{"GridWorkerCannotWhistleMore", "g1-worker", Whistle, heldAt(g1, c1), false, DefaultDeny},
		{"GridWorkerCannotEscalate", "g1-worker", Escalate, heldAt(g1, c1), false, DefaultDeny},
		{"GridWorkerCannotAnswerExtension", "g1-worker", AnswerExtension, heldAt(g1, c1), false, DefaultDeny},
		{"SecretaryWhistlesMoreOnGridCase", "c1-secretary", Whistle, heldAt(g1, c1), true, ""},
		{"StreetCannotWhistleOnCommunityHeld", "s1-secretary", Whistle, heldAt(c1, c1), false, "case:holder_level"},
		{"FilerCannotWhistleWhenEscalated", "c1-secretary", Whistle, heldAt(c1, s1), false, "case:holder_level"},
		{"FilerCannotEscalateAgain", "c1-secretary", Escalate, heldAt(c1, s1), false, "case:holder_level"},
		{"HolderEscalates", "s1-secretary", Escalate, heldAt(c1, s1), true, ""},
		{"HolderAnswersExtension", "d1-commander", AnswerExtension, heldAt(c1, d1), true, ""},
		{"FilerCannotAnswerExtensionWhenEscalated", "c1-secretary", AnswerExtension, heldAt(c1, d1), false, "case:holder_level"},
		// Clerks: cases where their department has a task, and only their tasks.
		{"ClerkReadsCaseWithItsTask", "d1-police", ReadCase, Object{OrgPath: c3, HolderOrgPath: s2, TaskDepartmentIDs: []string{dept(s2), dept(d1)}}, true, ""},
		{"ClerkDoesNotReadOthers", "d1-police", ReadCase, Object{OrgPath: s1, HolderOrgPath: s1, TaskDepartmentIDs: []string{dept(s1)}}, false, "case:task_department"},
		{"ClerkDoesNotReadInJurisdictionWithoutTask", "d1-police", ReadCase, heldAt(d1, d1), false, "case:task_department"},
		{"ClerkNeighbourDepartmentTask", "s1-police", Feedback, Object{DepartmentID: "s1-market"}, false, "task:own_department"},
		{"ClerkWithoutDepartment", "s1-police", ReportTask, Object{DepartmentID: ""}, false, "task:own_department"},
		{"ClerkCannotFile", "s1-police", FileCase, heldAt(s1, s1), false, DefaultDeny},
		{"SecretaryCannotReportTask", "c1-secretary", ReportTask, Object{DepartmentID: dept(c1)}, false, DefaultDeny},
		// Supervision and administration.
		{"SupervisorWholeJurisdiction", "d1-supervisor", Supervise, Object{}, true, ""},
		{"SupervisorOtherDistrict", "d1-supervisor", Supervise, Object{OrgPath: d2}, false, "supervision:jurisdiction"},
		// A bureau reads its stationed units' inboxes, not another bureau's (条块结合).
		{"BureauReadsStationInbox", "d1-police", ReadInbox, Object{DepartmentID: dept(s1), DepartmentParentID: dept(d1)}, true, ""},
		{"BureauNotOtherBureausStation", "d1-police", ReadInbox, Object{DepartmentID: dept(s3), DepartmentParentID: dept(d2)}, false, "task:own_department、task:stationed_unit"},
		{"StationNotItsBureau", "s1-police", ReadInbox, Object{DepartmentID: dept(d1), DepartmentParentID: dept(city)}, false, "task:own_department、task:stationed_unit"},
		// Appeals (issue 17): a bureau appeals for its stationed units, not for its own bureau's parent.
		{"BureauAppealsForStation", "d1-police", Appeal, Object{DepartmentID: dept(s1), DepartmentParentID: dept(d1)}, true, ""},
		{"StationNotAppealForBureau", "s1-police", Appeal, Object{DepartmentID: dept(d1), DepartmentParentID: dept(city)}, false, "supervision:appealer"},
		{"SupervisorAnswersOwnDistrict", "d1-supervisor", AnswerAppeal, Object{OrgPath: s1, HolderOrgPath: s1}, true, ""},
		{"SupervisorNotOtherDistrict", "d1-supervisor", AnswerAppeal, Object{OrgPath: s3, HolderOrgPath: s3}, false, "supervision:appeal_answerer"},
		{"StreetSecretaryOwnStreet", "s1-secretary", Supervise, Object{}, true, ""},
		{"StreetSecretaryOtherStreet", "s1-secretary", Supervise, Object{OrgPath: s2}, false, "supervision:jurisdiction"},
		{"CommunitySecretaryNoSupervision", "c1-secretary", Supervise, Object{}, false, DefaultDeny},
		{"CommanderCannotAdmin", "city-commander", Admin, Object{}, false, DefaultDeny},
		{"AdminAdmins", "admin", Admin, Object{}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, p, users[tt.who], tt.act, tt.obj, tt.allow, tt.rule)
		})
	}
}

// TestMalformed: bad paths, unknown roles and actions are refused.
func TestMalformed(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	with := func(name string, f func(*whistle.Actor)) whistle.Actor { s := users[name]; f(&s); return s }
	tests := []struct {
		name string
		sub  whistle.Actor
		act  Action
		obj  Object
		rule string
	}{
		{"EmptySubjectPath", with("s1-secretary", func(s *whistle.Actor) { s.OrgPath = "" }), ReadCase, Object{OrgPath: c1, HolderOrgPath: c1}, "case:jurisdiction"},
		{"RootSubjectPath", with("s1-secretary", func(s *whistle.Actor) { s.OrgPath = "/" }), ReadCase, Object{OrgPath: c1, HolderOrgPath: c1}, "case:jurisdiction"},
		{"NoTrailingSlash", with("d1-commander", func(s *whistle.Actor) { s.OrgPath = "/110000/1101" }), ReadCase, Object{OrgPath: c1}, "case:jurisdiction"},
		{"SegmentPrefixIsNotSubtree", with("d1-commander", func(s *whistle.Actor) { s.OrgPath = "/110000/1101/" }), ReadCase, Object{OrgPath: c1}, "case:jurisdiction"},
		{"EmptyHolder", users["s1-secretary"], Escalate, Object{OrgPath: s1}, "case:holder_level"},
		{"EmptyObjectPaths", users["d1-commander"], ReadCase, Object{}, "case:jurisdiction"},
		{"EmptyPathsMatchEachOther", with("s1-secretary", func(s *whistle.Actor) { s.OrgPath = "" }), Escalate, Object{}, "case:holder_level"},
		{"DoubleSlash", users["d1-commander"], ReadCase, Object{OrgPath: d1 + "/x/"}, "case:jurisdiction"},
		{"GridWorkerAtCity", with("g1-worker", func(s *whistle.Actor) { s.OrgPath = city }), FileCase, Object{HolderOrgPath: ""}, "case:file_own_unit"},
		{"UnknownRole", with("admin", func(s *whistle.Actor) { s.Role = "root" }), Admin, Object{}, DefaultDeny},
		{"EmptyRole", with("admin", func(s *whistle.Actor) { s.Role = "" }), ReadCase, Object{OrgPath: c1}, DefaultDeny},
		{"UnknownAction", users["admin"], Action("case:delete"), Object{}, DefaultDeny},
		{"CaseOfAction", users["admin"], Action("ADMIN:MANAGE"), Object{}, DefaultDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkDecision(t, p, tt.sub, tt.act, tt.obj, false, tt.rule)
		})
	}
}

// TestScope: the scope of a list is the reach of the rule that allows
// it, and follows the rule table.
func TestScope(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	tests := []struct {
		who  string
		want string
	}{
		{"admin", "/"},
		{"city-commander", city},
		{"d1-commander", d1},
		{"s1-secretary", s1},
		{"c1-secretary", c1},
		{"g1-worker", c1},
		{"s1-police", ""},
		{"d1-supervisor", d1},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			sc, err := p.Scope(users[tt.who], ReadCase, Object{})
			if err != nil || sc.Path != whistle.OrgPath(tt.want) {
				t.Fatalf("Scope = %+v, %v; want path %q", sc, err, tt.want)
			}
		})
	}
	t.Run("ClerkByDepartment", func(t *testing.T) {
		sc, err := p.Scope(users["s1-police"], ReadCase, Object{})
		if err != nil || sc != (Scope{DepartmentID: dept(s1)}) {
			t.Fatalf("Scope = %+v, %v; want the department", sc, err)
		}
	})
	refused := func(t *testing.T, sub whistle.Actor, act Action, obj Object, rule string) {
		t.Helper()
		sc, err := p.Scope(sub, act, obj)
		if !sc.IsZero() || whistle.ErrorCode(err) != whistle.EForbidden || RefusingRule(err) != rule {
			t.Fatalf("Scope = %+v, %v; want nowhere, refused by %s", sc, err, rule)
		}
		if aerr := p.Authorize(sub, act, obj); !obj.isZero() && (aerr == nil || aerr.Error() != err.Error()) {
			t.Fatalf("Scope refused with %v, Authorize with %v", err, aerr)
		}
	}
	t.Run("MalformedPath", func(t *testing.T) {
		refused(t, whistle.Actor{Role: whistle.RoleCommander, OrgPath: "110000"}, ReadCase, Object{}, "case:jurisdiction")
	})
	t.Run("UnknownRole", func(t *testing.T) {
		refused(t, whistle.Actor{Role: "root", OrgPath: city}, ReadCase, Object{}, DefaultDeny)
	})
	t.Run("SuperviseNarrowedInside", func(t *testing.T) {
		sc, err := p.Scope(users["d1-supervisor"], Supervise, Object{OrgPath: s1})
		if err != nil || sc.Path != d1 {
			t.Fatalf("Scope = %+v, %v; want %s", sc, err, d1)
		}
	})
	t.Run("SuperviseNarrowedOutside", func(t *testing.T) {
		refused(t, users["d2-supervisor"], Supervise, Object{OrgPath: s1}, "supervision:jurisdiction")
	})
	t.Run("SecretaryMayNotSupervise", func(t *testing.T) {
		refused(t, users["c1-secretary"], Supervise, Object{}, DefaultDeny)
	})
	t.Run("FollowsTheRules", func(t *testing.T) {
		ctx := context.Background()
		wide := Rule{Role: whistle.RoleSupervisor, Action: ReadCase, Relation: "anywhere", Name: "case:everywhere"}
		narrow := Rule{Role: whistle.RoleSupervisor, Action: ReadCase, Relation: "jurisdiction", Name: "case:jurisdiction"}
		if err := p.RemoveRule(ctx, narrow); err != nil {
			t.Fatal(err)
		}
		if err := p.AddRule(ctx, wide); err != nil {
			t.Fatal(err)
		}
		if sc, err := p.Scope(users["d1-supervisor"], ReadCase, Object{}); err != nil || sc.Path != "/" {
			t.Fatalf("after the edit: Scope = %+v, %v; want the city", sc, err)
		}
		if sc, err := p.Scope(users["d1-supervisor"], ReadCase, Object{OrgPath: c4}); err != nil || sc.Path != "/" {
			t.Fatalf("one case after the edit: Scope = %+v, %v; want the city", sc, err)
		}
	})
}

func TestActingUnit(t *testing.T) {
	for who, want := range map[string]string{"g1-worker": c1, "c1-secretary": c1, "d1-commander": d1, "s1-police": s1} {
		if got := ActingUnit(users[who]); got != want {
			t.Errorf("ActingUnit(%s) = %q, want %q", who, got, want)
		}
	}
	if got := ActingUnit(whistle.Actor{Role: whistle.RoleGridWorker, OrgPath: city}); got != "" {
		t.Errorf("grid worker at the root acts at %q, want nothing", got)
	}
	// The API files at ActingUnit: every filing role may file there.
	p := mustNew(t, mustOpenDB(t))
	for _, who := range []string{"g1-worker", "c1-secretary", "s1-secretary", "d1-commander", "city-commander"} {
		sub := users[who]
		checkDecision(t, p, sub, FileCase, Object{OrgPath: string(sub.OrgPath), HolderOrgPath: ActingUnit(sub)}, true, "")
	}
}

func TestPaths(t *testing.T) {
	for _, tt := range []struct{ in, parent string }{
		{c1, s1}, {s1, d1}, {d1, city}, {city, ""}, {"", ""}, {"/", ""}, {"110000/", ""}, {"/a//b/", ""},
	} {
		if got := parentPath(tt.in); got != tt.parent {
			t.Errorf("parentPath(%q) = %q, want %q", tt.in, got, tt.parent)
		}
	}
}

// TestDefaultRulesAreValid: every shipped row names a known role, action
// and relation, and every named rule has its own message.
func TestDefaultRulesAreValid(t *testing.T) {
	rules := DefaultRules()
	if len(rules) == 0 {
		t.Fatal("no default rules")
	}
	for _, r := range rules {
		if err := validateRule(r); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
		if _, ok := ruleTexts[r.Name]; !ok && r.Relation != "anywhere" {
			t.Errorf("%+v: rule %s has no message", r, r.Name)
		}
	}
	for name := range relations {
		if _, ok := relationTexts[strings.TrimPrefix(name, gridPrefix)]; !ok {
			t.Errorf("relation %s has no text", name)
		}
	}
}

// TestConcurrentReload runs decisions while rules reload: under -race this
// shows a decision never sees a half-loaded rule set.
func TestConcurrentReload(t *testing.T) {
	p := mustNew(t, mustOpenDB(t))
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := p.Authorize(users["c1-secretary"], Summon, Object{HolderOrgPath: c1, DepartmentOrgPath: s1}); err != nil {
					t.Error(err)
					return
				}
				if err := p.Authorize(users["c1-secretary"], Summon, Object{HolderOrgPath: c1, DepartmentOrgPath: d1}); err == nil {
					t.Error("summoned d1 from c1")
					return
				}
			}
		}()
	}
	for range 20 {
		if err := p.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
}
