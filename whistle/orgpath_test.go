package whistle

import (
	"slices"
	"testing"
)

func TestOrgPath(t *testing.T) {
	tests := []struct {
		name   string
		path   OrgPath
		valid  bool
		units  []string
		parent OrgPath
		level  Level
	}{
		{"Root", "/", false, nil, "", LevelCity},
		{"Empty", "", false, nil, "", LevelCity},
		{"City", "/110000/", true, []string{"110000"}, "", LevelCity},
		{"District", "/110000/110101/", true, []string{"110000", "110101"}, "/110000/", LevelDistrict},
		{"Street", "/1/2/3/", true, []string{"1", "2", "3"}, "/1/2/", LevelStreet},
		{"Community", "/1/2/3/4/", true, []string{"1", "2", "3", "4"}, "/1/2/3/", LevelCommunity},
		{"Grid", "/1/2/3/4/5/", true, []string{"1", "2", "3", "4", "5"}, "/1/2/3/4/", LevelCommunity},
		{"NoTrailingSlash", "/1/2", false, []string{"1", "2"}, "", LevelDistrict},
		{"EmptySegment", "/1//2/", false, []string{"1", "", "2"}, "", LevelStreet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.path.Valid(); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
			if got := tt.path.Units(); !slices.Equal(got, tt.units) {
				t.Errorf("Units = %q, want %q", got, tt.units)
			}
			if got := tt.path.Parent(); got != tt.parent {
				t.Errorf("Parent = %q, want %q", got, tt.parent)
			}
			if got := tt.path.Level(); got != tt.level {
				t.Errorf("Level = %q, want %q", got, tt.level)
			}
		})
	}
}

func TestOrgPathWithin(t *testing.T) {
	tests := []struct {
		p, unit OrgPath
		want    bool
	}{
		{"/110/1101/", "/110/", true},
		{"/110/", "/110/", true},
		{"/1101/", "/110/", false}, // a prefix of the id is not an ancestor
		{"/110/", "/110/1101/", false},
		{"/110/", "/", false}, // "/" is no node
		{"", "/110/", false},
	}
	for _, tt := range tests {
		if got := tt.p.Within(tt.unit); got != tt.want {
			t.Errorf("%q.Within(%q) = %v, want %v", tt.p, tt.unit, got, tt.want)
		}
	}
}
