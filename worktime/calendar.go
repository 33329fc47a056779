// Package worktime is the working calendar and the deadline arithmetic of the whistle
// clocks: which days are working days on the mainland calendar (weekends, statutory
// holidays and the make-up working days of 调休), and when a span of working time
// started at some instant runs out.
//
// Everything here is pure and deterministic: no clock is read, so workflow code may
// call it and get the same answer on replay.
package worktime

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Location is China Standard Time. Mainland China has no DST, so a fixed zone is exact and needs no tzdata.
var Location = time.FixedZone("CST", 8*3600)

// Working hours, as offsets from midnight CST: a working day runs from WorkdayStart
// to WorkdayEnd (09:00–18:00), nine hours a day.
const (
	WorkdayStart = 9 * time.Hour
	WorkdayEnd   = 18 * time.Hour
	workdayLen   = WorkdayEnd - WorkdayStart
)

// DayKind says how a listed date departs from the Monday–Friday week.
type DayKind string

const (
	// Holiday is a day off: a statutory holiday or a day of its 调休 bridge.
	Holiday DayKind = "holiday"
	// Workday is a make-up working day (调休上班) on a Saturday or Sunday.
	Workday DayKind = "workday"
)

// Day is one listed date of the calendar. Date is "2026-10-01", a date in China
// Standard Time; Name is what people call it, e.g. "国庆节" or "国庆节调休上班".
type Day struct {
	Date string  `json:"date"`
	Kind DayKind `json:"kind"`
	Name string  `json:"name"`
}

// Calendar knows the working days and hours. It is immutable after NewCalendar and
// safe for concurrent use.
type Calendar struct {
	days  []Day             // as listed, sorted by date
	kinds map[int64]DayKind // listed dates by day number
	flips []int64           // sorted day numbers whose working status differs from the Mon–Fri rule
	delta []int             // delta[i] = working days added by flips[:i] (+1 make-up, -1 weekday holiday)
}

// NewCalendar builds a calendar from listed days; every date not listed is a working
// day from Monday to Friday and a day off on Saturday and Sunday. Working hours are
// 09:00–18:00 CST. It returns an error naming the entry if a date is not YYYY-MM-DD,
// a kind is neither "holiday" nor "workday", a date is listed twice, or a make-up
// Workday falls on a weekday (which would change nothing and is most likely a typo).
// days is copied: changing it later does not change the calendar.
func NewCalendar(days []Day) (*Calendar, error) {
	c := &Calendar{kinds: make(map[int64]DayKind, len(days))}
	for i, d := range days {
		entry := fmt.Sprintf("calendar day %d (%s)", i, strings.TrimSpace(fmt.Sprintf("%q %s", d.Date, d.Name)))
		t, err := time.ParseInLocation(time.DateOnly, d.Date, Location)
		if err != nil {
			return nil, fmt.Errorf("%s: date must be a real date written YYYY-MM-DD", entry)
		}
		if d.Kind != Holiday && d.Kind != Workday {
			return nil, fmt.Errorf("%s: kind %q must be %q or %q", entry, d.Kind, Holiday, Workday)
		}
		n := dayNumber(t)
		if _, dup := c.kinds[n]; dup {
			return nil, fmt.Errorf("%s: date is listed twice", entry)
		}
		weekend := isWeekend(n)
		if d.Kind == Workday && !weekend {
			return nil, fmt.Errorf("%s: a make-up workday must fall on a Saturday or Sunday, this is a %s", entry, t.Weekday())
		}
		c.kinds[n] = d.Kind
		c.days = append(c.days, d)
		if weekend == (d.Kind == Workday) { // a weekend holiday changes nothing
			c.flips = append(c.flips, n)
		}
	}
	slices.SortFunc(c.days, func(a, b Day) int { return cmp.Compare(a.Date, b.Date) })
	slices.Sort(c.flips)
	c.delta = make([]int, len(c.flips)+1)
	for i, n := range c.flips {
		step := -1
		if c.kinds[n] == Workday {
			step = 1
		}
		c.delta[i+1] = c.delta[i] + step
	}
	return c, nil
}

// Days returns the listed days sorted by date, as a fresh slice.
func (c *Calendar) Days() []Day { return slices.Clone(c.days) }

// IsWorkday reports whether the date of t in CST is a working day: Monday to Friday
// unless listed as a Holiday, Saturday or Sunday only if listed as a make-up Workday.
func (c *Calendar) IsWorkday(t time.Time) bool { return c.workday(dayNumber(t)) }

