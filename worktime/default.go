package worktime

// The shipped calendar lives in calendar.json so that it reads, and can be replaced,
// as data.
//
// 2026 is the State Council's published arrangement (国务院办公厅关于2026年部分节假日
// 安排的通知, 2025-11-04): every holiday date and every make-up working day.
//
// 2027 is provisional: when this was written the State Council had not published its
// 2027 arrangement (it usually does in the autumn or winter before). The file lists
// only the statutory holidays of 全国年节及纪念日放假办法 as amended in 2024 (in force
// 2025): 元旦 Jan 1; 春节 Feb 5–8 (除夕 and 正月初一 to 初三; 正月初一 is Feb 6, 2027);
// 清明节 Apr 5; 劳动节 May 1–2; 端午节 Jun 9; 中秋节 Sep 15; 国庆节 Oct 1–3. Their
// names end in "（暂定，以国务院公布为准）". The real arrangement will add days in
// lieu of statutory days that fall on a weekend and 调休 bridges with make-up
// Saturdays or Sundays, none of which are listed yet; until an admin enters it,
// 2027 deadlines near a holiday can differ by a few days from the official
// calendar (earlier for a missing day off, later for a missing make-up day).

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

//go:embed calendar.json
var calendarJSON []byte

var defaultDays = sync.OnceValue(func() []Day {
	var days []Day
	if err := json.Unmarshal(calendarJSON, &days); err != nil {
		panic(fmt.Sprintf("worktime: embedded calendar.json: %v", err))
	}
	return days
})

var defaultCalendar = sync.OnceValue(func() *Calendar {
	c, err := NewCalendar(defaultDays())
	if err != nil {
		panic(fmt.Sprintf("worktime: embedded calendar.json: %v", err))
	}
	return c
})

// DefaultDays returns the shipped mainland calendar, 2026 (official) and 2027
// (statutory holidays only, provisional), as a fresh slice the caller may change.
func DefaultDays() []Day { return slices.Clone(defaultDays()) }

// MustDefault returns the calendar built from DefaultDays. Every call returns the
// same Calendar, which is safe to share. It panics only if the embedded data is
// invalid, which the package's tests rule out.
func MustDefault() *Calendar { return defaultCalendar() }
