package worktime_test

import (
	"testing"
	"time"

	"github.com/shaobao/shaobao/worktime"
)

// workLength is what a span is worth in working time: a working day is 9 hours.
func workLength(s worktime.Span) time.Duration {
	return time.Duration(s.Days)*9*time.Hour + s.Clock
}

// checkAdd checks the promises of Add for one start and span and returns its result.
func checkAdd(t *testing.T, cal *worktime.Calendar, start time.Time, s worktime.Span) time.Time {
	t.Helper()
	end := cal.Add(start, s, false)
	if end.Before(start) {
		t.Fatalf("Add(%s, %s) = %s: before the start", start, s, end)
	}
	if end.Location() != worktime.Location {
		t.Fatalf("Add(%s, %s) in %v, want worktime.Location", start, s, end.Location())
	}
	y, m, d := end.Date()
	sinceMidnight := end.Sub(time.Date(y, m, d, 0, 0, 0, 0, worktime.Location))
	if !cal.IsWorkday(end) || sinceMidnight < worktime.WorkdayStart || sinceMidnight > worktime.WorkdayEnd {
		t.Fatalf("Add(%s, %s) = %s: outside working hours of a working day", start, s, end.Format(time.DateTime+" Mon"))
	}
	if got, want := cal.WorkingBetween(start, end), workLength(s); got != want {
		t.Fatalf("WorkingBetween(%s, Add(.., %s) = %s) = %v, want %v", start, s, end, got, want)
	}
	if s.Days == 0 {
		// From the normalised start (Add of a zero span), a clock span is exactly its clock time.
		norm := cal.Add(start, worktime.Span{}, false)
		if got := cal.WorkingBetween(norm, end); got != s.Clock {
			t.Fatalf("WorkingBetween(%s, %s) = %v, want %v", norm, end, got, s.Clock)
		}
	}
	return end
}

// TestAddProperties walks starts at odd steps over 2026 and 2027 (every hour of the
// day and every kind of day comes up) with spans sorted by working length.
func TestAddProperties(t *testing.T) {
	cal := worktime.MustDefault()
	spans := []worktime.Span{ // ascending working length; at equal length, the clock-only span first
		{},
		{Clock: time.Nanosecond},
		{Clock: 30 * time.Minute},
		{Clock: 2 * time.Hour},
		{Clock: 9*time.Hour - time.Second},
		{Clock: 9 * time.Hour},
		{Days: 1},
		{Days: 1, Clock: time.Second},
		{Days: 2},
		{Days: 1, Clock: 12 * time.Hour},
		{Clock: 27 * time.Hour},
		{Days: 3},
		{Days: 7},
		{Days: 15},
		{Clock: 200 * time.Hour},
		{Days: 30, Clock: 1 * time.Hour},
	}
	first := at(t, "2025-12-20 00:00")
	last := at(t, "2028-01-01 00:00")
	step := 3*time.Hour + 7*time.Minute + 11*time.Second
	for start := first; start.Before(last); start = start.Add(step) {
		var prev time.Time
		for i, s := range spans {
			end := checkAdd(t, cal, start, s)
			if i > 0 && end.Before(prev) {
				t.Fatalf("not monotonic: Add(%s, %s) = %s is before Add(.., %s) = %s", start, s, end, spans[i-1], prev)
			}
			prev = end
		}
	}
}

func FuzzAdd(f *testing.F) {
	seeds := []struct {
		start     string
		days      uint16
		clock     uint32 // seconds
		wallClock bool
	}{
		{"2026-03-02 10:00", 0, 7200, false},
		{"2026-03-06 17:00", 0, 7200, false},
		{"2026-03-07 11:00", 1, 0, false},
		{"2026-09-30 10:00", 3, 0, false},
		{"2026-09-30 10:00", 15, 0, false},
		{"2026-02-18 10:00", 7, 0, false},
		{"2026-03-03 18:00", 2, 0, false},
		{"2026-03-03 08:00", 0, 32400, false},
		{"2026-12-31 17:00", 1, 43200, false},
		{"2027-02-04 10:00", 365, 0, false},
		{"2026-10-09 17:59", 0, 61, false},
		{"2026-03-06 17:50", 0, 1800, true},
		{"2026-09-30 22:00", 1, 0, true},
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, worktime.Location)
	for _, s := range seeds {
		start, err := time.ParseInLocation("2006-01-02 15:04", s.start, worktime.Location)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(int64(start.Sub(base)), s.days, s.clock, s.wallClock)
	}
	const window = 4 * 366 * 24 * time.Hour // starts from 2025 to 2028: the shipped years and plain weeks around them
	f.Fuzz(func(t *testing.T, offset int64, days uint16, clockSeconds uint32, wallClock bool) {
		start := base.Add(time.Duration(offset % int64(window)))
		s := worktime.Span{Days: int(days % 366), Clock: time.Duration(clockSeconds%(400*3600)) * time.Second}
		cal := worktime.MustDefault()
		if wallClock {
			end := cal.Add(start, s, true)
			if want := start.Add(time.Duration(s.Days)*24*time.Hour + s.Clock); !end.Equal(want) || end.Location() != worktime.Location {
				t.Fatalf("wall clock Add(%s, %s) = %s, want %s in CST", start, s, end, want)
			}
			return
		}
		end := checkAdd(t, cal, start, s)
		longer := []worktime.Span{
			{Days: s.Days, Clock: s.Clock + time.Second},
			{Days: s.Days + 1, Clock: s.Clock},
			{Days: s.Days, Clock: s.Clock + 9*time.Hour},
		}
		for _, l := range longer {
			if e := cal.Add(start, l, false); e.Before(end) {
				t.Fatalf("not monotonic: Add(%s, %s) = %s is before Add(.., %s) = %s", start, l, e, s, end)
			}
		}
	})
}

var sink time.Time

func BenchmarkAddWorkingDays(b *testing.B) {
	cal := worktime.MustDefault()
	start := time.Date(2026, 9, 30, 10, 0, 0, 0, worktime.Location) // across National Day
	s := worktime.Span{Days: 15}
	for b.Loop() {
		sink = cal.Add(start, s, false)
	}
}

func BenchmarkAddWorkingHours(b *testing.B) {
	cal := worktime.MustDefault()
	start := time.Date(2026, 3, 6, 17, 0, 0, 0, worktime.Location) // Friday 17:00, over the weekend
	s := worktime.Span{Clock: 2 * time.Hour}
	for b.Loop() {
		sink = cal.Add(start, s, false)
	}
}

func BenchmarkWorkingBetween(b *testing.B) {
	cal := worktime.MustDefault()
	a := time.Date(2026, 1, 5, 10, 0, 0, 0, worktime.Location)
	z := time.Date(2027, 12, 20, 15, 0, 0, 0, worktime.Location)
	var d time.Duration
	for b.Loop() {
		d += cal.WorkingBetween(a, z)
	}
	_ = d
}

func BenchmarkParseSpan(b *testing.B) {
	for b.Loop() {
		if _, err := worktime.ParseSpan("1d12h"); err != nil {
			b.Fatal(err)
		}
	}
}
