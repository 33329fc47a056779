package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// calendarDayView is one listed day of the working calendar.
type calendarDayView struct {
	Date    string `json:"date"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Weekday string `json:"weekday"`
}

func toCalendarDayView(d store.CalendarDay) calendarDayView {
	v := calendarDayView{Date: d.Date, Kind: d.Kind, Name: d.Name}
	if t, err := time.ParseInLocation(time.DateOnly, d.Date, worktime.Location); err == nil {
		v.Weekday = strings.ToLower(t.Weekday().String())
	}
	return v
}

// listCalendar lists the holidays and make-up working days of ?year=
// (default: this year in China Standard Time).
func (s *Server) listCalendar(c *gin.Context) {
	q := &queryReader{c: c}
	year := q.int("year", time.Now().In(worktime.Location).Year(), 2000, 2100)
	if q.failed() {
		return
	}
	rows, err := s.Store.CalendarYear(c.Request.Context(), year)
	answerAll(c, rows, err, toCalendarDayView)
}

type calendarDayRequest struct {
	Date string `json:"date" binding:"required,max=10"`
	Kind string `json:"kind" binding:"required,oneof=holiday workday"`
	Name string `json:"name" binding:"required,max=64"`
}

type putCalendarRequest struct {
	Days []calendarDayRequest `json:"days" binding:"required,min=1,max=400,dive"`
}

// putCalendar adds or replaces listed days, all or none: the set must make
// a valid calendar (worktime.NewCalendar: real dates, a make-up workday on
// a Saturday or Sunday, no date twice). Workers use the change for clocks
// started after their next calendar reload.
func (s *Server) putCalendar(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *putCalendarRequest) (listResponse[calendarDayView], error) {
		days := make([]worktime.Day, len(req.Days))
		for i, d := range req.Days {
			days[i] = worktime.Day{Date: d.Date, Kind: worktime.DayKind(d.Kind), Name: d.Name}
		}
		return s.saveCalendarDays(ctx, c, days)
	})
}

type putCalendarDayRequest struct {
	Kind string `json:"kind" binding:"required,oneof=holiday workday"`
	Name string `json:"name" binding:"required,max=64"`
}

func (s *Server) putCalendarDay(c *gin.Context) {
	applyBody(c, http.StatusOK, func(ctx context.Context, req *putCalendarDayRequest) (listResponse[calendarDayView], error) {
		return s.saveCalendarDays(ctx, c, []worktime.Day{{Date: c.Param("date"), Kind: worktime.DayKind(req.Kind), Name: req.Name}})
	})
}

// saveCalendarDays trims the days' names, refuses a blank one, and stores
// the days; the answer lists them.
func (s *Server) saveCalendarDays(ctx context.Context, c *gin.Context, days []worktime.Day) (listResponse[calendarDayView], error) {
	for i := range days {
		days[i].Name = strings.TrimSpace(days[i].Name)
		if days[i].Name == "" {
			return listResponse[calendarDayView]{}, whistle.Errorf(whistle.EInvalid, "%s 的名称 name 不能为空", "the name of %s must not be blank", days[i].Date)
		}
	}
	if err := s.audited(c, calendarChange(days), func(tx *store.Store) (string, error) {
		return "", tx.PutCalendarDays(ctx, days)
	}); err != nil {
		return listResponse[calendarDayView]{}, err
	}
	logger(c).Info("calendar changed", "days", len(days), "first", days[0].Date)
	return listAll(days, func(d worktime.Day) calendarDayView {
		return toCalendarDayView(store.CalendarDay{Date: d.Date, Kind: string(d.Kind), Name: d.Name})
	}), nil
}

// deleteCalendarDay makes a listed date an ordinary day again (a weekday
// works, a weekend rests).
func (s *Server) deleteCalendarDay(c *gin.Context) {
	date := c.Param("date")
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		fail(c, whistle.Errorf(whistle.EInvalid, "日期无效：%q（应为 YYYY-MM-DD）", "invalid date %q (want YYYY-MM-DD)", date))
		return
	}
	err := s.audited(c, store.Change{Action: store.ActionDelete, Kind: "calendar_day", ObjectID: date}, func(tx *store.Store) (string, error) {
		return "", tx.DeleteCalendarDay(c.Request.Context(), date)
	})
	noContent(c, err, "calendar day deleted", "date", date)
}

// calendarChange names a calendar edit for the audit: one day as itself,
// several as the years they fall in, so before and after hold each year's
// exceptions whole.
func calendarChange(days []worktime.Day) store.Change {
	if len(days) == 1 {
		return store.Change{Action: store.ActionUpdate, Kind: "calendar_day", ObjectID: days[0].Date}
	}
	var years []string
	for _, d := range days {
		if y, _, _ := strings.Cut(d.Date, "-"); !slices.Contains(years, y) {
			years = append(years, y)
		}
	}
	slices.Sort(years)
	return store.Change{Action: store.ActionUpdate, Kind: "calendar", ObjectID: strings.Join(years, ",")}
}
