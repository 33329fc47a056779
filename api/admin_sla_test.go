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
