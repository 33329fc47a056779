package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/shaobao/shaobao/policy"
	"github.com/shaobao/shaobao/store"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/worktime"
)

// requireAdmin lets only what the policy allows as admin:manage through.
func (s *Server) requireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.Policy.Authorize(s.subject(currentUser(c)), policy.Admin, policy.Object{}); err != nil {
			fail(c, err)
			return
		}
		c.Next()
	}
}

type slaPolicyRequest struct {
	Level               string `json:"level" binding:"omitempty,oneof=community street district city"`
	ReportWithin        string `json:"report_within" binding:"required,max=16"`
	HandleWithin        string `json:"handle_within" binding:"required,max=16"`
	EvaluateWithin      string `json:"evaluate_within" binding:"max=16"`
	DefaultSatisfaction string `json:"default_satisfaction" binding:"omitempty,oneof=satisfied basically_satisfied dissatisfied"`
}

type slaPolicyView struct {
	Class               string `json:"class"`
	Level               string `json:"level"`
	ReportWithin        string `json:"report_within"`
	HandleWithin        string `json:"handle_within"`
	EvaluateWithin      string `json:"evaluate_within"`
	DefaultSatisfaction string `json:"default_satisfaction"`
	WorkingTime         bool   `json:"working_time"`
	UpdatedBy           string `json:"updated_by,omitempty"`
}

func slaView(p store.SLAPolicy) slaPolicyView {
	return slaPolicyView{Class: p.Class, Level: p.Level, ReportWithin: p.ReportWithin, HandleWithin: p.HandleWithin, EvaluateWithin: p.EvaluateWithin,
		DefaultSatisfaction: p.DefaultSatisfaction, WorkingTime: !whistle.Class(p.Class).WallClock(), UpdatedBy: p.UpdatedBy}
}

func (s *Server) listSLAPolicies(c *gin.Context) {
	rows, err := s.Store.SLAPolicies(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]slaPolicyView, len(rows))
	for i, p := range rows {
		out[i] = slaView(p)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// putSLAPolicy sets a class's clocks (for every level, or one level). The
// change applies to departments summoned after it.
func (s *Server) putSLAPolicy(c *gin.Context) {
	class := whistle.Class(c.Param("class"))
	if !class.Valid() {
		fail(c, whistle.Errorf(whistle.EInvalid, "哨类无效：%q（可选 emergency、key、routine、coordination）", "invalid class %q (one of emergency, key, routine, coordination)", string(class)))
		return
	}
	var req slaPolicyRequest
	if err := bindStrict(c, &req); err != nil {
		fail(c, err)
		return
	}
	spans := map[string]*string{"report_within": &req.ReportWithin, "handle_within": &req.HandleWithin, "evaluate_within": &req.EvaluateWithin}
	parsed := map[string]worktime.Span{}
	for name, v := range spans {
		if *v == "" {
			continue
		}
		sp, err := worktime.ParseSpan(*v)
		if err != nil {
			fail(c, whistle.Errorf(whistle.EInvalid, "%s 无效：%v（例如 30m、2h、3d）", "%s is invalid: %v (e.g. 30m, 2h, 3d)", name, err))
			return
		}
		*v = sp.String()
		parsed[name] = sp
	}
	if spanLength(parsed["report_within"], class.WallClock()) > spanLength(parsed["handle_within"], class.WallClock()) {
		fail(c, whistle.Errorf(whistle.EInvalid, "报到时限 %s 不能长于办结时限 %s", "report_within %s must not be longer than handle_within %s", req.ReportWithin, req.HandleWithin))
		return
	}
	ctx := c.Request.Context()
	cur, err := s.Store.SLAPolicyFor(ctx, class, whistle.Level(req.Level))
	if err != nil && whistle.ErrorCode(err) != whistle.ENotFound {
		fail(c, err)
		return
	}
	p := store.SLAPolicy{Class: string(class), Level: req.Level, ReportWithin: req.ReportWithin, HandleWithin: req.HandleWithin,
		EvaluateWithin: req.EvaluateWithin, DefaultSatisfaction: req.DefaultSatisfaction, UpdatedBy: currentUser(c).Username}
	if p.EvaluateWithin == "" {
		p.EvaluateWithin = firstNonEmpty(cur.EvaluateWithin, "3d")
	}
	if p.DefaultSatisfaction == "" {
		p.DefaultSatisfaction = firstNonEmpty(cur.DefaultSatisfaction, string(whistle.Satisfied))
	}
	saved, err := s.Store.PutSLAPolicy(ctx, p)
	if err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("SLA policy changed", "class", class, "org_level", req.Level, "report_within", saved.ReportWithin, "handle_within", saved.HandleWithin)
	c.JSON(http.StatusOK, slaView(saved))
}

// spanLength is how far a deadline s after the summons lies, on the
// class's clock, so that two spans compare whatever their units. Both
// deadlines count from the summons. On working time a day is one working
// day, which holds WorkdayEnd-WorkdayStart (9) working hours:
// worktime.Calendar.Add moves a deadline by Days×9h + Clock of working
// time, so "1d" outlasts "4h" but not "10h", and the longer length is
// always the later deadline. On the wall clock (emergency) a day is 24 h.
func spanLength(s worktime.Span, wallClock bool) time.Duration {
	day := worktime.WorkdayEnd - worktime.WorkdayStart
	if wallClock {
		day = 24 * time.Hour
	}
	return time.Duration(s.Days)*day + s.Clock
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// deleteSLAPolicy removes a class's policy row of one level (?level=), so
// the class's every-level row applies there again for departments
// summoned after it.
func (s *Server) deleteSLAPolicy(c *gin.Context) {
	class := whistle.Class(c.Param("class"))
	if !class.Valid() {
		fail(c, whistle.Errorf(whistle.EInvalid, "哨类无效：%q（可选 emergency、key、routine、coordination）", "invalid class %q (one of emergency, key, routine, coordination)", string(class)))
		return
	}
	q := &queryReader{c: c}
	level := q.oneOf("level", "community", "street", "district", "city")
	if q.err != nil {
		fail(c, q.err)
		return
	}
	if err := s.Store.DeleteSLAPolicy(c.Request.Context(), class, whistle.Level(level)); err != nil {
		fail(c, err)
		return
	}
	logger(c).Info("SLA policy deleted", "class", class, "org_level", level)
	c.Status(http.StatusNoContent)
}

// bindStrict is bindJSON that also refuses fields the request type does
// not know, so a misspelt field in an admin edit is an error rather than
// an edit silently dropped.
func bindStrict(c *gin.Context, dst any) error {
	if c.Request.Body == nil || c.Request.ContentLength == 0 {
		return whistle.Errorf(whistle.EInvalid, "请求体不能为空，需要 JSON", "request body is empty; JSON expected")
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return whistle.Errorf(whistle.EInvalid, "未知字段 %s", "unknown field %s", field)
		}
		return bindError(c, err)
	}
	if dec.More() {
		return whistle.Errorf(whistle.EInvalid, "请求体不是合法的 JSON", "request body is not valid JSON")
	}
	if err := binding.Validator.ValidateStruct(dst); err != nil {
		return bindError(c, err)
	}
	return nil
}

// requiredText trims v and refuses it blank.
func requiredText(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", whistle.Errorf(whistle.EInvalid, "%s 不能为空", "%s must not be blank", field)
	}
	return v, nil
}

// nothingToChange is the error of an edit that names no field.
func nothingToChange(fields string) error {
	return whistle.Errorf(whistle.EInvalid, "没有要修改的字段（可改：%s）", "nothing to change (fields: %s)", fields)
}
