package api_test

import "testing"

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
