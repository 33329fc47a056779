package api_test

import (
	"context"
	"testing"

	"github.com/shaobao/shaobao/whistle"
)

// A report deadline may not fall after the handling deadline. Both count
// from the summons on the class's clock: on working time a day is a
// working day of 9 working hours; on the wall clock (emergency) 24 hours.
func TestSLAPolicyReportNotLongerThanHandle(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	for _, tc := range []struct {
		name, class, report, handle string
		status                      int
	}{
		{"HoursWithinADay", "key", "4h", "1d", 200},
		{"AWorkingDayIsNineHours", "key", "9h", "1d", 200},
		{"TenHoursOutlastAWorkingDay", "key", "10h", "1d", 400},
		{"DayAgainstHours", "routine", "1d", "4h", 400},
		{"DaysAndHours", "coordination", "1d8h", "2d", 200},
		{"Equal", "routine", "2d", "2d", 200},
		{"WallClockDayIs24Hours", "emergency", "10h", "1d", 200},
		{"WallClockLonger", "emergency", "1d1h", "1d", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"level":"street","report_within":"` + tc.report + `","handle_within":"` + tc.handle + `"}`
			r := call(t, srv, admin, "PUT", "/api/v1/admin/sla-policies/"+tc.class, body)
			if r.status != tc.status {
				t.Fatalf("report %s, handle %s on %s: %d %q, want %d", tc.report, tc.handle, tc.class, r.status, errMessage(r), tc.status)
			}
			if tc.status == 400 && errCode(r) != "invalid" {
				t.Errorf("envelope %v", r.body)
			}
		})
	}
}

// TestSLAPolicyExtensionLimits: max_extensions (1–10) and
// max_extension_days (1–60) are stored as given; 0 or absent stands for
// the defaults, 2 and 15, which the answer shows as in force.
func TestSLAPolicyExtensionLimits(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	for _, tc := range []struct {
		name, limits   string
		count, days    float64
		storedC, storD int
	}{
		{"Given", `,"max_extensions":3,"max_extension_days":20`, 3, 20, 3, 20},
		{"Bounds", `,"max_extensions":10,"max_extension_days":60`, 10, 60, 10, 60},
		{"Absent", ``, 2, 15, 0, 0},
		{"Zero", `,"max_extensions":0,"max_extension_days":0`, 2, 15, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"level":"street","report_within":"2h","handle_within":"3d"` + tc.limits + `}`
			r := call(t, srv, admin, "PUT", "/api/v1/admin/sla-policies/routine", body)
			if r.status != 200 {
				t.Fatalf("%d %q", r.status, errMessage(r))
			}
			if r.body["max_extensions"] != tc.count || r.body["max_extension_days"] != tc.days {
				t.Errorf("answer %v, want max_extensions %v, max_extension_days %v", r.body, tc.count, tc.days)
			}
			p, err := st.SLAPolicyFor(context.Background(), whistle.ClassRoutine, whistle.LevelStreet)
			if err != nil {
				t.Fatal(err)
			}
			if p.MaxExtensions != tc.storedC || p.MaxExtensionDays != tc.storD {
				t.Errorf("stored %d/%d, want %d/%d", p.MaxExtensions, p.MaxExtensionDays, tc.storedC, tc.storD)
			}
		})
	}
}

// TestSLAPolicyWarnThresholds: warn_yellow and warn_red are stored as
// given when 0 < yellow < red < 1 (0 or absent: the defaults, 0.5 and
// 0.75, shown as in force); anything else is a 400 that changes nothing.
func TestSLAPolicyWarnThresholds(t *testing.T) {
	srv, st := newServer(t)
	admin := token(t, st, "admin")
	stored := func() (float64, float64) {
		p, err := st.SLAPolicyFor(context.Background(), whistle.ClassRoutine, whistle.LevelStreet)
		if err != nil {
			return -1, -1
		}
		return p.WarnYellow, p.WarnRed
	}
	for _, tc := range []struct {
		name, warn       string
		status           int
		yellow, red      float64 // the answer's
		storedY, storedR float64
	}{
		{"Given", `,"warn_yellow":0.6,"warn_red":0.9`, 200, 0.6, 0.9, 0.6, 0.9},
		{"Absent", ``, 200, 0.5, 0.75, 0, 0},
		{"YellowOnly", `,"warn_yellow":0.3`, 200, 0.3, 0.75, 0.3, 0},
		{"RedOnly", `,"warn_red":0.95`, 200, 0.5, 0.95, 0, 0.95},
		{"YellowAboveDefaultRed", `,"warn_yellow":0.8`, 400, 0, 0, 0, 0.95},
		{"Equal", `,"warn_yellow":0.6,"warn_red":0.6`, 400, 0, 0, 0, 0.95},
		{"Reversed", `,"warn_yellow":0.9,"warn_red":0.6`, 400, 0, 0, 0, 0.95},
		{"RedAtDeadline", `,"warn_red":1`, 400, 0, 0, 0, 0.95},
		{"Negative", `,"warn_yellow":-0.1`, 400, 0, 0, 0, 0.95},
		{"WrongType", `,"warn_yellow":"half"`, 400, 0, 0, 0, 0.95},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"level":"street","report_within":"2h","handle_within":"3d"` + tc.warn + `}`
			r := call(t, srv, admin, "PUT", "/api/v1/admin/sla-policies/routine", body)
			if r.status != tc.status {
				t.Fatalf("%d %q, want %d", r.status, errMessage(r), tc.status)
			}
			if tc.status == 200 && (r.body["warn_yellow"] != tc.yellow || r.body["warn_red"] != tc.red) {
				t.Errorf("answer %v, want warn_yellow %v, warn_red %v", r.body, tc.yellow, tc.red)
			}
			if tc.status == 400 && errCode(r) != "invalid" {
				t.Errorf("envelope %v", r.body)
			}
			if y, rd := stored(); y != tc.storedY || rd != tc.storedR {
				t.Errorf("stored %v/%v, want %v/%v", y, rd, tc.storedY, tc.storedR)
			}
		})
	}
}
