package worktime_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shaobao/shaobao/worktime"
)

// at reads "2006-01-02 15:04" (or with seconds) in China Standard Time.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout = time.DateTime
	}
	v, err := time.ParseInLocation(layout, s, worktime.Location)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func span(t testing.TB, s string) worktime.Span {
	t.Helper()
	v, err := worktime.ParseSpan(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestIsWorkday(t *testing.T) {
	cal := worktime.MustDefault()
	tests := []struct {
		name string
		at   string
		want bool
	}{
		{"OrdinaryMonday", "2026-03-02 10:00", true},
		{"OrdinaryFriday", "2026-03-06 23:59", true},
		{"Saturday", "2026-03-07 10:00", false},
		{"Sunday", "2026-03-08 10:00", false},
		{"NationalDayThursday", "2026-10-01 10:00", false},
		{"NationalDayBridgeWednesday", "2026-10-07 10:00", false},
		{"AfterNationalDay", "2026-10-08 10:00", true},
		{"NationalDayMakeUpSaturday", "2026-10-10 10:00", true},
		{"NationalDayMakeUpSunday", "2026-09-20 10:00", true},
		{"SpringFestivalMakeUpSaturdayBefore", "2026-02-14 10:00", true},
		{"SpringFestivalMakeUpSaturdayAfter", "2026-02-28 10:00", true},
		{"SpringFestivalTuesday", "2026-02-17 10:00", false},
		{"SpringFestivalLastDayMonday", "2026-02-23 10:00", false},
		{"NewYearMakeUpSunday", "2026-01-04 10:00", true},
		{"NewYear2026", "2026-01-02 10:00", false},
		{"QingmingMonday", "2026-04-06 10:00", false},
		{"LabourDayTuesday", "2026-05-05 10:00", false},
		{"LabourDayMakeUpSaturday", "2026-05-09 10:00", true},
		{"DragonBoatFriday", "2026-06-19 10:00", false},
		{"MidAutumnFriday", "2026-09-25 10:00", false},
		{"NewYear2027Provisional", "2027-01-01 10:00", false},
		{"SpringFestivalEve2027Provisional", "2027-02-05 10:00", false},
		{"SpringFestivalDay3Monday2027Provisional", "2027-02-08 10:00", false},
		{"AfterSpringFestival2027", "2027-02-09 10:00", true},
		{"OutsideListedYears", "2030-07-01 10:00", true},
		// The date counts in CST: 2026-10-09T17:00Z is already Saturday Oct 10 in Beijing.
		{"UTCInstantOnCSTMakeUpDay", "", true},
		{"JustBeforeMidnightCST", "2026-09-30 23:59:59", true},
		{"MidnightCSTStartsHoliday", "2026-10-01 00:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := time.Date(2026, 10, 9, 17, 0, 0, 0, time.UTC)
			if tt.at != "" {
				v = at(t, tt.at)
			}
			if got := cal.IsWorkday(v); got != tt.want {
				t.Errorf("IsWorkday(%s) = %v, want %v", v, got, tt.want)
			}
		})
	}
}

// TestAddClassDefaults runs the default clocks of DESIGN.md §2 (key: report 2h,
// handle 3 working days; routine: 1 and 7 working days; coordination: 2 and 15)
// from awkward starts. Every expected deadline was counted by hand on a printed calendar.
func TestAddClassDefaults(t *testing.T) {
	cal := worktime.MustDefault()
	spans := []struct{ name, span string }{
		{"KeyReport2h", "2h"},
		{"RoutineReport1d", "1d"},
		{"CoordinationReport2d", "2d"},
		{"KeyHandle3d", "3d"},
		{"RoutineHandle7d", "7d"},
		{"CoordinationHandle15d", "15d"},
	}
	starts := []struct {
		name  string
		start string
		want  [6]string // one per spans entry
	}{
		{"MondayMorning", "2026-03-02 10:00", [6]string{
			"2026-03-02 12:00", "2026-03-03 10:00", "2026-03-04 10:00", "2026-03-05 10:00", "2026-03-11 10:00", "2026-03-23 10:00"}},
		{"Friday1700", "2026-03-06 17:00", [6]string{
			"2026-03-09 10:00", "2026-03-09 17:00", "2026-03-10 17:00", "2026-03-11 17:00", "2026-03-17 17:00", "2026-03-27 17:00"}},
		{"Saturday", "2026-03-07 11:00", [6]string{
			"2026-03-09 11:00", "2026-03-10 09:00", "2026-03-11 09:00", "2026-03-12 09:00", "2026-03-18 09:00", "2026-03-30 09:00"}},
		// Oct 1–7 off, Oct 8 Thu and Oct 9 Fri work, Oct 10 is a make-up Saturday.
		{"BeforeNationalDay", "2026-09-30 10:00", [6]string{
			"2026-09-30 12:00", "2026-10-08 10:00", "2026-10-09 10:00", "2026-10-10 10:00", "2026-10-15 10:00", "2026-10-27 10:00"}},
		// Feb 15–23 off; work resumes Tue Feb 24, and Sat Feb 28 is a make-up day.
		{"DuringSpringFestival", "2026-02-18 10:00", [6]string{
			"2026-02-24 11:00", "2026-02-25 09:00", "2026-02-26 09:00", "2026-02-27 09:00", "2026-03-04 09:00", "2026-03-16 09:00"}},
		{"AtExactly1800", "2026-03-03 18:00", [6]string{
			"2026-03-04 11:00", "2026-03-05 09:00", "2026-03-06 09:00", "2026-03-09 09:00", "2026-03-13 09:00", "2026-03-25 09:00"}},
		{"At0800", "2026-03-03 08:00", [6]string{
			"2026-03-03 11:00", "2026-03-04 09:00", "2026-03-05 09:00", "2026-03-06 09:00", "2026-03-12 09:00", "2026-03-24 09:00"}},
		// 2027-01-01 (Fri) is a holiday, then a weekend.
		{"AcrossYearEnd", "2026-12-31 15:00", [6]string{
			"2026-12-31 17:00", "2027-01-04 15:00", "2027-01-05 15:00", "2027-01-06 15:00", "2027-01-12 15:00", "2027-01-22 15:00"}},
	}
	for _, st := range starts {
		for i, sp := range spans {
			t.Run(st.name+"/"+sp.name, func(t *testing.T) {
				got := cal.Add(at(t, st.start), span(t, sp.span), false)
				if want := at(t, st.want[i]); !got.Equal(want) {
					t.Errorf("Add(%s, %s) = %s, want %s", st.start, sp.span, got.Format(time.DateTime+" Mon"), want.Format(time.DateTime+" Mon"))
				}
				if got.Location() != worktime.Location {
					t.Errorf("result in %v, want worktime.Location", got.Location())
				}
			})
		}
	}
}

func TestAdd(t *testing.T) {
	cal := worktime.MustDefault()
	tests := []struct {
		name      string
		start     time.Time
		span      string
		wallClock bool
		want      string
	}{
		{"EndsExactlyAt1800", at(t, "2026-03-06 16:00"), "2h", false, "2026-03-06 18:00"},
		{"FullWorkingDayOfHours", at(t, "2026-03-02 09:00"), "9h", false, "2026-03-02 18:00"},
		{"OneMinuteBefore1800", at(t, "2026-03-02 17:59"), "1m", false, "2026-03-02 18:00"},
		{"OneMinutePast1800RollsOver", at(t, "2026-03-02 17:59"), "2m", false, "2026-03-03 09:01"},
		{"LunchIsWorkingTime", at(t, "2026-03-02 11:30"), "2h", false, "2026-03-02 13:30"},
		{"EveningStart", at(t, "2026-03-02 21:00"), "2h", false, "2026-03-03 11:00"},
		{"SecondsKept", at(t, "2026-03-02 10:00:07"), "90s", false, "2026-03-02 10:01:37"},
		{"DaysThenHours", at(t, "2026-03-02 10:00"), "1d12h", false, "2026-03-04 13:00"},
		{"HoursOverSeveralDays", at(t, "2026-03-06 17:00"), "30h", false, "2026-03-12 11:00"},
		{"FridayToSundayMakeUpDay", at(t, "2026-09-18 17:00"), "2h", false, "2026-09-20 10:00"},
		{"FridayToSaturdayMakeUpDay", at(t, "2026-02-13 17:00"), "2h", false, "2026-02-14 10:00"},
		{"FromMakeUpSaturday", at(t, "2026-10-10 09:00"), "1d", false, "2026-10-12 09:00"},
		{"AcrossQingming", at(t, "2026-04-03 17:00"), "2h", false, "2026-04-07 10:00"},
		{"AcrossLabourDay", at(t, "2026-04-30 17:00"), "1d", false, "2026-05-06 17:00"},
		{"YearEndEvening", at(t, "2026-12-31 17:00"), "2h", false, "2027-01-04 10:00"},
		{"AcrossSpringFestival2027", at(t, "2027-02-04 10:00"), "1d", false, "2027-02-09 10:00"},
		{"StartGivenInUTC", time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC), "2h", false, "2026-03-02 12:00"},
		{"EmergencyReport30m", at(t, "2026-03-06 17:50"), "30m", true, "2026-03-06 18:20"},
		{"EmergencyHandle24h", at(t, "2026-03-06 17:00"), "24h", true, "2026-03-07 17:00"},
		{"EmergencyDuringSpringFestival", at(t, "2026-02-18 03:00"), "30m", true, "2026-02-18 03:30"},
		{"EmergencyAcrossNationalDay", at(t, "2026-09-30 22:00"), "24h", true, "2026-10-01 22:00"},
		{"WallClockDayIs24h", at(t, "2026-09-30 22:00"), "1d", true, "2026-10-01 22:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Add(tt.start, span(t, tt.span), tt.wallClock)
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("Add(%s, %s, %v) = %s, want %s", tt.start, tt.span, tt.wallClock, got.Format(time.DateTime+" Mon"), want.Format(time.DateTime+" Mon"))
			}
			if got.Location() != worktime.Location {
				t.Errorf("result in %v, want worktime.Location", got.Location())
			}
		})
	}
}

