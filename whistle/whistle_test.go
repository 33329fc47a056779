package whistle

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestLevelAbove(t *testing.T) {
	tests := []struct {
		level Level
		above Level
		ok    bool
	}{
		{LevelCommunity, LevelStreet, true},
		{LevelStreet, LevelDistrict, true},
		{LevelDistrict, LevelCity, true},
		{LevelCity, "", false}, // nothing goes above the city
		{"province", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.level.Above()
		if got != tt.above || ok != tt.ok {
			t.Errorf("%s.Above() = %q, %v; want %q, %v", tt.level, got, ok, tt.above, tt.ok)
		}
	}
}

func TestLevelOfOrgKind(t *testing.T) {
	for kind, want := range map[OrgKind]Level{OrgCity: LevelCity, OrgDistrict: LevelDistrict, OrgStreet: LevelStreet, OrgCommunity: LevelCommunity, OrgGrid: LevelCommunity} {
		if got := LevelOf(kind); got != want {
			t.Errorf("LevelOf(%s) = %s, want %s", kind, got, want)
		}
	}
}

func TestClassClocks(t *testing.T) {
	for _, c := range Classes {
		if !c.Valid() || c.NameZH() == "" {
			t.Errorf("class %s: valid %v, name %q", c, c.Valid(), c.NameZH())
		}
		if c.WallClock() != (c == ClassEmergency) {
			t.Errorf("%s.WallClock() = %v: only emergencies run on the wall clock", c, c.WallClock())
		}
	}
	if Class("urgent").Valid() {
		t.Error("an unknown class is valid")
	}
}

func TestErrorMessages(t *testing.T) {
	refused := Errorf(EConflict, "任务已报到：%s", "task already reported: %s", "T1")
	wrapped := fmt.Errorf("report task T1: %w", refused)
	tests := []struct {
		name         string
		err          error
		code, zh, en string
	}{
		{"Coded", refused, EConflict, "任务已报到：T1", "task already reported: T1"},
		{"Wrapped", wrapped, EConflict, "任务已报到：T1", "task already reported: T1"},
		{"Plain errors are internal and hide their detail", errors.New("pq: connection refused"), EInternal, "内部错误", "internal error"},
		{"Coded internal hides its detail", Errorf(EInternal, "数据库密码错误", "bad db password"), EInternal, "内部错误", "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.code {
				t.Errorf("code = %s, want %s", got, tt.code)
			}
			if got := ErrorMessage(tt.err, "zh"); got != tt.zh {
				t.Errorf("zh = %q, want %q", got, tt.zh)
			}
			if got := ErrorMessage(tt.err, "en"); got != tt.en {
				t.Errorf("en = %q, want %q", got, tt.en)
			}
		})
	}
	if ErrorCode(nil) != "" {
		t.Error("nil has a code")
	}
}

func TestErrNotFound(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"Itself", ErrNotFound, true},
		{"NamingTheRow", Errorf(ENotFound, "案件不存在：%s", "case not found: %s", "SB1"), true},
		{"Wrapped", fmt.Errorf("load case SB1: %w", Errorf(ENotFound, "案件不存在：%s", "case not found: %s", "SB1")), true},
		{"OtherCode", Errorf(EConflict, "任务已报到", "task already reported"), false},
		{"Plain", errors.New("not found"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, ErrNotFound); got != tt.want {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestDefaultClocks(t *testing.T) {
	for _, c := range Classes {
		k, ok := DefaultClocks[c]
		if !ok || k.ReportWithin == "" || k.HandleWithin == "" || k.EvaluateWithin != DefaultEvaluateWithin || !k.DefaultSatisfaction.Valid() {
			t.Errorf("class %s: default clocks %+v", c, k)
		}
	}
	if got := EvaluateWithinOrDefault(""); got != DefaultEvaluateWithin {
		t.Errorf("blank window = %q, want %q", got, DefaultEvaluateWithin)
	}
	if got := EvaluateWithinOrDefault("5d"); got != "5d" {
		t.Errorf("window 5d = %q", got)
	}
	if got := Satisfaction("happy").OrDefault(); got != DefaultSatisfaction {
		t.Errorf("invalid satisfaction defaults to %q, want %q", got, DefaultSatisfaction)
	}
	if got := Dissatisfied.OrDefault(); got != Dissatisfied {
		t.Errorf("valid satisfaction changed to %q", got)
	}
}

// TestActorJSON: an Actor is recorded in every workflow history; its JSON
// must not change (OrgPath is a string on the wire).
func TestActorJSON(t *testing.T) {
	a := Actor{UserID: "u1", Username: "c1-secretary", Role: RoleCommunitySecretary, OrgUnitID: "c1", OrgPath: "/1/2/3/c1/"}
	const want = `{"user_id":"u1","username":"c1-secretary","role":"community_secretary","org_unit_id":"c1","org_path":"/1/2/3/c1/"}`
	b, err := json.Marshal(a)
	if err != nil || string(b) != want {
		t.Fatalf("Marshal = %s, %v; want %s", b, err, want)
	}
	var back Actor
	if err := json.Unmarshal([]byte(want), &back); err != nil || back != a {
		t.Fatalf("Unmarshal = %+v, %v; want %+v", back, err, a)
	}
	if b, _ := json.Marshal(SystemActor); string(b) != `{"user_id":"system","username":"system","role":""}` {
		t.Errorf("SystemActor = %s", b)
	}
}