// Add returns the deadline start+s, in Location.
//
// With wallClock, it is plain arithmetic: a day is 24 hours and nights, weekends and
// holidays count.
//
// Otherwise s is working time. The start is first moved forward to working time: if
// it is before 09:00 on a working day it moves to 09:00; if it is at or after 18:00,
// or on a day off, it moves to 09:00 of the next working day. Then each day of s moves
// to the same clock time on the next working day. Then the clock part of s is
// consumed only within 09:00–18:00 of working days, rolling over evenings, weekends
// and holidays; a deadline that ends exactly at 18:00 stays at 18:00. So the result
// is always within working hours of a working day, and
// WorkingBetween(start, Add(start, s, false)) == s.Days*9h + s.Clock.
// A negative part of s counts as zero. The time taken grows with the span: spans
// from ParseSpan take at most a few microseconds.
func (c *Calendar) Add(start time.Time, s Span, wallClock bool) time.Time {
	if wallClock {
		return start.Add(time.Duration(s.Days)*24*time.Hour + s.Clock).In(Location)
	}
	d, off := split(start)
	switch {
	case !c.workday(d) || off >= WorkdayEnd:
		d, off = c.nextWorkday(d), WorkdayStart
	case off < WorkdayStart:
		off = WorkdayStart
	}
	for range max(s.Days, 0) {
		d = c.nextWorkday(d)
	}
	for rest := s.Clock; rest > 0; {
		left := WorkdayEnd - off
		if rest <= left {
			off += rest
			break
		}
		rest -= left
		d, off = c.nextWorkday(d), WorkdayStart
	}
	return join(d, off)
}

// WorkingBetween returns the working time between a and b: the part of [a, b) that
// falls within 09:00–18:00 of working days. It is 0 if b is not after a. It costs the
// same whatever the distance between a and b.
func (c *Calendar) WorkingBetween(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	da, offA := split(a)
	db, offB := split(b)
	clamp := func(off time.Duration) time.Duration { return min(max(off, WorkdayStart), WorkdayEnd) }
	if da == db {
		if !c.workday(da) {
			return 0
		}
		return clamp(offB) - clamp(offA)
	}
	var total time.Duration
	if c.workday(da) {
		total += WorkdayEnd - clamp(offA)
	}
	if c.workday(db) {
		total += clamp(offB) - WorkdayStart
	}
	return total + time.Duration(c.workdaysIn(da+1, db))*workdayLen
}

// workday reports whether day number n is a working day.
func (c *Calendar) workday(n int64) bool {
	if k, ok := c.kinds[n]; ok {
		return k == Workday
	}
	return !isWeekend(n)
}

// nextWorkday returns the first working day after day number n.
func (c *Calendar) nextWorkday(n int64) int64 {
	for n++; !c.workday(n); n++ {
	}
	return n
}

// workdaysIn counts the working days with day numbers in [lo, hi).
func (c *Calendar) workdaysIn(lo, hi int64) int64 {
	if hi <= lo {
		return 0
	}
	i := sort.Search(len(c.flips), func(i int) bool { return c.flips[i] >= lo })
	j := sort.Search(len(c.flips), func(i int) bool { return c.flips[i] >= hi })
	return weekdaysIn(lo, hi) + int64(c.delta[j]-c.delta[i])
}

// weekdaysIn counts the days Monday to Friday with day numbers in [lo, hi).
func weekdaysIn(lo, hi int64) int64 {
	n := hi - lo
	count := n / 7 * 5
	for d := lo + n/7*7; d < hi; d++ {
		if !isWeekend(d) {
			count++
		}
	}
	return count
}

// A day number counts days in CST from 1970-01-01 (day 0, a Thursday).
const secondsPerDay = 24 * 3600

// dayNumber returns the day number of the CST date of t.
func dayNumber(t time.Time) int64 {
	s := t.Unix() + 8*3600
	n := s / secondsPerDay
	if s%secondsPerDay < 0 {
		n--
	}
	return n
}

// split returns the CST day number of t and the time elapsed since that day's midnight.
func split(t time.Time) (int64, time.Duration) {
	n := dayNumber(t)
	return n, t.Sub(midnight(n))
}

// join is the inverse of split, in Location.
func join(n int64, off time.Duration) time.Time { return midnight(n).Add(off) }

func midnight(n int64) time.Time { return time.Unix(n*secondsPerDay-8*3600, 0).In(Location) }

// isWeekend reports whether day number n is a Saturday or a Sunday.
func isWeekend(n int64) bool {
	wd := (n + 4) % 7 // 0 = Sunday; day 0 was a Thursday
	if wd < 0 {
		wd += 7
	}
	return wd == 0 || wd == 6
}