func TestWorkingBetween(t *testing.T) {
	cal := worktime.MustDefault()
	tests := []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"SameMorning", "2026-03-02 10:00", "2026-03-02 12:00", 2 * time.Hour},
		{"BackwardsIsZero", "2026-03-02 12:00", "2026-03-02 10:00", 0},
		{"EqualIsZero", "2026-03-02 12:00", "2026-03-02 12:00", 0},
		{"OverTheWeekend", "2026-03-06 17:00", "2026-03-09 10:00", 2 * time.Hour},
		{"WholeWeekendOff", "2026-03-07 00:00", "2026-03-09 00:00", 0},
		{"NightOnly", "2026-03-02 18:00", "2026-03-03 09:00", 0},
		{"EarlyToLate", "2026-03-02 06:00", "2026-03-02 23:00", 9 * time.Hour},
		{"OneWorkingWeek", "2026-03-02 00:00", "2026-03-09 00:00", 45 * time.Hour},
		{"AcrossNationalDay", "2026-09-30 10:00", "2026-10-08 10:00", 9 * time.Hour},
		{"NationalDayOnly", "2026-09-30 19:00", "2026-10-08 08:00", 0},
		{"IncludesMakeUpSaturday", "2026-10-09 17:00", "2026-10-12 10:00", 11 * time.Hour},
		{"SpringFestivalWeeks", "2026-02-13 00:00", "2026-03-01 00:00", 7 * 9 * time.Hour}, // Feb 13, 14, 24–28
		// 2026: 261 weekdays, 19 of them holidays, 6 make-up weekend days.
		{"Year2026Has248WorkingDays", "2026-01-01 00:00", "2027-01-01 00:00", 248 * 9 * time.Hour},
		{"LateBy3WorkingDays", "2026-03-02 10:00", "2026-03-05 10:00", 27 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.WorkingBetween(at(t, tt.a), at(t, tt.b)); got != tt.want {
				t.Errorf("WorkingBetween(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestNewCalendarErrors(t *testing.T) {
	tests := []struct {
		name string
		days []worktime.Day
		want string
	}{
		{"BadFormat", []worktime.Day{{Date: "2026/10/01", Kind: worktime.Holiday}}, "YYYY-MM-DD"},
		{"ShortMonth", []worktime.Day{{Date: "2026-1-01", Kind: worktime.Holiday}}, "YYYY-MM-DD"},
		{"NoSuchDate", []worktime.Day{{Date: "2026-02-30", Kind: worktime.Holiday}}, "YYYY-MM-DD"},
		{"EmptyDate", []worktime.Day{{Kind: worktime.Holiday}}, "YYYY-MM-DD"},
		{"BadKind", []worktime.Day{{Date: "2026-10-01", Kind: "vacation"}}, `kind "vacation"`},
		{"EmptyKind", []worktime.Day{{Date: "2026-10-01"}}, "kind"},
		{"ListedTwice", []worktime.Day{
			{Date: "2026-10-01", Kind: worktime.Holiday, Name: "国庆节"},
			{Date: "2026-10-01", Kind: worktime.Holiday, Name: "国庆节"},
		}, "listed twice"},
		{"ListedTwiceWithDifferentKinds", []worktime.Day{
			{Date: "2026-10-10", Kind: worktime.Workday},
			{Date: "2026-10-10", Kind: worktime.Holiday},
		}, "listed twice"},
		{"MakeUpDayOnAWeekday", []worktime.Day{{Date: "2026-10-12", Kind: worktime.Workday, Name: "国庆节调休上班"}}, "Saturday or Sunday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := worktime.NewCalendar(tt.days)
			if err == nil {
				t.Fatalf("NewCalendar = %v, want an error", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestEmptyCalendarIsMondayToFriday(t *testing.T) {
	cal, err := worktime.NewCalendar(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cal.IsWorkday(at(t, "2026-10-01 10:00")) != true || cal.IsWorkday(at(t, "2026-10-10 10:00")) != false {
		t.Error("a calendar with no listed days should be Monday to Friday only")
	}
	if got, want := cal.Add(at(t, "2026-09-30 10:00"), span(t, "3d"), false), at(t, "2026-10-05 10:00"); !got.Equal(want) {
		t.Errorf("Add = %s, want %s", got, want)
	}
}

func TestDefaultDays(t *testing.T) {
	days := worktime.DefaultDays()
	var holidays, workdays, provisional int
	for _, d := range days {
		switch d.Kind {
		case worktime.Holiday:
			holidays++
		case worktime.Workday:
			workdays++
		}
		if d.Name == "" {
			t.Errorf("%s has no name", d.Date)
		}
		if strings.HasPrefix(d.Date, "2027-") {
			provisional++
			if !strings.Contains(d.Name, "暂定") || d.Kind != worktime.Holiday {
				t.Errorf("2027 day %+v: want a holiday marked provisional", d)
			}
		}
	}
	// 2026: 33 holiday dates and 6 make-up days; 2027: 13 statutory days.
	if holidays != 33+13 || workdays != 6 || provisional != 13 {
		t.Errorf("got %d holidays, %d make-up days, %d in 2027; want 46, 6, 13", holidays, workdays, provisional)
	}
	days[0].Kind = worktime.Workday // the caller's copy: must not change the default
	if worktime.DefaultDays()[0].Kind != worktime.Holiday || worktime.MustDefault().IsWorkday(at(t, "2026-01-01 10:00")) {
		t.Error("changing DefaultDays' result changed the default calendar")
	}
	if got := worktime.MustDefault().Days(); len(got) != len(days) {
		t.Errorf("Days() has %d entries, want %d", len(got), len(days))
	}
}

func TestConcurrentUse(t *testing.T) {
	cal := worktime.MustDefault()
	start := at(t, "2026-09-30 10:00")
	want := cal.Add(start, span(t, "15d"), false)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if got := cal.Add(start, worktime.Span{Days: 15}, false); !got.Equal(want) {
					t.Errorf("concurrent Add = %s, want %s", got, want)
					return
				}
				cal.WorkingBetween(start, want)
			}
		})
	}
	wg.Wait()
}
