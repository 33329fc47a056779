package worktime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxSpanDays is the longest span ParseSpan accepts, counting the clock part at 24 hours a day.
const MaxSpanDays = 365

// Span is a duration as written in SLA policies: "30m", "2h", "1d", "3d", "1d12h", "90s".
// Days are kept apart from the clock part because on working time a day means a
// working day, not 24 hours, and the clock part counts working hours. A Span is a
// plain value; the zero Span is "no time at all".
type Span struct {
	Days  int
	Clock time.Duration
}

// ParseSpan reads a span: an optional leading whole number of days "<n>d" followed
// by an optional Go duration ("1d12h", "3d", "2h", "90s", "1.5h").
// It rejects an empty, zero or negative span, a fractional or misplaced day count,
// anything time.ParseDuration rejects, and a span longer than MaxSpanDays
// (counting the clock part at 24 hours a day). Leading and trailing spaces are ignored.
func ParseSpan(s string) (Span, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Span{}, fmt.Errorf("span is empty: want e.g. \"30m\", \"2h\" or \"3d\"")
	}
	if strings.HasPrefix(in, "-") {
		return Span{}, fmt.Errorf("span %q is negative", s)
	}
	if strings.ContainsAny(in, "+-") {
		return Span{}, fmt.Errorf("span %q has a sign inside: write e.g. \"1d12h\"", s)
	}
	var sp Span
	clock := in
	if i := strings.IndexByte(in, 'd'); i >= 0 {
		// No Go duration unit contains 'd', so a 'd' can only be the day count.
		n := in[:i]
		if n == "" || strings.Trim(n, "0123456789") != "" {
			return Span{}, fmt.Errorf("span %q: days must be a whole number at the start, as in \"3d\" or \"1d12h\"", s)
		}
		days, err := strconv.Atoi(n)
		if err != nil || days > MaxSpanDays { // only digits: an error is an overflow
			return Span{}, fmt.Errorf("span %q is longer than %d days", s, MaxSpanDays)
		}
		sp.Days = days
		clock = in[i+1:]
	}
	if clock != "" {
		d, err := time.ParseDuration(clock)
		if err != nil {
			return Span{}, fmt.Errorf("span %q: %q is not a duration like \"2h\", \"30m\" or \"90s\"", s, clock)
		}
		sp.Clock = d
	}
	if sp.IsZero() {
		return Span{}, fmt.Errorf("span %q is zero", s)
	}
	if sp.TooLong() {
		return Span{}, fmt.Errorf("span %q is longer than %d days", s, MaxSpanDays)
	}
	return sp, nil
}

// TooLong reports whether s is longer than MaxSpanDays, counting the clock
// part at 24 hours a day: the one cap on a span, whether written as a span
// or as the distance between two instants (Span{Clock: until.Sub(from)}).
func (s Span) TooLong() bool {
	return s.Days > MaxSpanDays || s.Clock > time.Duration(MaxSpanDays-s.Days)*24*time.Hour
}

// String writes the span in the form ParseSpan reads, so ParseSpan(s.String()) == s
// for every span ParseSpan returns: "3d", "2h", "1d12h", "1h30m", "1.5s".
// The zero Span is written "0s", which ParseSpan rejects as zero.
func (s Span) String() string {
	if s.IsZero() {
		return "0s"
	}
	var b strings.Builder
	if s.Days != 0 {
		b.WriteString(strconv.Itoa(s.Days))
		b.WriteByte('d')
	}
	c := s.Clock
	if c < 0 {
		b.WriteByte('-')
		c = -c // cannot overflow in practice: ParseSpan never yields a negative Clock
	}
	if h := c / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10))
		b.WriteByte('h')
		c -= h * time.Hour
	}
	if m := c / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10))
		b.WriteByte('m')
		c -= m * time.Minute
	}
	if c > 0 {
		b.WriteString(c.String()) // under a minute: "45s", "1.5s", "500ms"
	}
	return b.String()
}

// IsZero reports whether the span has neither days nor clock time.
func (s Span) IsZero() bool { return s.Days == 0 && s.Clock == 0 }
