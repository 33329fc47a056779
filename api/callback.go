package api

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

// The resident call-back (回访, issue 17; docs/supervision.md, 回访): on a
// case from a resident or the hotline, the filing side's command centre or
// secretary calls the resident back once the case is verified and records
// each attempt here; the resident's answer becomes the satisfaction of the
// case's evaluations.

type callbackRequest struct {
	Method string `json:"method" binding:"required,oneof=phone sms visit online"`
	// At is when the resident was called (RFC 3339); empty: now.
	At           string `json:"at" binding:"max=40"`
	Reached      *bool  `json:"reached" binding:"required"`
	Satisfaction string `json:"satisfaction" binding:"omitempty,oneof=satisfied basically_satisfied dissatisfied"`
	Note         string `json:"note" binding:"max=500"`
}

// callback answers POST /cases/{id}/callback with the case as it is now.
func (s *Server) callback(c *gin.Context) {
	var req callbackRequest
	if err := bindJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	in := workflows.CallbackInput{Actor: caller(c), Method: req.Method, Reached: *req.Reached,
		Satisfaction: whistle.Satisfaction(req.Satisfaction), Note: strings.TrimSpace(req.Note)}
	if at := strings.TrimSpace(req.At); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			fail(c, whistle.Errorf(whistle.EInvalid, "回访时间 at 无效：%q（应为 RFC 3339 时间，如 2026-12-03T10:00:00+08:00）",
				"at is invalid: %q (want an RFC 3339 time, e.g. 2026-12-03T10:00:00+08:00)", req.At))
			return
		}
		t = t.UTC()
		in.At = &t
	}
	kase, ok := s.caseFor(c, c.Param("id"), policy.Callback)
	if !ok {
		return
	}
	s.respondUpdate(c, kase, workflows.UpdateCallback, in)
}

// typedSatisfaction refuses, before the workflow does, an evaluation that
// types a satisfaction on a case whose satisfaction is the resident's
// (the workflow holds the same rule: state.go checkEvaluate), and one that
// leaves it out on any other case.
func typedSatisfaction(kase whistle.Case, sat string) error {
	switch {
	case kase.CallbackRequired && sat != "":
		return whistle.Errorf(whistle.EInvalid, "本案满意度以回访居民的结果为准，评价时不能填写满意度（satisfaction 留空）",
			"this case's satisfaction is the resident's, from the call-back: leave satisfaction empty")
	case !kase.CallbackRequired && sat == "":
		return whistle.Errorf(whistle.EInvalid, "请填写满意度 satisfaction（satisfied、basically_satisfied 或 dissatisfied）",
			"satisfaction is required (satisfied, basically_satisfied or dissatisfied)")
	}
	return nil
}
