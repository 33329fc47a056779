package worktime_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shaobao/shaobao/worktime"
)

func TestParseSpan(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want worktime.Span
		str  string // String() of the result
	}{
		{"Minutes", "30m", worktime.Span{Clock: 30 * time.Minute}, "30m"},
		{"Hours", "2h", worktime.Span{Clock: 2 * time.Hour}, "2h"},
		{"Seconds", "90s", worktime.Span{Clock: 90 * time.Second}, "1m30s"},
		{"FractionalHours", "1.5h", worktime.Span{Clock: 90 * time.Minute}, "1h30m"},
		{"Milliseconds", "1500ms", worktime.Span{Clock: 1500 * time.Millisecond}, "1.5s"},
		{"OneDay", "1d", worktime.Span{Days: 1}, "1d"},
		{"ThreeDays", "3d", worktime.Span{Days: 3}, "3d"},
		{"FifteenDays", "15d", worktime.Span{Days: 15}, "15d"},
		{"DaysAndHours", "1d12h", worktime.Span{Days: 1, Clock: 12 * time.Hour}, "1d12h"},
		{"DaysHoursMinutes", "2d1h30m", worktime.Span{Days: 2, Clock: 90 * time.Minute}, "2d1h30m"},
		{"HoursOverADay", "30h", worktime.Span{Clock: 30 * time.Hour}, "30h"},
		{"ZeroDaysAndHours", "0d2h", worktime.Span{Clock: 2 * time.Hour}, "2h"},
		{"Spaces", "  3d ", worktime.Span{Days: 3}, "3d"},
		{"MaxDays", "365d", worktime.Span{Days: 365}, "365d"},
		{"LeadingZeros", "0003d", worktime.Span{Days: 3}, "3d"},
		{"MaxMixed", "364d24h", worktime.Span{Days: 364, Clock: 24 * time.Hour}, "364d24h"},
		{"MaxHours", "8760h", worktime.Span{Clock: 8760 * time.Hour}, "8760h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := worktime.ParseSpan(tt.in)
			if err != nil {
				t.Fatalf("ParseSpan(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseSpan(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
			back, err := worktime.ParseSpan(got.String())
			if err != nil || back != got {
				t.Errorf("ParseSpan(%q) = %+v, %v; want the same span back", got.String(), back, err)
			}
		})
	}
}

func TestParseSpanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // part of the error message
	}{
		{"Empty", "", "empty"},
		{"Blank", "   ", "empty"},
		{"Zero", "0", "zero"},
		{"ZeroSeconds", "0s", "zero"},
		{"ZeroDays", "0d", "zero"},
		{"ZeroBoth", "0d0h", "zero"},
		{"Negative", "-2h", "negative"},
		{"NegativeDays", "-1d", "negative"},
		{"SignInside", "1d-2h", "sign"},
		{"Plus", "+2h", "sign"},
		{"Garbage", "soon", "not a duration"},
		{"NoUnit", "30", "not a duration"},
		{"BadUnit", "3w", "not a duration"},
		{"FractionalDays", "1.5d", "whole number"},
		{"DayWithoutNumber", "d", "whole number"},
		{"DaysNotFirst", "2h1d", "whole number"},
		{"TwoDayParts", "1d1d", "not a duration"},
		{"GarbageAfterDays", "3dx", "not a duration"},
		{"TooManyDays", "366d", "longer than 365 days"},
		{"TooManyDigits", "99999999999999999999d", "longer than 365 days"},
		{"TooManyHours", "8761h", "longer than 365 days"},
		{"TooLongMixed", "365d1s", "longer than 365 days"},
		{"Overflow", "99999999999h", "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := worktime.ParseSpan(tt.in)
			if err == nil {
				t.Fatalf("ParseSpan(%q) = %+v, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseSpan(%q) error %q does not say %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestSpanIsZero(t *testing.T) {
	if !(worktime.Span{}).IsZero() {
		t.Error("Span{}.IsZero() = false")
	}
	if (worktime.Span{Days: 1}).IsZero() || (worktime.Span{Clock: time.Nanosecond}).IsZero() {
		t.Error("a non-zero span says IsZero")
	}
	if s := (worktime.Span{}).String(); s != "0s" {
		t.Errorf("Span{}.String() = %q, want \"0s\"", s)
	}
}

func FuzzParseSpan(f *testing.F) {
	for _, s := range []string{"30m", "2h", "1d", "3d", "7d", "15d", "1d12h", "90s", "1.5h", "365d", "366d",
		"", "0", "-1h", "1d-1h", "d", "1.5d", "8760h", "1500ms", "1h1d", "9223372036854775807ns", "00001d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := worktime.ParseSpan(in)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseSpan(%q): empty error message", in)
			}
			return
		}
		if s.IsZero() || s.Days < 0 || s.Clock < 0 {
			t.Fatalf("ParseSpan(%q) = %+v: zero or negative", in, s)
		}
		if time.Duration(s.Days)*24*time.Hour+s.Clock > 365*24*time.Hour {
			t.Fatalf("ParseSpan(%q) = %+v: longer than 365 days", in, s)
		}
		back, err := worktime.ParseSpan(s.String())
		if err != nil || back != s {
			t.Fatalf("ParseSpan(%q) = %+v, String %q parses to %+v, %v", in, s, s.String(), back, err)
		}
	})
}
