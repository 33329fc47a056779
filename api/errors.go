package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/shaobao/shaobao/media"
	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/whistle"
)

// statusOf is the one map from error codes to HTTP statuses.
var statusOf = map[string]int{
	whistle.EInvalid:      http.StatusBadRequest,
	whistle.ENotFound:     http.StatusNotFound,
	whistle.EConflict:     http.StatusConflict,
	whistle.EReplayed:     http.StatusConflict,
	whistle.EUnauthorized: http.StatusUnauthorized,
	whistle.EForbidden:    http.StatusForbidden,
	whistle.EInternal:     http.StatusInternalServerError,
	whistle.EUnavailable:  http.StatusServiceUnavailable,
	whistle.ERateLimited:  http.StatusTooManyRequests,
	eTooLarge:             http.StatusRequestEntityTooLarge, // files.go
	eInvalidFile:          http.StatusUnprocessableEntity,
	media.EUnsupported:    http.StatusUnsupportedMediaType,
	codeNotRecurring:      http.StatusUnprocessableEntity, // leaders.go
	eOutsideGrid:          http.StatusUnprocessableEntity, // map.go
	eGridJurisdiction:     http.StatusUnprocessableEntity,
	eInvalidGeo:           http.StatusUnprocessableEntity, // admin_geo.go
	eAppealWindow:         http.StatusUnprocessableEntity, // appeals.go
	eAppealNotInCell:      http.StatusUnprocessableEntity,
	ePeriodicNotServing:   http.StatusUnprocessableEntity, // periodic.go
}

// envelope is the JSON error body of every failed request.
type envelope struct {
	Error envelopeError `json:"error"`
}

type envelopeError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// lang is "en" when the caller asked for English (Accept-Language or
// ?lang=en), "zh" otherwise: Chinese first.
func lang(c *gin.Context) string {
	if l := c.Query("lang"); l != "" {
		if strings.HasPrefix(strings.ToLower(l), "en") {
			return "en"
		}
		return "zh"
	}
	al := strings.ToLower(c.GetHeader("Accept-Language"))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "zh"
}

// fail writes err as the error envelope and aborts. Internal errors are
// logged with their detail and shown as "internal error"; refusals (4xx)
// are logged with their code, rule and target (logRefusal). Under
// /open311/ the error takes Open311's form instead (open311.go).
func fail(c *gin.Context, err error) {
	status, e := describe(c, err)
	if status >= 400 && status < 500 {
		logRefusal(c, status, e.Code, err)
	}
	if isOpen311(c) {
		failOpen311(c, status, e)
		return
	}
	c.AbortWithStatusJSON(status, envelope{Error: e})
}

// describe turns err into the status and the error a user may see, in the
// caller's language, logging the detail of an internal error.
func describe(c *gin.Context, err error) (int, envelopeError) {
	code := whistle.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		code = whistle.EInternal
	}
	if code == whistle.EInternal {
		logger(c).Error("request failed", "err", err)
		if c.Request.Context().Err() != nil || errors.Is(err, errUnavailable) {
			status = http.StatusServiceUnavailable
			code = whistle.EUnavailable
		}
	}
	msg := whistle.ErrorMessage(err, lang(c))
	if lang(c) == "zh" {
		msg = statusWordsZH.Replace(msg)
	}
	if code == whistle.EUnavailable && whistle.ErrorCode(err) == whistle.EInternal {
		msg = pick(c, "服务暂时不可用，请稍后重试", "service temporarily unavailable, try again")
	}
	return status, envelopeError{Code: code, Message: msg, RequestID: requestID(c)}
}

var errUnavailable = errors.New("dependency unavailable")

// statusWordsZH turns the wire status a workflow's refusal quotes
// ("案件当前状态为「open」") into the name the pages show: the workflow's
// recorded messages stay as they are, the reader sees Chinese.
var statusWordsZH = strings.NewReplacer(
	"「pending」", "「待受理」", "「open」", "「办理中」", "「verifying」", "「待核查」", "「evaluating」", "「待评价」", "「closed」", "「已结案」",
	"「summoned」", "「待报到」", "「reported」", "「已报到」", "「done」", "「已办结」", "「returned」", "「已退回」",
	"「return_requested」", "「退回待答复」", "「dropped」", "「已撤回」", "「released」", "「已解除协办」",
)

// logRefusal logs a 4xx answer so an operator can tell who was refused
// what and why: the code, the policy rule that refused (if one did), the
// target's ids from the route and the English reason. A 403 or 409 is a
// user meeting a rule or a state, worth a look: WARN; other 4xx (bad input,
// sign-in, unknown ids) are routine: INFO.
func logRefusal(c *gin.Context, status int, code string, err error) {
	level := slog.LevelInfo
	if status == http.StatusForbidden || status == http.StatusConflict {
		level = slog.LevelWarn
	}
	attrs := []any{"status", status, "code", code}
	if rule := policy.RefusingRule(err); rule != "" {
		attrs = append(attrs, "rule", rule)
	}
	attrs = append(attrs, routeTargets(c)...)
	attrs = append(attrs, "reason", whistle.ErrorMessage(err, "en"))
	logger(c).Log(c.Request.Context(), level, "request refused", attrs...)
}

// routeTargets names the route's parameters for the log: /cases/:id gives
// case_id, /users/:id/tokens/:token_id gives user_id and token_id,
// /sla-policies/:class gives class. Open311's /tokens/:token is left out:
// a token does not belong in a log.
func routeTargets(c *gin.Context) []any {
	var attrs []any
	segs := strings.Split(c.FullPath(), "/")
	for i, seg := range segs {
		param, ok := strings.CutPrefix(seg, ":")
		if !ok || param == "token" {
			continue
		}
		name := param
		if param == "id" && i > 0 {
			name = strings.ReplaceAll(strings.TrimSuffix(segs[i-1], "s"), "-", "_") + "_id"
		}
		attrs = append(attrs, name, c.Param(param))
	}
	return attrs
}

// pick returns the message in the caller's language.
func pick(c *gin.Context, zh, en string) string {
	if lang(c) == "en" {
		return en
	}
	return zh
}

func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
