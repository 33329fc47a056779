package whistle

import (
	"slices"
	"time"
)

// The resident call-back (回访, issue 17). On a case from a resident or the
// 12345 hotline, satisfaction is the resident's: the hotline operator or
// the filing side calls the resident back once the case is verified and
// records the answer, how (phone, SMS, visit…) and when. The filer does not
// type it on the resident's behalf. Cases filed before the call-back
// existed have CallbackRequired false and follow the old rules.

// Call-back methods (回访方式).
const (
	CallbackPhone  = "phone"  // 电话
	CallbackSMS    = "sms"    // 短信
	CallbackVisit  = "visit"  // 上门
	CallbackOnline = "online" // 网上（App、微信）
)

// CallbackMethods lists every call-back method.
var CallbackMethods = []string{CallbackPhone, CallbackSMS, CallbackVisit, CallbackOnline}

// ValidCallbackMethod reports whether m is a known method.
func ValidCallbackMethod(m string) bool { return slices.Contains(CallbackMethods, m) }

// CallbackMethodZH is the method's Chinese name.
func CallbackMethodZH(m string) string {
	return map[string]string{CallbackPhone: "电话", CallbackSMS: "短信", CallbackVisit: "上门", CallbackOnline: "网上"}[m]
}

// Call-back states of a case (Case.Callback). "" is a case needing none,
// or one not verified yet.
const (
	CallbackPending   = "pending"   // 待回访: verified, the resident not heard yet
	CallbackReached   = "reached"   // 已回访: the resident answered; the satisfaction is theirs
	CallbackUnreached = "unreached" // 未联系上: CallbackMaxAttempts attempts, or some, none reached by the window's close
	CallbackExpired   = "expired"   // 未回访: the evaluation window closed with no attempt at all
)

// CallbackStates lists the states a case list can filter on.
var CallbackStates = []string{CallbackPending, CallbackReached, CallbackUnreached, CallbackExpired}

// CallbackMaxAttempts is how many unanswered attempts settle a call-back as
// not reached (12345 practice: three tries at different times).
const CallbackMaxAttempts = 3

// CallbackRequiredFor reports whether a case from src needs a call-back:
// a resident's report (whatever the channel: the page, Open311, a grid
// worker typing it in) or a 12345 ticket. Grid patrols, communities,
// property disputes and escalations have no resident to call.
func CallbackRequiredFor(src Source) bool { return src == SourceResident || src == SourceHotline }

// CallbackAttempt is one try to reach the resident.
type CallbackAttempt struct {
	N int `json:"n"` // 1, 2, …
	// At is when the resident was called (visited, messaged), as recorded;
	// RecordedAt when it was entered.
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	Method     string    `json:"method"`
	Reached    bool      `json:"reached"`
	// Satisfaction is the resident's answer, only when reached.
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	Note         string       `json:"note,omitempty"`
	By           string       `json:"by"`
	// OrgUnitID is the recorder's unit ("" for an actor without one).
	OrgUnitID string `json:"org_unit_id,omitempty"`
}

// Timeline entry types of the call-back.
const (
	EventCallback        = "callback"         // one attempt: "phone reached satisfied", "phone unreached 1/3"
	EventCallbackSettled = "callback_settled" // the window closed with the call-back pending: unreached or expired
)

// CallbackSatisfaction is the resident's satisfaction from a reached
// call-back, "" otherwise.
func (c *Case) CallbackSatisfaction() Satisfaction {
	if c.Callback != CallbackReached || len(c.Callbacks) == 0 {
		return ""
	}
	return c.Callbacks[len(c.Callbacks)-1].Satisfaction
}
