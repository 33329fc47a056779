package whistle

import (
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
